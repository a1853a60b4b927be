"""Split ranges: pieces scanned apart add up to one scan of the whole range."""

from __future__ import annotations

from pathlib import Path

import pytest

from logingest_dagster.engine.scan import range_scanner as scan_module
from logingest_dagster.engine.scan import split as split_module
from logingest_dagster.engine.scan.range_scanner import (
    SNIFF_BYTES,
    RangeScanner,
    ScanOptions,
    ScanResult,
    scan_range,
    sniff,
)
from logingest_dagster.engine.scan.split import Piece, merge_results, split_range
from tests.engine.test_scan import LINES, TEXT

TRACES = """\
2026-11-26 12:00:00,001 INFO  [main] c.f.App - starting
2026-11-26 12:00:00,002 ERROR [main] c.f.App - request failed
java.lang.IllegalStateException: Connection pool shut down
\tat com.acme.Pool.get(Pool.java:12)
Caused by: org.postgresql.util.PSQLException: ERROR: duplicate key value
\t... 12 more
2026-11-26 12:00:00,003 WARN  [main] c.f.App - python below
Traceback (most recent call last):
  File "/app/main.py", line 3, in <module>
    main()
KeyError: 'level'

2026-11-26 12:00:00,004 FATAL [main] c.f.App - go below
goroutine 1 [running]:
main.main()
\t/app/main.go:12 +0x1d
created by net/http.(*Server).Serve in goroutine 1
2026-11-26 12:00:00,005 DEBUG [main] c.f.App - done
plain words with no level
"""


def split_text(crlf: bool = False, tail: str = "") -> bytes:
    text = TRACES * 7 + tail
    return (text.replace("\n", "\r\n") if crlf else text).encode()


def scan_split(path: str, cuts: list[int], start: int = 0, stop=None, final=True, **options):
    """Scan [start, stop) as pieces cut at `cuts` (offsets just after a newline)."""
    opts = ScanOptions(**options)
    data = Path(path).read_bytes()
    fmt = sniff(data[:SNIFF_BYTES], opts)
    bounds = [start, *cuts, stop]
    pieces = []
    for lo, hi in zip(bounds, bounds[1:], strict=False):
        before = None
        if lo != start:
            line_start = max(start, data.rfind(b"\n", 0, lo - 1) + 1)
            before = data[line_start:lo]
        pieces.append(Piece(lo, hi, before))
    results = [
        RangeScanner(
            path,
            p.start,
            p.stop,
            final=final if i == len(pieces) - 1 else True,
            options=opts,
            fmt=fmt,
            before=p.before,
        ).run()
        for i, p in enumerate(pieces)
    ]
    return merge_results(path, start, pieces, results)


def key(r: ScanResult) -> tuple:
    return (r.start, r.end, r.lines, r.counts, r.format, r.error, r.long_lines)


@pytest.mark.parametrize("crlf", [False, True], ids=["lf", "crlf"])
@pytest.mark.parametrize("tail", ["", "2026-11-26 12:00:01,000 ERROR [main] c.f.App - partial"])
def test_every_single_cut_point_gives_the_whole_scan(tmp_path, crlf, tail):
    path = tmp_path / "traces.log"
    data = split_text(crlf, tail)
    path.write_bytes(data)
    for final in (True, False):
        whole = scan_range(str(path), final=final)
        assert whole.records > 0
        cuts = [i + 1 for i, byte in enumerate(data) if byte == 10 and i + 1 < len(data)]
        for cut in cuts:
            assert key(scan_split(str(path), [cut], final=final)) == key(whole)


def test_many_cuts_and_a_range_inside_the_file(tmp_path):
    path = tmp_path / "traces.log"
    data = split_text()
    path.write_bytes(data)
    newlines = [i + 1 for i, byte in enumerate(data) if byte == 10]
    start, stop = 100, len(data) - 50  # neither at a line boundary
    whole = scan_range(str(path), start, stop, final=False)
    inside = [c for c in newlines if start < c < stop]
    for step in (1, 2, 3, 5, 11):
        assert key(scan_split(str(path), inside[::step], start, stop, final=False)) == key(whole)


def test_multiline_start_pattern_with_cuts(tmp_path):
    path = tmp_path / "traces.log"
    data = split_text()
    path.write_bytes(data)
    options = {"multiline_start_pattern": r"^\d{4}-"}
    whole = scan_range(str(path), options=ScanOptions(**options))
    newlines = [i + 1 for i, byte in enumerate(data) if byte == 10][:-1]
    for step in (1, 4, 9):
        assert key(scan_split(str(path), newlines[::step], **options)) == key(whole)


