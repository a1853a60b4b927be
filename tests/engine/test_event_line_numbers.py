"""An event found in a later append knows its line number in the file: the offset row carries
the lines before its offset, and the next read's numbers go on from them."""

from __future__ import annotations

import time

from lifecycle_driver import run_pipeline

from logingest_dagster.engine.state import open_store
from tests.helpers import published_events

STAMP = "2026-01-05 10:00:00,000"


def write(path, levels) -> None:
    with open(path, "a") as f:
        for i, level in enumerate(levels):
            f.write(f"{STAMP} {level} [main] c.a.B - line {i}\n")


def line_numbers(home) -> list[tuple[str, int | None]]:
    events = published_events(home).sort_by("offset").to_pylist()
    return [(e["level"], e["line_number"]) for e in events]


def test_events_of_later_appends_carry_their_line_in_the_file(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    log = logs / "a.log"
    write(log, ["INFO", "INFO", "WARN", "INFO"])  # WARN on line 3
    run_pipeline(tmp_path, [logs], write_parquet=True)
    write(log, ["INFO", "ERROR", "INFO"])  # ERROR on line 6
    run_pipeline(tmp_path, [logs], write_parquet=True)
    write(log, ["FATAL"])  # line 8
    run_pipeline(tmp_path, [logs], write_parquet=True)
    assert line_numbers(tmp_path) == [("WARN", 3), ("ERROR", 6), ("FATAL", 8)]


def test_a_held_back_last_line_is_numbered_when_it_is_read(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    log = logs / "a.log"
    write(log, ["INFO", "WARN"])
    with open(log, "a") as f:
        f.write(f"{STAMP} ERROR [main] c.a.B - no newline yet")  # line 3, held back
    run_pipeline(tmp_path, [logs], write_parquet=True)
    with open(log, "a") as f:
        f.write(" ...done\n")
    write(log, ["ERROR"])  # line 4
    run_pipeline(tmp_path, [logs], write_parquet=True)
    assert line_numbers(tmp_path) == [("WARN", 2), ("ERROR", 3), ("ERROR", 4)]


def test_a_row_from_before_the_line_count_leaves_later_lines_unnumbered(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    log = logs / "a.log"
    write(log, ["WARN"])
    run_pipeline(tmp_path, [logs], write_parquet=True)
    with open_store(tmp_path) as store, store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE offsets SET committed_lines = NULL")  # as migration 6 adds it
    write(log, ["ERROR"])
    run_pipeline(tmp_path, [logs], write_parquet=True, now=time.time())
    assert line_numbers(tmp_path) == [("WARN", 1), ("ERROR", None)]
