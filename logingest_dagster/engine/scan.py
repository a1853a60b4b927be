"""The hot path: read a byte range of one file in chunks and count its records per level.

`scan_range(path, start, stop)` is a pure function of the file's bytes: it reads only
`[start, stop)`, in bounded memory, and says where the next read must start (`end`). It never
raises for a bad file; the result carries an `error` instead, so one broken file never sinks a run.
"""

from __future__ import annotations

import gzip
import logging
import os
from dataclasses import dataclass, field
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from logingest_dagster.engine.formats import PLAIN, LogFormat, custom_format, detect_format
from logingest_dagster.engine.levels import empty_counts
from logingest_dagster.engine.records import BLANK, CONTINUATION, LineBlock, RecordCounter

log = logging.getLogger(__name__)

SNIFF_BYTES = 64 << 10
SNIFF_LINES = 400
# Longer lines are counted whole but only this prefix is classified, so memory stays bounded.
MAX_LINE_BYTES = 1 << 20
LONG_LINE_PREFIX = 64 << 10


@dataclass
class ScanOptions:
    level_pattern: str | None = None  # per-directory override: regex with (?P<level>...)
    multiline_start_pattern: str | None = None
    chunk_size: int = 4 << 20


@dataclass
class ScanResult:
    path: str
    start: int
    end: int  # where the next read must start: just after the last consumed line
    lines: int = 0
    counts: dict[str, int] = field(default_factory=empty_counts)
    format: str = ""
    error: str | None = None
    interrupted: bool = False

    @property
    def bytes_read(self) -> int:
        return self.end - self.start

    @property
    def records(self) -> int:
        return sum(self.counts.values())


def scan_range(
    path: str,
    start: int = 0,
    stop: int | None = None,
    *,
    final: bool = True,
    compressed: bool = False,
    options: ScanOptions | None = None,
) -> ScanResult:
    """Count the records in bytes `[start, stop)` of `path` (`stop=None`: to the end).

    `final=False` holds back a last line with no newline (the writer may still be writing it):
    `end` then stays at that line's start so the next run reads it whole, once.
    """
    scanner = RangeScanner(path, start, stop, final=final, compressed=compressed, options=options)
    return scanner.run()


class RangeScanner:
    """`scan_range` as an object whose `result` stays readable if the scan is interrupted."""

    def __init__(
        self,
        path: str,
        start: int = 0,
        stop: int | None = None,
        *,
        final: bool = True,
        compressed: bool = False,
        options: ScanOptions | None = None,
    ) -> None:
        self.path, self.start, self.stop = path, start, stop
        self.final, self.compressed = final, compressed
        self.options = options or ScanOptions()
        self.result = ScanResult(path=path, start=start, end=start)
        self._counter: RecordCounter | None = None

    def run(self) -> ScanResult:
        try:
            with self._open() as f:
                fmt = self._sniff(f)
                if fmt is None:
                    return self.result
                self.result.format = fmt.name
                self._counter = RecordCounter(fmt, self.options.multiline_start_pattern)
                f.seek(self.start)
                self._read(f)
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            self._fail(
                f"{type(exc).__name__}: {exc.strerror if isinstance(exc, OSError) and exc.strerror else exc}"
            )
        except BaseException:
            # Interrupted (Ctrl+C, a terminated Dagster run): keep what was counted so far.
            self.result.interrupted = True
            self._publish()
            raise
        return self.result

    def _open(self) -> BinaryIO:
        if os.path.isdir(self.path):
            raise IsADirectoryError(21, "is a directory", self.path)
        if self.compressed:
            return gzip.open(self.path, "rb")
        return open(self.path, "rb", buffering=0)  # noqa: SIM115 - closed by the caller's with

    def _sniff(self, f: BinaryIO) -> LogFormat | None:
        head = f.read(SNIFF_BYTES)
        if b"\x00" in head:
            self._fail("binary file (NUL bytes near its start): skipped")
            return None
        if self.options.level_pattern:
            return custom_format(self.options.level_pattern)
        cut = head.rfind(b"\n")
        if cut < 0:
            return PLAIN if not head else detect_format(_lines_of(head + b"\n"))
        sample = _lines_of(memoryview(head)[: cut + 1])
        if len(sample) > SNIFF_LINES:
            sample = sample.slice(0, SNIFF_LINES)
        not_record = pc.or_(
            pc.match_substring_regex(sample, CONTINUATION), pc.match_substring_regex(sample, BLANK)
        )
        return detect_format(sample, pc.invert(not_record))

    def _read(self, f: BinaryIO) -> None:
        chunk_size = self.options.chunk_size
        pos = self.start  # file offset of carry[0]
        carry = b""
        long_line_prefix: bytes | None = None  # set while skipping the rest of an over-long line
        long_line_start = 0
        remaining = None if self.stop is None else max(0, self.stop - self.start)
        while remaining is None or remaining > 0:
            want = chunk_size if remaining is None else min(chunk_size, remaining)
            chunk = f.read(want)
            if not chunk:
                break  # end of file (it may have shrunk since discovery)
            if remaining is not None:
                remaining -= len(chunk)
            if long_line_prefix is not None:
                nl = chunk.find(b"\n")
                if nl < 0:
                    pos += len(chunk)
                    continue
                self._count(long_line_prefix + b"\n")
                pos += nl + 1
                self.result.end = pos
                long_line_prefix = None
                chunk = chunk[nl + 1 :]
            data = carry + chunk if carry else chunk
            last_nl = data.rfind(b"\n")
            if last_nl >= 0:
                self._count(memoryview(data)[: last_nl + 1])
                pos += last_nl + 1
                self.result.end = pos
                carry = data[last_nl + 1 :]
            else:
                carry = data
            if len(carry) > MAX_LINE_BYTES:
                long_line_prefix, long_line_start = carry[:LONG_LINE_PREFIX], pos
                pos += len(carry)
                carry = b""
            self._publish()

        if long_line_prefix is not None:
            if self.final:
                self._count(long_line_prefix + b"\n")
                self.result.end = pos
            else:
                self.result.end = long_line_start
        elif carry and self.final:
            self._count(carry + b"\n")
            self.result.end = pos + len(carry)
        self._publish()

    def _count(self, data: bytes | memoryview) -> None:
        assert self._counter is not None
        self._counter.add(LineBlock.from_buffer(memoryview(data), _newlines(data)))

    def _publish(self) -> None:
        if self._counter is not None:
            self.result.lines = self._counter.lines
            self.result.counts = self._counter.counts()

    def _fail(self, reason: str) -> None:
        log.warning("skipping %s: %s", self.path, reason)
        self.result.error = reason
        self.result.end = self.start
        self.result.lines = 0
        self.result.counts = empty_counts()


def _newlines(data: bytes | memoryview) -> np.ndarray:
    return np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10)


def _lines_of(data: bytes | memoryview) -> pa.Array:
    return LineBlock.from_buffer(memoryview(data), _newlines(data)).lines
