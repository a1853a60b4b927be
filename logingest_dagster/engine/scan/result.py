"""What a scan is asked for and what it gives back.

Kept apart from `scan` (numpy, pyarrow) so that the offset store, the Dagster job definition and
the process that launches a run can handle results without loading the scanning machinery.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from logingest_dagster.engine.levels import empty_counts
from logingest_dagster.engine.scan.timestamps import leading_timestamp

DEFAULT_CHUNK_SIZE = 4 << 20
# The error events an ingestion run keeps per read (a file, or what is new in it since the last
# run); the rest are counted as dropped (`events.py`).
EVENTS_PER_READ = 10_000

# A file's detected format is stored with its offset, so that later reads of the same file skip
# detection. Bump this whenever detection would choose differently for some file: formats stored
# under another version are then detected again.
DETECTION_VERSION = 1


@dataclass
class ScanOptions:
    level_pattern: str | None = None  # per-directory override: regex with (?P<level>...)
    multiline_start_pattern: str | None = None
    chunk_size: int = DEFAULT_CHUNK_SIZE
    max_events: int = 0  # error events kept per read (`events.py`); 0: none collected


class ErrorEvent(NamedTuple):
    """An ERROR or FATAL record: its first line (cut at `events.LINE_BYTES`, newline removed,
    invalid UTF-8 replaced), that line's byte offset in the file read (uncompressed, for gzip),
    and the time written at its start, if any (`timestamps.leading_timestamp`)."""

    offset: int
    level: str
    line: str
    logged_at: float | None = None


@dataclass
class ErrorEvents:
    """A read's error events in file order, kept column by column: a result crosses from its
    ingestion step to the publish step pickled, and three lists pickle ~10x faster than as many
    objects as events (7 against 61 ms for 25,000)."""

    offsets: list[int] = field(default_factory=list)
    levels: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    logged_at: list[float | None] = field(default_factory=list)  # epoch seconds, UTC
    dropped: int = 0  # events beyond the read's limit: counted, not kept

    def __len__(self) -> int:
        return len(self.offsets)

    def __iter__(self) -> Iterator[ErrorEvent]:
        return map(ErrorEvent, self.offsets, self.levels, self.lines, self.logged_at)

    def add(self, offset: int, level: str, line: str) -> None:
        self.offsets.append(offset)
        self.levels.append(level)
        self.lines.append(line)
        self.logged_at.append(leading_timestamp(line))

    def extend(self, other: ErrorEvents) -> None:
        self.offsets += other.offsets
        self.levels += other.levels
        self.lines += other.lines
        self.logged_at += other.logged_at
        self.dropped += other.dropped

    def keep_first(self, limit: int) -> None:
        """Keep the first `limit` events; count the rest as dropped."""
        if len(self) > limit:
            self.dropped += len(self) - limit
            del self.offsets[limit:], self.levels[limit:], self.lines[limit:]
            del self.logged_at[limit:]


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
    # With `ScanOptions.max_events`: the read's error events.
    events: ErrorEvents = field(default_factory=ErrorEvents)

    @property
    def bytes_read(self) -> int:
        return self.end - self.start

    @property
    def records(self) -> int:
        return sum(self.counts.values())

    @property
    def stored_format(self) -> str | None:
        """What the offset store keeps of `format` (read back by `stored_format_name`): only a
        settled one, so an early guess from a file's first few lines is not kept."""
        return f"{DETECTION_VERSION}/{self.format}" if self.format_settled and self.format else None


def stored_format_name(stored: str | None) -> str | None:
    """The format name in a `ScanResult.stored_format`, or None: nothing stored, or stored under
    another DETECTION_VERSION (the file is detected again)."""
    version, _, name = (stored or "").partition("/")
    return name if version == str(DETECTION_VERSION) and name else None
