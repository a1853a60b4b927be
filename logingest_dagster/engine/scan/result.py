"""What a scan is asked for and what it gives back.

Kept apart from `scan` (numpy, pyarrow) so that the offset store, the Dagster job definition and
the process that launches a run can handle results without loading the scanning machinery.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

from logingest_dagster.engine.levels import empty_counts

if TYPE_CHECKING:
    import pyarrow as pa

    from logingest_dagster.engine.scan.event_columns import EventChunk

DEFAULT_CHUNK_SIZE = 4 << 20
NO_TIME = -1  # the minute of a record whose text gives no time
# The events an ingestion run keeps per read (a file, or what is new in it since the last run);
# the rest are counted as dropped, reported with the run and failed as an asset check (`events.py`).
EVENTS_PER_READ = 50_000
# An event keeps at most this much of its record (stack trace included); a longer one is cut and
# flagged `truncated`.
RECORD_BYTES = 16 << 10
DEFAULT_MIN_LEVEL = "WARN"

# A file's detected format is stored with its offset, so that later reads of the same file skip
# detection. Bump this whenever detection would choose differently for some file: formats stored
# under another version are then detected again.
DETECTION_VERSION = 1
# The encodings a file is decoded from (`utf16.py`), named after the format in its format key as
# `<version>/<format>;<encoding>`; a key without one is a file read as bytes (UTF-8 and the like).
DECODED_ENCODINGS = ("utf-16-le", "utf-16-be")


@dataclass
class ScanOptions:
    level_pattern: str | None = None  # per-directory override: regex with (?P<level>...)
    multiline_start_pattern: str | None = None
    chunk_size: int = DEFAULT_CHUNK_SIZE
    max_events: int = 0  # events kept per read (`events.py`); 0: none collected
    min_level: str = DEFAULT_MIN_LEVEL  # events are records of this level or above
    timezone: str = "UTC"  # of times written without a zone (`timestamps.py`)
    service: str | None = None  # the events' and time series' label; None: the file's stem
    minute_counts: bool = False  # count records per minute and level (`minute_counts.py`)


class Event(NamedTuple):
    """A record at or above the read's minimum level (`events.py`).

    `offset`: of its first line in the file read (uncompressed, for gzip); `line_number`: that
    line's number counted from the read's start (1-based; a line number in the file when the
    read starts at 0); `time`: microseconds since the epoch (UTC) written in the line, if any;
    `record`: the whole record, continuation lines included, at most `RECORD_BYTES`, without its
    trailing line ends."""

    offset: int
    line_number: int
    level: str
    time: int | None
    logger: str | None
    message: str
    record: bytes
    truncated: bool


@dataclass(eq=False)
class Events:
    """A read's events in file order, kept as columns: a chunk of numpy and Arrow arrays per
    block the collector took them from (`event_columns.EventChunk`), joined into one Arrow
    record batch by `batch()`. A result crosses from its ingestion step to the publish step
    pickled, and arrays pickle as their buffers."""

    chunks: list[EventChunk] = field(default_factory=list)
    dropped: int = 0  # events beyond the read's limit: counted, not kept
    # For a piece of a split read: the continuation lines before its first record, which belong
    # to the previous piece's last record; and whether its own last record may go on.
    head: bytes = b""
    open_at_end: bool = False

    def __len__(self) -> int:
        return sum(len(chunk) for chunk in self.chunks)

    def __iter__(self) -> Iterator[Event]:
        """Each event as an `Event` (level by name, `record` its bytes): for tests and tools;
        the run itself uses `batch()`."""
        from logingest_dagster.engine.levels import LEVELS

        for chunk in self.chunks:
            records = chunk.records.to_pylist()
            records[-1] = (records[-1] + chunk.tail).rstrip(b"\r\n")
            yield from map(
                Event,
                chunk.offsets.tolist(),
                chunk.line_numbers.tolist(),
                [LEVELS[code] for code in chunk.levels.tolist()],
                [
                    t if ok else None
                    for t, ok in zip(chunk.times.tolist(), chunk.timed.tolist(), strict=True)
                ],
                chunk.loggers.to_pylist(),
                chunk.messages.to_pylist(),
                records,
                chunk.truncated.tolist(),
            )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Events):
            return NotImplemented
        return (self.dropped, self.head, self.open_at_end, list(self)) == (
            other.dropped,
            other.head,
            other.open_at_end,
            list(other),
        )

    @property
    def offsets(self) -> _Column:
        """The events' offsets; the last one read cheaply (`offsets[-1:]`)."""
        return _Column(self.chunks, "offsets")

    @property
    def truncated(self) -> _Column:
        """The events' truncated flags; the last one can be set (`truncated[-1] = True`)."""
        return _Column(self.chunks, "truncated")

    def add_chunk(self, chunk: EventChunk) -> None:
        if len(chunk):
            self.chunks.append(chunk)

    def batch(self) -> pa.RecordBatch:
        """The events as one record batch of `event_columns.EVENT_SCHEMA`."""
        from logingest_dagster.engine.scan.event_columns import event_batch

        return event_batch(self.chunks)

    def continue_last(self, data: bytes) -> None:
        """Add continuation lines to the last record, within RECORD_BYTES."""
        if not self.chunks or not data:
            return
        last = self.chunks[-1]
        room = RECORD_BYTES - last.last_record_size()
        if len(data) > room:
            last.truncated[-1] = True
        if room > 0:
            last.tail += data[:room]

    def extend(self, other: Events, lines_before: int = 0) -> None:
        """Append the events of the next piece of a read, which started `lines_before` lines
        into it."""
        if self.open_at_end:
            self.continue_last(other.head)
        self.chunks.extend(chunk.shifted(lines_before) for chunk in other.chunks)
        self.dropped += other.dropped
        self.open_at_end = other.open_at_end if len(other) else self.open_at_end and not other.head

    def keep_first(self, limit: int) -> None:
        """Keep the first `limit` events; count the rest as dropped."""
        kept, room = [], limit
        for chunk in self.chunks:
            if room <= 0:
                self.dropped += len(chunk)
            elif len(chunk) > room:
                self.dropped += len(chunk) - room
                kept.append(chunk.head(room))
            else:
                kept.append(chunk)
            room -= len(chunk)
        self.chunks = kept


