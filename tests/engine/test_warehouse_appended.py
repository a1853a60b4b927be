"""events/ and severity_timeseries/: appended per commit, compacted atomically, expired whole."""

from __future__ import annotations

import os
import stat
import time
from datetime import UTC, datetime

import pyarrow.dataset as ds
from lifecycle_driver import LogWriter, run_pipeline

from logingest_dagster.engine.state.store import open_store
from logingest_dagster.engine.warehouse.appended import publish_appended
from logingest_dagster.engine.warehouse.partitions import day_dirs, parquet_files
from tests.helpers import published_events, timeseries_sums

TRACE = (
    "2026-11-26 12:00:01,500 ERROR [main] org.example.Disk: disk full\n"
    "java.io.IOException: disk full\n"
    "\tat a.b.C.d(C.java:1)\n"
    "2026-11-26 12:00:02,000 INFO [main] org.example.App: ok\n"
)


def append_today(path, n: int, start: int = 0) -> None:
    """`n` lines dated now (today's partition is open, so no compaction touches it)."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
    levels = ("INFO", "WARN", "ERROR")
    with open(path, "a") as f:
        for i in range(start, start + n):
            f.write(f"{stamp},000 {levels[i % 3]} app.worker: event {i}\n")


def files_of(dataset) -> dict[str, tuple[int, int]]:
    """Every part file: its inode and modification time."""
    return {
        str(p): (p.stat().st_ino, p.stat().st_mtime_ns)
        for day in day_dirs(dataset).values()
        for p in parquet_files(day)
    }


def test_a_run_appends_new_part_files_and_leaves_the_old_ones(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    append_today(logs / "a.log", 30)
    run_pipeline(tmp_path, [logs], write_parquet=True)
    events_dir = tmp_path / "warehouse" / "events"
    before = files_of(events_dir)
    append_today(logs / "a.log", 30, start=30)
    run_pipeline(tmp_path, [logs], write_parquet=True)
    after = files_of(events_dir)
    assert {k: after[k] for k in before} == before  # untouched
    assert len(after) == len(before) + 1
    for path in after:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o644
    assert len(published_events(tmp_path)) == 40  # WARN and ERROR of 60 lines


def test_an_event_is_its_whole_record_with_its_time_logger_and_line(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "api.log").write_text(TRACE)
    run_pipeline(tmp_path, [logs], write_parquet=True)
    [event] = published_events(tmp_path).to_pylist()
    assert event["record"] == TRACE.split("\n2026-11-26 12:00:02")[0]
    assert event["time"].isoformat() == "2026-11-26T12:00:01.500000+00:00"
    assert event["time_source"] == "logged" and event["date"] == "2026-11-26"
    assert (event["logger"], event["message"]) == ("org.example.Disk", "disk full")
    assert (event["line_number"], event["offset"], event["service"]) == (1, 0, "api")
    assert not event["truncated"]


def test_event_ids_are_the_same_when_the_same_bytes_are_read_again(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    LogWriter().append(logs / "a.log", 30)
    run_pipeline(tmp_path, [logs], write_parquet=True)
    first = sorted(published_events(tmp_path)["event_id"].to_pylist())
    with open_store(tmp_path) as store:
        store.reset()
    run_pipeline(tmp_path, [logs], write_parquet=True)
    again = sorted(published_events(tmp_path)["event_id"].to_pylist())
    assert again == sorted(first + first)  # the re-read's duplicates are recognisable by id


def test_compaction_merges_a_closed_day_into_one_file_with_the_same_rows(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    for run in range(3):  # three commits: three part files in today's partition
        append_today(logs / "a.log", 30, start=30 * run)
        run_pipeline(tmp_path, [logs], write_parquet=True)
    [day] = day_dirs(tmp_path / "warehouse" / "events").values()
    assert len(parquet_files(day)) == 3
    rows = sorted(published_events(tmp_path)["event_id"].to_pylist())
    sums = timeseries_sums(tmp_path)
    with open_store(tmp_path) as store:
        tomorrow = time.time() + 86_400  # the day is closed
        report = publish_appended(tmp_path / "warehouse", store, retention_days=0, now=tomorrow)
    assert report.days_compacted == {"events": 1, "severity_timeseries": 1, "severity_history": 1}
    assert [p.name for p in parquet_files(day)] == ["compacted-000000000003.parquet"]
    assert sorted(published_events(tmp_path)["event_id"].to_pylist()) == rows
    assert timeseries_sums(tmp_path) == sums
    assert not any((tmp_path / "warehouse" / ".staging").iterdir())


def test_retention_deletes_whole_old_days_and_records_them(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    writer = LogWriter()
    writer.append(logs / "a.log", 30)
    run_pipeline(tmp_path, [logs], write_parquet=True)  # 2024 lines, kept (retention 0)
    with open_store(tmp_path) as store:
        report = publish_appended(tmp_path / "warehouse", store, retention_days=30)
    assert report.days_expired == {"events": 1, "severity_timeseries": 1}
    assert published_events(tmp_path).num_rows == 0
    expired = ds.dataset(tmp_path / "warehouse" / "expired.parquet").to_table().to_pylist()
    by_dataset = {row["dataset"]: row for row in expired}
    totals = writer.totals()
    assert by_dataset["events"]["rows"] == totals["WARN"] + totals["ERROR"] + totals["FATAL"]
    assert {lv: by_dataset["severity_timeseries"][lv.lower()] for lv in totals} == totals


def test_a_commit_left_unpublished_is_published_by_the_next_publish(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    writer = LogWriter()
    writer.append(logs / "a.log", 30)
    run_pipeline(tmp_path, [logs])  # committed, never published (a run killed right after)
    assert not (tmp_path / "warehouse" / "events").exists()
    writer.append(logs / "a.log", 30)
    run_pipeline(tmp_path, [logs], write_parquet=True)
    totals = writer.totals()
    assert len(published_events(tmp_path)) == totals["WARN"] + totals["ERROR"] + totals["FATAL"]
    assert timeseries_sums(tmp_path) == totals
    with open_store(tmp_path) as store, store.pending_publication() as pending:
        assert pending == []
