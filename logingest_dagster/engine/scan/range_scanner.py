"""The hot path: read a byte range of one file in chunks and count its records per level.

`scan_range(path, start, stop)` is a pure function of the file's bytes: it reads only
`[start, stop)`, in bounded memory, and says where the next read must start (`end`). It never
raises for a bad file; the result carries an `error` instead, so one broken file never sinks a run.

Chunks are read into one reused buffer (no per-chunk allocation, no `carry + chunk` copy); the
whole lines of each chunk become one Arrow array over that buffer, classified by compiled finders,
RE2 and numpy with no Python per line.
"""

from __future__ import annotations

import contextlib
import gzip
import logging
import mmap
import os
import stat
import threading
import zlib
from typing import BinaryIO, NamedTuple

from logingest_dagster.engine.levels import empty_counts
from logingest_dagster.engine.scan.events import EventCollector
from logingest_dagster.engine.scan.formats import PLAIN, LogFormat, custom_format, detect_format
from logingest_dagster.engine.scan.holes import end_of_hole
from logingest_dagster.engine.scan.lines import newline_positions
from logingest_dagster.engine.scan.minute_counts import MinuteCounter
from logingest_dagster.engine.scan.record_times import RecordTimes
from logingest_dagster.engine.scan.records import LineBlock, RecordCounter, record_mask
from logingest_dagster.engine.scan.result import Events, ScanOptions, ScanResult
from logingest_dagster.engine.scan.utf16 import BOM_BYTES, Utf16Framer, decode_head, encoding_of

log = logging.getLogger(__name__)

BINARY = "binary file (NUL bytes near its start): skipped"
SNIFF_BYTES = 64 << 10
# Detection looks at the first lines of the file, at most this many (and SNIFF_BYTES).
SNIFF_LINES = 96
# A line still unfinished when this many bytes of it are held is skipped to its end: counted
# once, classified by its first LONG_LINE_PREFIX bytes, so memory stays bounded.
MAX_LINE_BYTES = 1 << 20
LONG_LINE_PREFIX = 64 << 10


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


def scan_line_levels(path: str, options: ScanOptions | None = None) -> list[str | None]:
    """Each line's level if it starts a record, else None (a continuation). For tests and
    debugging: a Python list per line, so not for large files."""
    scanner = _LineLevelScanner(path, options=options)
    result = scanner.run()
    if result.error:
        raise OSError(result.error)
    return scanner.levels


