"""What the planner hands out and the commit takes back: checkpoints, read tasks, forgets.

A *stream* is a logical log path (`/var/log/app.log`): its offset row follows whichever file is
"app.log" now, and its statistics add up every file that ever was (rotated tails included).

Tasks and forgets are grouped in *units*: everything planned for streams whose rows depend on each
other (a rotated tail and the new file of one stream; a file renamed from one `.log` name to
another and whatever replaced it). A unit commits whole or not at all, and only if every row it
was planned from still holds the same `seq` (compare-and-set), so a killed, failed or overlapping
run never leaves a stream half advanced or counted twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from logingest_dagster.engine.plan.identity import FileIdentity

# (stream path, seq of its row when planned, or None: "no row")
Expectation = tuple[str, int | None]


@dataclass(frozen=True)
class Checkpoint:
    """One stream's committed offset row."""

    path: str
    identity: FileIdentity  # of the file the offset refers to (maybe renamed away from `path`)
    offset: int  # bytes consumed (uncompressed bytes for gzip)
    size: int  # stat size when planned; with mtime, "unchanged" is decided without opening it
    mtime: float
    seq: int  # id of the commit that wrote the row: the compare-and-set token
    committed_at: float
    format_key: str | None = None  # the file's settled format (`ScanResult.format_key`), if known
    # Set on a draining row: a rotated file the writer may still append to, read on from `offset`
    # until it goes quiet, its counts going to this stream (`path` is then `draining_key(...)`).
    drains_into: str | None = None
    lines: int | None = None  # lines before `offset`; None where not known (older rows)


@dataclass(frozen=True)
class FileRead:
    """A file a stream has read, and how far, kept after the stream's row moved on."""

    identity: FileIdentity
    read_to: int  # bytes read (uncompressed bytes for gzip)


def draining_key(stream: str, identity: FileIdentity) -> str:
    """The row key of `stream`'s rotated file `identity` while it drains: one row per old file,
    never a discovered path (those end in `.log`)."""
    return f"{stream}#{identity.dev}:{identity.inode}"


class TaskKind(StrEnum):
    NEW = "new"  # a file never tracked at this path: from 0
    GROWN = "grown"  # same file, more bytes: from the offset
    PARTIAL_LINE = "partial_line"  # same size, quiet past the grace period: flush the last line
    TRUNCATED = "truncated"  # same inode, smaller or a different head: from 0
    REPLACED = "replaced"  # another inode at the path (rotation, delete + recreate): from 0
    RENAMED = "renamed"  # the file moved to another `.log` name: continue from its offset
    ROTATED_TAIL = "rotated_tail"  # the old file, found under its rotated name: its unread tail
    DRAINING = "draining"  # a rotated file still written to after a new one took its name
    COPYTRUNCATE_TAIL = "copytruncate_tail"  # the copy of a truncated file: its unread tail
    COPIED = "copied"  # a `.log` copy of a truncated file: its own stream from that file's offset
    GENERATION = "generation"  # a rotated file the stream never saw under its name (or its copy)


@dataclass(frozen=True)
class ReadTask:
    """One byte range of one file to scan, and what committing its result means."""

    # What the ingestion step needs: scan_range(path, start, stop, final=, compressed=).
    path: str  # the file to open now (maybe a rotated name of `stream`)
    start: int
    stop: int | None  # size seen at discovery; None for gzip (offsets are uncompressed bytes)
    final: bool  # False: hold back a trailing line with no newline
    compressed: bool
    # What the commit needs.
    stream: str  # the logical path whose statistics get the counts
    kind: TaskKind
    identity: FileIdentity  # of the file read, as planned
    follow: bool  # True: the stream's row follows this file from the result's end afterwards
    size: int  # stat at discovery, stored in the row
    mtime: float
    expects: tuple[Expectation, ...]
    unit: str = ""
    unit_size: int = 1
    # The stored format of the file read, when it is the file a row already tracked (read on
    # from its offset); None for a file read from its start, which is detected afresh.
    format_key: str | None = None
    # With `follow`: the row that follows this file when it is not `stream`'s own but a draining
    # row (`draining_key`); the counts still go to `stream`.
    row: str | None = None
    # Lines of the file before `start` (0 from the start; None where not known): event line
    # numbers and the row's line count go on from it.
    start_line: int | None = 0

    @property
    def row_key(self) -> str:
        return self.row or self.stream

    @property
    def planned_bytes(self) -> int:
        """Bytes this task is expected to read: a weight for packing tasks into steps.

        A gzip file is decompressed from its start whatever the offset: its whole size counts.
        """
        if self.compressed or self.stop is None:
            return self.size
        return max(0, self.stop - self.start)


@dataclass(frozen=True)
class Forget:
    """Drop a stream's offset row (its file is gone); its statistics stay."""

    path: str
    expects: tuple[Expectation, ...]
    unit: str = ""
    unit_size: int = 1

    def __str__(self) -> str:
        return self.path


@dataclass
class Plan:
    tasks: list[ReadTask]
    files_unchanged: int  # discovered files with nothing to read (not opened)
    files_deferred: int  # tasks beyond max_files, left for the next run
    forgotten: list[Forget]
    notes: list[str]  # worth a line in the run's log: lost tails, files left alone
