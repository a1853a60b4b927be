"""The time an error event was logged, read from the head of its line."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from logingest_dagster.engine.scan import ScanOptions, scan_range
from logingest_dagster.engine.scan.timestamps import leading_timestamp


def utc(*args: int) -> float:
    return datetime(*args, tzinfo=UTC).timestamp()


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("2024-03-24 09:34:11,027 ERROR [main] c.a.Service - boom", utc(2024, 3, 24, 9, 34, 11, 27000)),
        ('{"level":"error","time":"2026-11-26T12:00:00.123456789Z","msg":"x"}', utc(2026, 11, 26, 12, 0, 0, 123456)),
        ("time=2026-11-26T13:00:00+01:00 level=error msg=x", utc(2026, 11, 26, 12)),
        ("2026-11-26T05:00:00-0700 ERROR x", utc(2026, 11, 26, 12)),
        ("2026-11-26 12:00:00 -0700 ERROR x", utc(2026, 11, 26, 19)),
        ("2026/11/26 12:00:00 [error] 7#7: *1 open() failed", utc(2026, 11, 26, 12)),
        ("2026-11-26 12:00:00.5 UTC [42] ERROR:  relation does not exist", utc(2026, 11, 26, 12, 0, 0, 500000)),
        ("2026-11-26 12:00:00 GMT ERROR x", utc(2026, 11, 26, 12)),
        # No zone: taken as UTC.
        ("2026-11-26 12:00:00 ERROR x", utc(2026, 11, 26, 12)),
        # Not a zone: a number after the time that is not an offset.
        ("2026-11-26 12:00:00 -12 items left", utc(2026, 11, 26, 12)),
        # No year, or no date-time at all: no guess.
        ("E1126 12:00:00.123456   42 main.go:1] boom", None),
        ("Nov 26 12:00:00 host app[1]: error: x", None),
        ("081109 203615 148 ERROR dfs.DataNode: x", None),
        ("ERROR something failed", None),
        # Not a date: month 13; a longer number; past the head of the line.
        ("2026-13-26 12:00:00 ERROR x", None),
        ("12026-11-26 12:00:00 ERROR x", None),
        ("x" * 200 + " 2026-11-26 12:00:00", None),
    ],
)  # fmt: skip
def test_leading_timestamp(line, expected):
    assert leading_timestamp(line) == expected


def test_a_scans_error_events_carry_the_time_their_lines_give(tmp_path):
    path = tmp_path / "app.log"
    path.write_text(
        "2026-11-26 12:00:00,250 INFO started\n"
        "2026-11-26 12:00:01,500 ERROR disk full\n"
        "java.io.IOException: disk full\n"
        "\tat a.b.C.d(C.java:1)\n"
        "2026-11-26 12:00:02,000 FATAL giving up\n"
    )
    result = scan_range(str(path), options=ScanOptions(max_events=10))
    assert [(e.level, e.time / 1e6) for e in result.events] == [
        ("ERROR", utc(2026, 11, 26, 12, 0, 1, 500000)),
        ("FATAL", utc(2026, 11, 26, 12, 0, 2)),
    ]


@pytest.mark.usefixtures("time_engine")
@pytest.mark.parametrize(
    ("line", "minute", "time"),
    [
        # 19 digits past int64 (the RE2 path's int64 cast failed the read): nanoseconds.
        ('{"time": 9999999999999999999, "level": "error"}', 9_999_999_960, 9_999_999_999_999_999),
        # An offset taking the time before year 1 (`datetime` overflowed and failed the read).
        ("0001-01-01 00:30:00+01:00 ERROR x", None, None),
        ("9999-12-31 23:30:00-01:00 ERROR x", None, None),
    ],
)
def test_a_time_at_the_ends_of_the_range_fails_no_read(tmp_path, line, minute, time):
    path = tmp_path / "app.log"
    path.write_text(f"{line}\n")
    result = scan_range(str(path), options=ScanOptions(max_events=10, minute_counts=True))
    assert result.error is None
    assert result.minute_counts == {(-1 if minute is None else minute, "ERROR"): 1}
    assert [event.time for event in result.events] == [time]