@pytest.mark.parametrize("pieces", [2, 3, 4, 7, 16, 50, 1000])
def test_split_range_cuts_at_line_ends_and_adds_up(tmp_path, pieces):
    path = tmp_path / "traces.log"
    data = split_text(tail="2026-11-26 12:00:01,000 ERROR [main] c.f.App - partial")
    path.write_bytes(data)
    fmt, parts = split_range(str(path), 0, None, pieces)
    assert fmt.name == scan_range(str(path)).format
    assert len(parts) <= pieces and parts[0].start == 0 and parts[-1].stop is None
    for prev, part in zip(parts, parts[1:], strict=False):
        assert prev.stop == part.start and data[part.start - 1] == 10
        assert data[: part.start].endswith(part.before)
    for final in (True, False):
        results = [
            RangeScanner(
                str(path), p.start, p.stop, final=final or p is not parts[-1], fmt=fmt,
                before=p.before,
            ).run()
            for p in parts
        ]  # fmt: skip
        whole = scan_range(str(path), final=final)
        assert key(merge_results(str(path), 0, parts, results)) == key(whole)


def test_no_cut_after_a_line_too_long_to_read_back(tmp_path, monkeypatch):
    monkeypatch.setattr(split_module, "SPLIT_WINDOW", 256)
    path = tmp_path / "long.log"
    long_line = "2026-11-26 12:00:00,000 INFO [main] a - " + "x" * 2000 + "\n"
    # Short lines, then long ones (most of the file), then short ones again: the planned cuts
    # that fall among the long lines are dropped, the others are made.
    path.write_text("".join(LINES[:40]) + long_line * 3 + "".join(LINES[40:80]))
    split = split_range(str(path), 0, None, 8)
    assert split is not None
    _, parts = split
    assert 2 <= len(parts) < 8
    for part in parts[1:]:
        assert part.before in {line.encode() for line in LINES}


def test_over_long_lines_are_counted_the_same_in_pieces(tmp_path, monkeypatch):
    monkeypatch.setattr(scan_module, "MAX_LINE_BYTES", 300)
    monkeypatch.setattr(scan_module, "LONG_LINE_PREFIX", 100)
    path = tmp_path / "long.log"
    long_line = "2026-11-26 12:00:00,000 ERROR [main] a - " + "x" * 5000 + "\n"
    path.write_text(TEXT + long_line + TEXT + long_line + TEXT)
    opts = {"chunk_size": 64}
    whole = scan_range(str(path), options=ScanOptions(**opts))
    assert whole.long_lines == 2
    data = path.read_bytes()
    newlines = [i + 1 for i, byte in enumerate(data) if byte == 10][:-1]
    short = [c for c in newlines if data.rfind(b"\n", 0, c - 1) > c - 300]
    for step in (1, 7, 50):
        assert key(scan_split(str(path), short[::step], **opts)) == key(whole)


def test_split_range_declines_what_it_cannot_cut(tmp_path):
    binary = tmp_path / "bin.log"
    binary.write_bytes(b"\x00\x01" * 1000)
    assert split_range(str(binary), 0, None, 4) is None
    assert split_range(str(tmp_path / "missing.log"), 0, None, 4) is None
    one = tmp_path / "one.log"
    one.write_text("a single line with no newline")
    assert split_range(str(one), 0, None, 4) is None


def test_merge_results_stops_at_the_first_unfinished_piece(tmp_path):
    log = str(tmp_path / "app.log")
    Path(log).write_text(TEXT)
    cut = sum(map(len, LINES[:40]))
    fmt = sniff(TEXT.encode()[:SNIFF_BYTES], ScanOptions())
    pieces = [Piece(0, cut, None), Piece(cut, None, LINES[39].encode())]
    first = RangeScanner(log, 0, cut, fmt=fmt).run()
    second = RangeScanner(log, cut, None, fmt=fmt, before=pieces[1].before).run()
    partial = merge_results(log, 0, pieces, [first, None])
    assert partial.interrupted and (partial.end, partial.lines) == (cut, 40)
    whole = merge_results(log, 0, pieces, [first, second])
    assert not whole.interrupted and key(whole) == key(scan_range(log))
    second.error = "OSError: gone"
    failed = merge_results(log, 0, pieces, [first, second])
    assert failed.error == "OSError: gone" and (failed.end, failed.records) == (0, 0)