class _Column:
    """One numeric column over a read's chunks, as a list reads: iterated, indexed and sliced,
    with the last value cheap to read (`[-1:]`) and to set (`[-1] = value`)."""

    def __init__(self, chunks: list[EventChunk], name: str) -> None:
        self._chunks, self._name = chunks, name

    def __len__(self) -> int:
        return sum(len(chunk) for chunk in self._chunks)

    def __iter__(self) -> Iterator:
        for chunk in self._chunks:
            yield from getattr(chunk, self._name).tolist()

    def __getitem__(self, index: int | slice) -> object:
        if index in (-1, slice(-1, None)) and self._chunks:
            last = getattr(self._chunks[-1], self._name)[-1:].tolist()
            return last if isinstance(index, slice) else last[0]
        return list(self)[index]

    def __setitem__(self, index: int, value: object) -> None:
        if index != -1 or not self._chunks:
            raise IndexError("only the last event can be changed")
        getattr(self._chunks[-1], self._name)[-1] = value


@dataclass
class ScanResult:
    path: str
    start: int
    end: int  # where the next read must start: just after the last consumed line
    lines: int = 0
    counts: dict[str, int] = field(default_factory=empty_counts)
    format: str = ""
    # Whether `format` holds for the whole file from now on: it was given (stored from an earlier
    # read), or detected from a full sample (SNIFF_LINES lines or SNIFF_BYTES bytes), which no
    # later append can change. A file still shorter than the sample is detected again next time.
    format_settled: bool = False
    error: str | None = None
    interrupted: bool = False
    # Lines too long for the read buffer (a chunk plus MAX_LINE_BYTES): each is counted once,
    # classified by its first LONG_LINE_PREFIX bytes, and never held in memory whole.
    long_lines: int = 0
    # With `ScanOptions.max_events`: the read's events.
    events: Events = field(default_factory=Events)
    # Records per (minute, level): the minute's epoch seconds (UTC) from the time written in the
    # record, or NO_TIME; they add up to `counts`.
    minute_counts: dict[tuple[int, str], int] = field(default_factory=dict)
    service: str | None = None
    # A file read decoded (`DECODED_ENCODINGS`): its encoding. Its figures stay in file bytes
    # (`bytes_read`, offsets), as `file_stats.bytes` is compared with file sizes.
    encoding: str | None = None

    @property
    def bytes_read(self) -> int:
        """The file bytes `[start, end)` read, whatever their encoding."""
        return self.end - self.start

    @property
    def records(self) -> int:
        return sum(self.counts.values())

    @property
    def format_key(self) -> str | None:
        """The format key the offset store keeps, `<DETECTION_VERSION>/<format name>` (read back by
        `format_name_from_key`): only of a settled format, so an early guess from a file's first
        few lines is not kept. A decoded file's key also names its encoding, so a later read
        from its offset need not look at its first bytes again."""
        if not (self.format_settled and self.format):
            return None
        encoding = f";{self.encoding}" if self.encoding else ""
        return f"{DETECTION_VERSION}/{self.format}{encoding}"


def format_name_from_key(stored: str | None) -> str | None:
    """The format name in a `ScanResult.format_key`, or None: nothing stored, or stored under
    another DETECTION_VERSION or with an encoding this version does not decode (the file is
    detected again)."""
    version, _, rest = (stored or "").partition("/")
    name, marked, encoding = rest.partition(";")
    if marked and encoding not in DECODED_ENCODINGS:
        return None
    return name if version == str(DETECTION_VERSION) and name else None


def encoding_from_key(stored: str | None) -> str | None:
    """The encoding a `ScanResult.format_key` names (None: the file is read as bytes), where the
    key is one this version reads (`format_name_from_key`)."""
    if format_name_from_key(stored) is None:
        return None
    return stored.partition(";")[2] or None  # type: ignore[union-attr]
