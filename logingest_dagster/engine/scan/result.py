"""What a scan is asked for and what it gives back.

Kept apart from `scan` (numpy, pyarrow) so that the offset store, the Dagster job definition and
the process that launches a run can handle results without loading the scanning machinery.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from logingest_dagster.engine.levels import empty_counts

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
    `record`: the whole record, continuation lines included, at most `RECORD_BYTES`."""

    offset: int
    line_number: int
    level: str
    time: int | None
    logger: str | None
    message: str
    record: bytes
    truncated: bool


@dataclass
class Events:
    """A read's events in file order, kept column by column: a result crosses from its ingestion
    step to the publish step pickled, and lists pickle far faster than as many objects."""

    offsets: list[int] = field(default_factory=list)
    line_numbers: list[int] = field(default_factory=list)
    levels: list[str] = field(default_factory=list)
    times: list[int | None] = field(default_factory=list)
    loggers: list[str | None] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    records: list[bytes] = field(default_factory=list)
    truncated: list[bool] = field(default_factory=list)
    dropped: int = 0  # events beyond the read's limit: counted, not kept
    # For a piece of a split read: the continuation lines before its first record, which belong
    # to the previous piece's last record; and whether its own last record may go on.
    head: bytes = b""
    open_at_end: bool = False

    def __len__(self) -> int:
        return len(self.offsets)

    def __iter__(self) -> Iterator[Event]:
        return map(
            Event,
            self.offsets,
            self.line_numbers,
            self.levels,
            self.times,
            self.loggers,
            self.messages,
            self.records,
            self.truncated,
        )

    def add(self, event: Event) -> None:
        for name, value in zip(_EVENT_COLUMNS, event, strict=True):
            getattr(self, name).append(value)

    def add_columns(self, **columns: list) -> None:
        """Add events given column by column (each of `_EVENT_COLUMNS`, of one length)."""
        for name in _EVENT_COLUMNS:
            getattr(self, name).extend(columns[name])

    def continue_last(self, data: bytes) -> None:
        """Add continuation lines to the last record, within RECORD_BYTES."""
        if not self.records or not data:
            return
        record = self.records[-1]
        room = RECORD_BYTES - len(record)
        if len(data) > room:
            self.truncated[-1] = True
        if room > 0:
            self.records[-1] = record + data[:room]

    def extend(self, other: Events, lines_before: int = 0) -> None:
        """Append the events of the next piece of a read, which started `lines_before` lines
        into it."""
        if self.open_at_end:
            self.continue_last(other.head)
        for name in _EVENT_COLUMNS:
            values = getattr(other, name)
            if name == "line_numbers" and lines_before:
                values = [n + lines_before for n in values]
            getattr(self, name).extend(values)
        self.dropped += other.dropped
        self.open_at_end = other.open_at_end if len(other) else self.open_at_end and not other.head

    def keep_first(self, limit: int) -> None:
        """Keep the first `limit` events; count the rest as dropped."""
        if len(self) > limit:
            self.dropped += len(self) - limit
            for name in _EVENT_COLUMNS:
                del getattr(self, name)[limit:]


# The Events list of each Event field, in field order.
_EVENT_COLUMNS = (
    "offsets",
    "line_numbers",
    "levels",
    "times",
    "loggers",
    "messages",
    "records",
    "truncated",
)


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
