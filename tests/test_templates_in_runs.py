"""Templates in real runs (`logingest run`): every event carries its template, mined in the commit,
with ids that stay the same in a later run (another process, the state read back from the store)."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from tests.helpers import logingest

NOW = datetime.now(UTC).replace(microsecond=0)
LEVELS = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")


def app_lines(first: int, n: int) -> list[str]:
    """n records of six statements, one at each level, their values varying with i."""
    lines = []
    for i in range(first, first + n):
        at = (NOW - timedelta(minutes=n - i % n)).strftime("%Y-%m-%d %H:%M:%S,000")
        level = LEVELS[i % len(LEVELS)]
        lines.append(f"{at} {level} [main] c.e.App: step {i} of job-{i * 7} took {i * 3} ms")
        if level == "ERROR":
            lines += ["java.io.IOException: disk /dev/sda1 full", "\tat c.e.App.run(App.java:9)"]
    return lines


def write(path: Path, lines: list[str]) -> None:
    with path.open("a") as f:
        f.write("\n".join(lines) + "\n")


def run(home: Path, settings: dict) -> None:
    home.mkdir(exist_ok=True)
    config = home / "settings.json"
    config.write_text(json.dumps(settings))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LOGINGEST_", "DAGSTER_"))}
    env["DAGSTER_HOME"] = str(home / "dagster_home")
    result = logingest("run", "--config", str(config), "--home", str(home), env=env)
    assert result.returncode == 0, result.stderr


def events_of(home: Path):
    return ds.dataset(home / "warehouse" / "events", partitioning="hive").to_table()


def templates_of(home: Path) -> dict[str, dict]:
    table = pq.read_table(home / "warehouse" / "templates.parquet")
    return {row["template_id"]: row for row in table.to_pylist()}


@pytest.fixture
def logs(tmp_path) -> Path:
    logs = tmp_path / "logs"
    logs.mkdir()
    write(logs / "app.log", app_lines(0, 60))
    # No level anywhere: every line a record of its own, UNKNOWN.
    write(logs / "plain.log", [f"worker {i} restarted after {i} s" for i in range(10)])
    return logs


def test_with_min_level_trace_every_record_is_an_event_with_a_template(tmp_path, logs):
    home = tmp_path / "home"
    run(home, {"walker": {"log_dirs": [str(logs)]}, "events": {"min_level": "TRACE"}})
    totals = pq.read_table(home / "warehouse" / "severity_totals.parquet").to_pylist()
    records = {row["level"]: row["count"] for row in totals}
    assert all(records[level] > 0 for level in (*LEVELS, "UNKNOWN"))
    events = events_of(home)
    assert events.num_rows == sum(records.values()) == 70
    assert events["template_id"].null_count == events["template"].null_count == 0
    templates = templates_of(home)
    assert set(events["template_id"].to_pylist()) == set(templates)
    assert sum(row["count"] for row in templates.values()) == 70
    by_text = {row["template"]: row for row in templates.values()}
    step = by_text["step <*> of <*> took <*> ms"]  # one statement at six levels
    assert [step[level.lower()] for level in LEVELS] == [10] * 6
    assert by_text["worker <*> restarted after <*> s"]["unknown"] == 10


def test_a_later_run_finds_the_same_templates_under_the_same_ids(tmp_path, logs):
    home = tmp_path / "home"
    settings = {"walker": {"log_dirs": [str(logs)]}, "events": {"min_level": "TRACE"}}
    run(home, settings)
    first = templates_of(home)
    write(logs / "app.log", app_lines(1000, 12))  # new values, the same statement
    run(home, settings)
    later = events_of(home).to_pylist()
    new_ids = {e["template_id"] for e in later if e["path"].endswith("app.log") and e["offset"]}
    assert new_ids <= set(first)
    step = next(t for t, row in templates_of(home).items() if row["template"].startswith("step"))
    assert templates_of(home)[step]["count"] == first[step]["count"] + 12


def test_with_templates_off_events_have_none_and_templates_parquet_is_empty(tmp_path, logs):
    home = tmp_path / "home"
    run(home, {"walker": {"log_dirs": [str(logs)]}, "events": {"templates": False}})
    events = events_of(home)
    assert events.num_rows > 0 and events["template_id"].null_count == events.num_rows
    assert templates_of(home) == {}
