"""Rows already past retention when first published are recorded as expired, never written."""

from __future__ import annotations

from datetime import UTC, datetime

import pyarrow.parquet as pq
from lifecycle_driver import run_pipeline

from logingest_dagster.engine.state import open_store
from logingest_dagster.engine.warehouse import CHECKS, publish, run_check
from logingest_dagster.engine.warehouse.appended import EXPIRED
from tests.helpers import published_events


def test_an_old_log_is_recorded_as_expired_without_writing_its_days(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    today = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S,000")
    (logs / "a.log").write_text(
        "2015-03-01 10:00:00,000 ERROR [main] c.a.B - old failure\n"
        "2015-03-01 10:00:01,000 INFO [main] c.a.B - old news\n"
        "2015-03-02 09:00:00,000 WARN [main] c.a.B - old warning\n"
        f"{today} ERROR [main] c.a.B - new failure\n"
    )
    run_pipeline(tmp_path, [logs])  # committed, published below with the default retention
    with open_store(tmp_path) as store:
        report = publish(tmp_path, store, retention_days=30).appended
    warehouse = tmp_path / "warehouse"
    assert not list(warehouse.glob("*/date=2015-*"))
    assert report.days_expired == {"events": 0, "severity_timeseries": 0}  # nothing deleted
    assert report.days_skipped == {"events": 2, "severity_timeseries": 2}
    assert report.rows_expired["events"] == 2
    assert not (warehouse / ".staging").exists() or not any((warehouse / ".staging").iterdir())
    assert published_events(tmp_path)["message"].to_pylist() == ["new failure"]
    expired = pq.read_table(warehouse / EXPIRED).to_pylist()
    by_key = {(r["dataset"], r["date"]): r for r in expired}
    assert by_key[("events", "2015-03-01")]["error"] == 1
    assert by_key[("events", "2015-03-02")]["warn"] == 1
    assert by_key[("severity_timeseries", "2015-03-01")]["info"] == 1
    assert all(run_check(check, tmp_path).passed for check in CHECKS)