class RangeScanner:
    """`scan_range` as an object whose `result` stays readable if the scan is interrupted.

    `cancel()` (from any thread) stops the scan at the next chunk: `run()` then returns what was
    counted so far with `interrupted=True`. A KeyboardInterrupt (or any BaseException) raised
    inside `run()` also leaves `result` with the counts so far, marked interrupted, and propagates.
    """

    def __init__(
        self,
        path: str,
        start: int = 0,
        stop: int | None = None,
        *,
        final: bool = True,
        compressed: bool = False,
        options: ScanOptions | None = None,
        fmt: LogFormat | None = None,
        before: bytes | None = None,
        encoding: str | None = None,
    ) -> None:
        """`fmt`: the file's format, already detected (a piece of a split range), and with it
        `encoding`, the file's (`utf16.py`; None: read as bytes). `before`: the line just before
        `start`, newline included, whose continuation state the first line needs (a piece
        after the first one)."""
        self.path, self.start, self.stop = path, start, stop
        self.final, self.compressed = final, compressed
        self.options = options or ScanOptions()
        self.fmt, self.before, self.encoding = fmt, before, encoding
        self.result = ScanResult(path=path, start=start, end=start)
        self._counter: RecordCounter | None = None
        self._cancelled = False

    def cancel(self) -> None:
        self._cancelled = True

    def run(self) -> ScanResult:
        try:
            mtime = self._check_regular_file()
            with self._open() as f:
                initial = memoryview(b"")
                # A NUL run where the range begins is a hole (holes.py): read from after it. (Its
                # `lseek` moves the file's position: before the head is read, not after.)
                begin = self.start
                if not self.compressed and self.encoding is None:
                    begin = end_of_hole(f.fileno(), self.start, self.stop)
                head, head_at, encoding = None, 0, self.encoding
                if self.fmt is None:
                    head_at = 0 if self.compressed else end_of_hole(f.fileno(), 0, self.stop)
                    f.seek(head_at)
                    head = detect_head(f, self.options)
                    if head.fmt is None:
                        self._fail(BINARY)
                        return self.result
                    fmt, encoding = head.fmt, head.encoding
                    self.result.format_settled = not self.options.level_pattern and head.full
                else:
                    fmt = self.fmt
                    self.result.format_settled = not self.options.level_pattern
                if encoding is not None:  # UTF-16: no holes (a NUL is half a code unit)
                    begin = max(self.start, BOM_BYTES)  # its text starts after the BOM
                    f.seek(begin)
                elif head is not None and head_at <= begin < head_at + len(head.data):
                    initial = memoryview(head.data)[begin - head_at :]
                else:
                    f.seek(begin)
                self.result.format, self.result.encoding = fmt.name, encoding
                options = self.options
                times = RecordTimes(options.timezone, reference=mtime)
                self.result.service = options.service
                self._counter = RecordCounter(
                    fmt,
                    options.multiline_start_pattern,
                    EventCollector(options.max_events, fmt, times, options.min_level)
                    if options.max_events
                    else None,
                    MinuteCounter(times) if options.minute_counts else None,
                )
                if self.before:
                    self._counter.prime(_block_of(self.before))
                if encoding is None:
                    self._read(f, initial, begin)
                else:
                    self._read_decoded(f, begin, encoding)
        except (OSError, EOFError, zlib.error) as exc:
            self._fail(_describe(exc))
        except ValueError as exc:  # a bad per-directory pattern
            self._fail(f"ValueError: {exc}")
        except BaseException:
            # Interrupted (Ctrl+C, a terminated Dagster run): keep what was counted so far.
            self.result.interrupted = True
            self._publish()
            raise
        return self.result

    def _check_regular_file(self) -> float:
        """The file's modification time, once it is known to be a regular file."""
        st = os.stat(self.path)
        if stat.S_ISDIR(st.st_mode):
            raise IsADirectoryError(21, "Is a directory", self.path)
        if not stat.S_ISREG(st.st_mode):
            # A FIFO named `x.log` would block the open forever.
            raise OSError(f"not a regular file (mode {stat.filemode(st.st_mode)})")
        return st.st_mtime

    def _open(self) -> BinaryIO:
        if self.compressed:
            return gzip.open(self.path, "rb")  # type: ignore[return-value]
        return open(self.path, "rb", buffering=0)  # noqa: SIM115 - closed by the caller's with

    def _read(self, f: BinaryIO, initial: memoryview, begin: int) -> None:
        """Count the lines from file offset `begin` (`self.start`, or past a hole there)."""
        chunk_size = max(1, self.options.chunk_size)
        buf = _read_buffer(chunk_size + MAX_LINE_BYTES + 1)
        mv = memoryview(buf)
        pos = begin  # file offset of buf[0]
        self.result.end = begin
        have = 0  # bytes held in buf[:have]: the start of a line not yet complete
        long_prefix: bytes | None = None  # set while skipping the rest of an over-long line
        long_start = 0
        remaining = None if self.stop is None else max(0, self.stop - begin)
        if remaining is not None:
            initial = initial[:remaining]
        while True:
            if self._cancelled:
                self.result.interrupted = True
                self._publish()
                return
            want = chunk_size if remaining is None else min(chunk_size, remaining)
            n = 0
            if len(initial):  # the bytes detection already read, then the rest of the chunk
                n = min(len(initial), want)
                mv[have : have + n] = initial[:n]
                initial = initial[n:]
            if n < want and not len(initial):
                n += f.readinto(mv[have + n : have + want]) or 0
            if not n:
                break  # end of range or of file (it may have shrunk since discovery)
            if remaining is not None:
                remaining -= n
            total = have + n
            begin = 0
            if long_prefix is not None:  # have == 0 while skipping
                nl = buf.find(b"\n", 0, total)
                if nl < 0:
                    pos += total
                    continue
                self._count_long(long_prefix, long_start)
                long_prefix = None
                pos += nl + 1
                self.result.end = pos
                begin = nl + 1
            last = buf.rfind(b"\n", begin, total)
            if last >= 0:
                self._count(mv[begin : last + 1], pos)
                pos += last + 1 - begin
                self.result.end = pos
                begin = last + 1
            have = total - begin
            if have and begin:
                buf[:have] = mv[begin:total].tobytes()  # may overlap: copy via bytes
            if have > MAX_LINE_BYTES:
                long_prefix, long_start = bytes(mv[:LONG_LINE_PREFIX]), pos
                pos += have
                have = 0
            self._publish()

        if long_prefix is not None:
            if self.final:
                self._count_long(long_prefix, long_start)
                self.result.end = pos
            else:
                self.result.end = long_start
        elif have and self.final:
            buf[have] = 10
            self._count(mv[: have + 1], pos)
            self.result.end = pos + have
        self._publish()

    def _read_decoded(self, f: BinaryIO, begin: int, encoding: str) -> None:
        """`_read` for a UTF-16 file: its lines framed on code units, counted as UTF-8."""
        framer = Utf16Framer(
            encoding,
            begin,
            self._count_block,
            self._count_long,
            max_line=2 * MAX_LINE_BYTES,  # UTF-16 takes two bytes for what UTF-8 writes in one
            prefix=LONG_LINE_PREFIX,
        )
        self.result.end = begin
        chunk_size = max(1, self.options.chunk_size)
        remaining = None if self.stop is None else max(0, self.stop - begin)
        while True:
            if self._cancelled:
                self.result.interrupted = True
                self._publish()
                return
            chunk = f.read(chunk_size if remaining is None else min(chunk_size, remaining))
            if not chunk:
                break
            if remaining is not None:
                remaining -= len(chunk)
            framer.feed(chunk)
            self.result.end = framer.end
            self._publish()
        framer.finish(self.final)
        self.result.end = framer.end
        self._publish()

    def _count(self, data: memoryview, offset: int) -> None:
        """`offset`: where `data` starts in the file."""
        self._count_block(_block_of(data), offset)

    def _count_block(self, block: LineBlock, offset: int) -> None:
        assert self._counter is not None
        self._counter.add(block, offset)

    def _count_long(self, prefix: bytes, offset: int) -> None:
        self.result.long_lines += 1
        self._count(memoryview(prefix + b"\n"), offset)
        collector = self._counter.events if self._counter is not None else None
        if collector is not None and collector.events.offsets[-1:] == [offset]:
            collector.events.truncated[-1] = True  # its record is the line's first bytes only

    def _publish(self) -> None:
        if self._counter is not None:
            self.result.lines = self._counter.lines
            self.result.counts = self._counter.counts()
            if self._counter.events is not None:
                self.result.events = self._counter.events.events
            if self._counter.minutes is not None:
                self.result.minute_counts = self._counter.minutes.counts

    def _fail(self, reason: str) -> None:
        log.warning("skipping %s: %s", self.path, reason)
        self.result.error = reason
        self.result.end = self.start
        self.result.lines = 0
        self.result.long_lines = 0
        self.result.counts = empty_counts()
        self.result.events = Events()
        self.result.minute_counts = {}


