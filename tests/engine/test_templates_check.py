"""The `templates:covers_events` check on a warehouse the pipeline published."""

from __future__ import annotations

import pyarrow.parquet as pq
from lifecycle_driver import LogWriter, run_pipeline

from logingest_dagster.engine.warehouse import CHECKS, run_check
from logingest_dagster.engine.warehouse.templates import TEMPLATES

COVERS = next(c for c in CHECKS if (c.asset, c.name) == ("templates", "covers_events"))


def test_every_template_of_the_published_events_has_its_row_and_a_missing_one_fails(tmp_path):
    logs, home, writer = tmp_path / "logs", tmp_path / "home", LogWriter()
    logs.mkdir()
    writer.append(logs / "a.log", 40)
    run_pipeline(home, [str(logs)], write_parquet=True)
    writer.append(logs / "a.log", 20)
    run_pipeline(home, [str(logs)], write_parquet=True)
    outcome = run_check(COVERS, home)
    assert outcome.passed, outcome.description
    path = home / "warehouse" / TEMPLATES
    table = pq.read_table(path)
    events = sum(writer.expected.get(level, 0) for level in ("WARN", "ERROR", "FATAL"))
    assert table.num_rows >= 1 and sum(table["count"].to_pylist()) == events
    pq.write_table(table.slice(1), path)  # a template's row lost
    assert not run_check(COVERS, home).passed
