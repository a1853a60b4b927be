"""scan_range's contract: the byte range it reads, where the next read starts, and a result that
stays readable when the scan is interrupted."""

from __future__ import annotations

import pytest

from logingest_dagster.engine.scan import RangeScanner, ScanOptions, ScanResult, scan_range

LINES = [f"2026-11-26 12:00:{i % 60:02d},000 {lvl} [main] a - m{i}\n" for i, lvl in
         enumerate(["INFO", "WARN", "ERROR", "DEBUG"] * 25)]  # fmt: skip
TEXT = "".join(LINES)


@pytest.fixture
def log(tmp_path):
    path = tmp_path / "app.log"
    path.write_text(TEXT)
    return str(path)


def nonzero(counts: dict[str, int]) -> dict[str, int]:
    return {level: n for level, n in counts.items() if n}


def test_whole_file(log):
    result = scan_range(log)
    assert isinstance(result, ScanResult)
    assert (result.start, result.end, result.lines, result.error) == (0, len(TEXT), 100, None)
    assert nonzero(result.counts) == {"DEBUG": 25, "INFO": 25, "WARN": 25, "ERROR": 25}
    assert result.bytes_read == len(TEXT) and result.records == 100
    assert result.format == "bracket_column2"


def test_stop_inside_a_line(log):
    stop = len(LINES[0]) + 10
    held = scan_range(log, 0, stop, final=False)
    assert (held.end, held.lines) == (len(LINES[0]), 1)  # the cut line waits for the next read
    counted = scan_range(log, 0, stop, final=True)
    assert (counted.end, counted.lines) == (stop, 2)


def test_unfinished_last_line_is_held_back_unless_final(tmp_path):
    path = tmp_path / "growing.log"
    path.write_text(TEXT + "2026-11-26 12:00:00,000 FATAL [main] a - still being writ")
    held = scan_range(str(path), final=False)
    assert (held.end, held.counts["FATAL"]) == (len(TEXT), 0)
    final = scan_range(str(path))
    assert (final.end, final.counts["FATAL"]) == (path.stat().st_size, 1)


def test_incremental_ranges_add_up_to_the_whole(log):
    whole = scan_range(log)
    total = dict.fromkeys(whole.counts, 0)
    start, lines = 0, 0
    for stop in range(0, len(TEXT) + 700, 700):
        part = scan_range(log, start, min(stop, len(TEXT)), final=False)
        assert part.start == start and part.end >= start
        for level, n in part.counts.items():
            total[level] += n
        start, lines = part.end, lines + part.lines
    assert (start, lines, total) == (len(TEXT), 100, whole.counts)


def test_format_comes_from_the_start_of_the_file(log):
    # A read from the middle still uses the format the whole file was detected as.
    assert scan_range(log, start=len(TEXT) // 2).format == scan_range(log).format


@pytest.mark.parametrize("chunk_size", [1, 13, 100, 4096])
def test_chunk_size_does_not_change_the_result(log, chunk_size):
    result = scan_range(log, options=ScanOptions(chunk_size=chunk_size))
    whole = scan_range(log)
    assert (result.end, result.lines, result.counts) == (whole.end, whole.lines, whole.counts)


def test_interrupted_scan_keeps_what_it_counted(log, monkeypatch):
    blocks = 0
    original = RangeScanner._count

    def count_then_interrupt(self, data, offset):
        nonlocal blocks
        blocks += 1
        if blocks == 3:
            raise KeyboardInterrupt
        original(self, data, offset)

    monkeypatch.setattr(RangeScanner, "_count", count_then_interrupt)
    scanner = RangeScanner(log, options=ScanOptions(chunk_size=len(LINES[0]) * 10))
    with pytest.raises(KeyboardInterrupt):
        scanner.run()
    partial = scanner.result
    assert partial.interrupted and partial.error is None
    assert 0 < partial.end < len(TEXT)
    # Exactly the lines before `end` were counted: resuming from `end` completes the file.
    rest = scan_range(log, partial.end)
    assert partial.lines + rest.lines == 100
    assert partial.records + rest.records == 100


def test_cancel_stops_at_the_next_chunk(log, monkeypatch):
    original = RangeScanner._count

    def count_then_cancel(self, data, offset):
        original(self, data, offset)
        self.cancel()

    monkeypatch.setattr(RangeScanner, "_count", count_then_cancel)
    result = RangeScanner(log, options=ScanOptions(chunk_size=len(LINES[0]) * 10)).run()
    assert result.interrupted and result.error is None
    assert 0 < result.lines < 20  # stopped after the first chunk's lines
    assert result.end == sum(map(len, LINES[: result.lines]))


def test_missing_file_is_an_error_not_an_exception(tmp_path):
    result = scan_range(str(tmp_path / "nope.log"), 5, 100)
    assert result.error and "No such file" in result.error
    assert (result.start, result.end, result.records) == (5, 5, 0)