class _LineLevelScanner(RangeScanner):
    def __init__(self, path: str, options: ScanOptions | None = None) -> None:
        super().__init__(path, options=options)
        self.levels: list[str | None] = []

    def _count_block(self, block: LineBlock, offset: int) -> None:
        assert self._counter is not None
        self.levels += self._counter.line_levels(block)


class Head(NamedTuple):
    """A file's first bytes and what they say about it."""

    data: bytes  # as read: at most SNIFF_BYTES
    fmt: LogFormat | None  # None: a binary file
    encoding: str | None  # a UTF-16 file's (`utf16.py`); None: read as bytes
    full: bool  # a full sample (SNIFF_BYTES, or SNIFF_LINES lines): no append can change `fmt`


def detect_head(f: BinaryIO, options: ScanOptions) -> Head:
    """Read a file's first SNIFF_BYTES (from its current position, its start) and detect its
    format from them: a BOM says UTF-16, else NUL bytes there say binary."""
    head = f.read(SNIFF_BYTES)
    whole = len(head) < SNIFF_BYTES  # the head is the whole file
    encoding = encoding_of(head)
    if encoding is None:
        if b"\x00" in head:
            return Head(head, None, None, False)
        full = not whole or head.count(b"\n") >= SNIFF_LINES
        return Head(head, sniff(head, options), None, full)
    text = decode_head(head, encoding)
    cut = text.rfind(b"\n")
    if not whole and cut >= 0:
        text = text[: cut + 1]  # the last line may go on past the head
    full = not whole or text.count(b"\n") >= SNIFF_LINES
    return Head(head, sniff(text, options), encoding, full)


def sniff(head: bytes, options: ScanOptions) -> LogFormat:
    """The format of a file whose first (up to SNIFF_BYTES) bytes are `head`."""
    if options.level_pattern:
        return custom_format(options.level_pattern)
    if not head:
        return PLAIN
    cut = head.rfind(b"\n")
    if cut < 0 or (len(head) < SNIFF_BYTES and cut < len(head) - 1):
        data = head + b"\n"  # the whole file: its last line has no newline yet
    else:
        data = head[: cut + 1]
    newlines = newline_positions(data)[:SNIFF_LINES]
    block = LineBlock.from_buffer(memoryview(data)[: newlines[-1] + 1], newlines)
    return detect_format(block.lines, record_mask(block))


_buffers = threading.local()


def _read_buffer(size: int) -> mmap.mmap:
    """This thread's read buffer, reused across files: a new 5 MB buffer costs more than scanning
    a small file. Anonymous memory, not a bytearray, which would write zeros over all 5 MB
    first: only the pages a scan reads into are ever touched. A scan holds no view of it once
    done."""
    buf = getattr(_buffers, "buf", None)
    if buf is None or len(buf) != size:
        buf = _buffers.buf = mmap.mmap(-1, size)
        # Huge pages where the kernel offers them (`madvise` mode): filling the buffer the first
        # time then takes a few page faults instead of one per 4 KB page.
        with contextlib.suppress(AttributeError, OSError):
            buf.madvise(mmap.MADV_HUGEPAGE)
    return buf


def _describe(exc: BaseException) -> str:
    if isinstance(exc, zlib.error | EOFError | gzip.BadGzipFile):
        return f"corrupt gzip file: {exc}"
    if isinstance(exc, OSError) and exc.strerror:
        return f"{type(exc).__name__}: {exc.strerror}"
    return f"{type(exc).__name__}: {exc}"


def _block_of(data: bytes | memoryview) -> LineBlock:
    return LineBlock.from_buffer(memoryview(data), newline_positions(data))
