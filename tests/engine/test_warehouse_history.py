"""severity_history/ is appended per commit: old parts untouched, each commit published once."""

from __future__ import annotations

import os
import shutil

import pytest
from lifecycle_driver import LogWriter, run_pipeline

from logingest_dagster.engine.levels import LEVELS
from logingest_dagster.engine.state import open_store
from logingest_dagster.engine.warehouse import CHECKS, history, publish, run_check
from logingest_dagster.engine.warehouse.partitions import write_commit_parts
from tests.helpers import parquet_totals, read_history

HISTORY_CHECK = next(c for c in CHECKS if c.asset == "severity_history")


def parts(home) -> list:
    return sorted((home / "warehouse" / history.NAME).glob("date=*/*.parquet"))


def assert_sums_to_totals(home) -> None:
    rows = read_history(home / "warehouse" / history.NAME).to_pylist()
    totals = parquet_totals(home)
    assert {level: sum(r[level.lower()] for r in rows) for level in LEVELS} == totals
    assert run_check(HISTORY_CHECK, home).passed


def test_a_run_appends_its_row_and_leaves_earlier_parts_untouched(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    writer = LogWriter()
    writer.append(logs / "a.log", 5)
    run_pipeline(tmp_path, [logs], write_parquet=True, run_id="first")
    [first] = parts(tmp_path)
    before = first.stat()
    writer.append(logs / "a.log", 3)
    run_pipeline(tmp_path, [logs], write_parquet=True, run_id="second")
    after = first.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert len(parts(tmp_path)) == 2
    rows = read_history(tmp_path / "warehouse" / history.NAME).to_pylist()
    assert [(r["run_id"], r["lines"]) for r in rows] == [("first", 5), ("second", 3)]
    assert_sums_to_totals(tmp_path)


def test_a_publish_with_no_new_commit_writes_no_history(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    LogWriter().append(logs / "a.log", 2)
    run_pipeline(tmp_path, [logs], write_parquet=True)
    with open_store(tmp_path) as store:
        again = publish(tmp_path, store, retention_days=0)
    assert again.rows["severity_history"] == 0
    assert len(parts(tmp_path)) == 1


def test_a_publisher_killed_before_marking_writes_the_same_part_again(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    LogWriter().append(logs / "a.log", 4)
    run_pipeline(tmp_path, [logs])  # committed, not published
    with (
        open_store(tmp_path) as store,
        pytest.raises(KeyboardInterrupt),
        store.history_to_publish() as commits,
    ):
        table = history.table(commits)
        dataset = tmp_path / "warehouse" / history.NAME
        write_commit_parts(dataset, table, "committed_at", commits[0]["id"])
        raise KeyboardInterrupt  # killed before the mark is committed
    run_pipeline(tmp_path, [logs], write_parquet=True)  # nothing new: one more row
    rows = read_history(tmp_path / "warehouse" / history.NAME).to_pylist()
    assert [r["lines"] for r in rows] == [4, 0]
    assert_sums_to_totals(tmp_path)


def test_the_open_day_is_compacted_once_it_has_many_parts(tmp_path, monkeypatch):
    monkeypatch.setattr(history, "OPEN_DAY_FILES", 3)
    logs = tmp_path / "logs"
    logs.mkdir()
    LogWriter().append(logs / "a.log", 2)
    for _ in range(5):
        run_pipeline(tmp_path, [logs], write_parquet=True)
    names = [p.name for p in parts(tmp_path)]
    assert len(names) <= 3 and any(n.startswith("compacted-") for n in names), names
    assert len(read_history(tmp_path / "warehouse" / history.NAME)) == 5
    assert_sums_to_totals(tmp_path)


def test_a_store_from_before_schema_6_republishes_its_history_into_partitions(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    LogWriter().append(logs / "a.log", 3)
    run_pipeline(tmp_path, [logs], write_parquet=True)
    run_pipeline(tmp_path, [logs], write_parquet=True)
    legacy = tmp_path / "warehouse" / history.LEGACY_FILE
    legacy.write_bytes(b"PAR1 as written before")
    for part in parts(tmp_path):
        os.unlink(part)
    with open_store(tmp_path) as store, store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE published SET history_through = 0")  # as migration 6 sets it
    with open_store(tmp_path) as store:
        publish(tmp_path, store, retention_days=0)
    assert not legacy.exists()
    assert len(read_history(tmp_path / "warehouse" / history.NAME)) == 2
    assert_sums_to_totals(tmp_path)


def test_a_deleted_warehouse_gets_its_whole_history_back(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    LogWriter().append(logs / "a.log", 3)
    run_pipeline(tmp_path, [logs], write_parquet=True)
    run_pipeline(tmp_path, [logs], write_parquet=True)
    shutil.rmtree(tmp_path / "warehouse")  # as before `logingest rebuild`
    with open_store(tmp_path) as store:
        publish(tmp_path, store, retention_days=0)
    assert [
        r["lines"] for r in read_history(tmp_path / "warehouse" / history.NAME).to_pylist()
    ] == [3, 0]
    assert_sums_to_totals(tmp_path)
