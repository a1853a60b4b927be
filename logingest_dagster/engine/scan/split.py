"""One large byte range cut into pieces that threads scan at once, and their results joined.

Scanning the pieces (`RangeScanner(..., fmt=, before=)`) and adding up their results
(`merge_results`) counts exactly what one scan of the whole range counts: each cut is at a line
end, every piece uses the format detected once for the file, and each piece after the first is
primed with the line before it (the continuation state is one line deep).
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass

from logingest_dagster.engine.scan.formats import LogFormat
from logingest_dagster.engine.scan.range_scanner import detect_head
from logingest_dagster.engine.scan.result import ScanOptions, ScanResult

# How far from a planned cut a split looks for a line end, and for the start of the line before it.
SPLIT_WINDOW = 64 << 10


@dataclass(frozen=True)
class Piece:
    """One part of a split range: `[start, stop)`, and the line before `start` (None: the range's
    own start, which has no line before it)."""

    start: int
    stop: int | None
    before: bytes | None


def split_range(
    path: str,
    start: int,
    stop: int | None,
    pieces: int,
    options: ScanOptions | None = None,
    fmt: LogFormat | None = None,
) -> tuple[LogFormat, list[Piece]] | None:
    """Cut `[start, stop)` of an uncompressed file into up to `pieces` ranges at line ends.

    A cut goes just after the first newline at or after its planned offset, and only where the
    line before it is shorter than SPLIT_WINDOW, so that line is read back whole (its state
    carries into the next piece) and is never one of the over-long lines a scan skips. None
    where the range should be scanned in one piece (a binary file, an unreadable one, nothing
    to cut, a UTF-16 file); the scan itself then reports what is wrong. `fmt`: the file's format
    when it is already known (stored from an earlier read of a file read as bytes); else it is
    detected from the file's head.
    """
    options = options or ScanOptions()
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            return None
        end = st.st_size if stop is None else min(stop, st.st_size)
        with open(path, "rb", buffering=0) as f:
            fd = f.fileno()
            if fmt is None:
                head = detect_head(f, options)
                if head.fmt is None or head.encoding is not None:
                    return None  # binary, or UTF-16: cut at `\n` bytes, a code unit may split
                fmt = head.fmt
            out: list[Piece] = []
            lo, before = start, None
            for i in range(1, pieces):
                target = start + (end - start) * i // pieces
                cut = _cut_near(fd, max(target, lo), lo, end)
                if cut is None:
                    continue
                out.append(Piece(lo, cut[0], before))
                lo, before = cut
    except (OSError, ValueError):
        return None
    if not out:
        return None
    out.append(Piece(lo, stop, before))
    return fmt, out


def _cut_near(fd: int, target: int, lo: int, end: int) -> tuple[int, bytes] | None:
    """(offset just after the first newline at or after `target`, the line that newline ends),
    or None. The line starts no earlier than `lo` (a scan's start is a line start)."""
    base = max(lo, target - SPLIT_WINDOW)
    window = os.pread(fd, min(end, target + SPLIT_WINDOW) - base, base)
    nl = window.find(b"\n", target - base)
    if nl < 0 or base + nl + 1 >= end:
        return None
    prev = window.rfind(b"\n", 0, nl)
    if prev < 0 and base > lo:
        return None  # the line is too long to read back whole here
    return base + nl + 1, window[prev + 1 : nl + 1]


def merge_results(
    path: str, start: int, pieces: list[Piece], results: list, max_events: int = 0
) -> ScanResult:
    """One result for a split range from its pieces' results (in order; None: never ran).

    Counts cover `[start, end)` exactly: they stop at the first piece that did not finish its
    range (interrupted, never run, or the file shrank under it). A failed piece fails the whole.
    Error events are kept in file order, `max_events` of them as for an unsplit read.
    """
    merged = ScanResult(path=path, start=start, end=start)
    counts = merged.counts
    for piece, result in zip(pieces, results, strict=True):
        if result is None:
            merged.interrupted = True
            break
        if result.error:
            failed = ScanResult(path=path, start=start, end=start, format=result.format)
            failed.error = result.error
            return failed
        if not merged.format:  # every piece is scanned with the same format
            merged.format, merged.format_settled = result.format, result.format_settled
        merged.events.extend(result.events, lines_before=merged.lines)
        merged.lines += result.lines
        merged.long_lines += result.long_lines
        merged.service = result.service
        for key, n in result.minute_counts.items():
            merged.minute_counts[key] = merged.minute_counts.get(key, 0) + n
        for level, n in result.counts.items():
            counts[level] += n
        merged.end = result.end
        if result.interrupted:
            merged.interrupted = True
            break
        if piece.stop is not None and result.end != piece.stop:
            break  # the file changed under the scan: what follows is not contiguous
    merged.events.keep_first(max_events)
    return merged
