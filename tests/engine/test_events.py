"""Events: each record at or above the minimum level, with its offset in the file (here ERROR)."""

from __future__ import annotations

import gzip

from logingest_dagster.engine.scan import ScanOptions, ScanRequest, scan_files, scan_range
from logingest_dagster.engine.scan import range_scanner as scan_module
from logingest_dagster.engine.scan.result import RECORD_BYTES
from tests.engine.test_split import TRACES

EVENTS = ScanOptions(max_events=1000, min_level="ERROR")


def first_lines_at_error_records(text: bytes) -> list[tuple[int, str, str]]:
    """The reference: in TRACES, the records' first lines are the dated ones."""
    found, offset = [], 0
    for line in text.splitlines(keepends=True):
        for level in ("ERROR", "FATAL"):
            if line.startswith(b"2026-") and f" {level} ".encode() in line[:30]:
                found.append((offset, level, line.rstrip(b"\r\n").decode(errors="replace")))
        offset += len(line)
    return found


def first_line(event) -> str:
    return event.record.split(b"\n", 1)[0].rstrip(b"\r").decode(errors="replace")


def as_tuples(result) -> list[tuple[int, str, str]]:
    return [(e.offset, e.level, first_line(e)) for e in result.events]


def test_each_error_and_fatal_record_gives_its_first_line_and_offset(tmp_path):
    path = tmp_path / "app.log"
    text = (TRACES * 5).encode()
    path.write_bytes(text)
    result = scan_range(str(path), options=EVENTS)
    assert as_tuples(result) == first_lines_at_error_records(text)
    assert len(result.events) == result.counts["ERROR"] + result.counts["FATAL"] == 10
    assert result.events.dropped == 0
    for event in result.events:  # continuation lines (`ERROR: duplicate key`) are not events
        assert text[event.offset :].startswith(event.record)


def test_without_max_events_nothing_is_collected(tmp_path):
    path = tmp_path / "app.log"
    path.write_text(TRACES)
    assert len(scan_range(str(path)).events) == 0


def test_beyond_the_limit_events_are_counted_as_dropped(tmp_path):
    path = tmp_path / "app.log"
    text = (TRACES * 5).encode()
    path.write_bytes(text)
    result = scan_range(str(path), options=ScanOptions(max_events=3, min_level="ERROR"))
    assert as_tuples(result) == first_lines_at_error_records(text)[:3]  # the first, in order
    assert result.events.dropped == 7


def test_a_read_from_an_offset_gives_offsets_in_the_file(tmp_path):
    path = tmp_path / "app.log"
    text = (TRACES * 3).encode()
    path.write_bytes(text)
    start = len(TRACES.encode()) * 2
    result = scan_range(str(path), start, options=EVENTS)
    assert as_tuples(result) == [e for e in first_lines_at_error_records(text) if e[0] >= start]


def test_a_split_read_gives_the_events_of_an_unsplit_one(tmp_path):
    path = tmp_path / "big.log"
    text = (TRACES * 400).encode()  # ~440 KB, cut into pieces scanned on two threads
    path.write_bytes(text)
    request = ScanRequest(
        str(path), 0, len(text), options=ScanOptions(max_events=500, min_level="ERROR")
    )
    [split] = scan_files([request], workers=2, split_bytes=64 << 10, split_piece=32 << 10)
    whole = scan_range(
        str(path), 0, len(text), options=ScanOptions(max_events=500, min_level="ERROR")
    )
    assert split.events == whole.events
    assert len(split.events) == 500 and split.events.dropped == whole.events.dropped == 300
    assert list(split.events)[-1].offset == first_lines_at_error_records(text)[499][0]


def test_a_line_too_long_for_the_buffer_gives_its_start(tmp_path, monkeypatch):
    monkeypatch.setattr(scan_module, "MAX_LINE_BYTES", 8192)  # a line is too long past 12 KB
    monkeypatch.setattr(scan_module, "LONG_LINE_PREFIX", 4096)
    path = tmp_path / "app.log"
    long = "2026-11-26 12:00:00,002 ERROR [main] c.f.App - " + "x" * 50_000 + "\n"
    text = TRACES.split("\n", 1)[1] + long + "2026-11-26 12:00:01,000 INFO [main] c.f.App - ok\n"
    path.write_text(text)
    result = scan_range(
        str(path), options=ScanOptions(chunk_size=4096, max_events=10, min_level="ERROR")
    )
    assert result.long_lines == 1
    event = list(result.events)[-1]
    assert event.offset == text.index(long) and event.level == "ERROR"
    assert (
        long.encode().startswith(event.record.rstrip(b"\n")) and len(event.record) <= RECORD_BYTES
    )
    assert event.truncated


def test_a_gzip_read_gives_uncompressed_offsets_and_bad_bytes_are_replaced(tmp_path):
    path = tmp_path / "app.log.1.gz"
    text = TRACES.encode().replace(b"request failed", b"request \xff failed")
    with gzip.open(path, "wb") as f:
        f.write(text)
    result = scan_range(str(path), compressed=True, options=EVENTS)
    offsets = [e[0] for e in first_lines_at_error_records(text)]
    assert [e.offset for e in result.events] == offsets
    assert "request \ufffd failed" in list(result.events)[0].message
