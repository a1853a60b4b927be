"""What a scan is asked for and what it gives back.

Kept apart from `scan` (numpy, pyarrow) so that the offset store, the Dagster job definition and
the process that launches a run can handle results without loading the scanning machinery.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from logingest_dagster.engine.levels import empty_counts

DEFAULT_CHUNK_SIZE = 4 << 20


@dataclass
class ScanOptions:
    level_pattern: str | None = None  # per-directory override: regex with (?P<level>...)
    multiline_start_pattern: str | None = None
    chunk_size: int = DEFAULT_CHUNK_SIZE


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
    # Lines too long for the read buffer (a chunk plus MAX_LINE_BYTES): each is counted once,
    # classified by its first LONG_LINE_PREFIX bytes, and never held in memory whole.
    long_lines: int = 0

    @property
    def bytes_read(self) -> int:
        return self.end - self.start

    @property
    def records(self) -> int:
        return sum(self.counts.values())
