"""`warehouse/severity_history/`: one row per commit to the offset store, appended.

Hive-partitioned by the date of the commit. Each publish appends the commits since the last one
(`OffsetStore.history_to_publish`): one part per day, named by its first commit, so a publisher
killed before it marked them published writes the same file again, with those rows and any newer.
A run that found nothing new adds a row of zeros, and each `logingest reset` a row of negative
counts, so the rows of every partition sum to `severity_totals`. Retention does not apply: one
small row per commit, and the sum needs them all.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import pyarrow as pa

from logingest_dagster.engine.arrays import int64s, strings
from logingest_dagster.engine.levels import LEVELS
from logingest_dagster.engine.warehouse.partitions import write_commit_parts

NAME = "severity_history"
LEGACY_FILE = "severity_history.parquet"  # rewritten whole by every run before schema 6
UTC_MICROS = pa.timestamp("us", tz="UTC")
# Today's partition is compacted too once it holds this many parts: at a run every 30 s a day
# has 2,880, and the sum check reads every file.
OPEN_DAY_FILES = 64

SCHEMA = pa.schema(
    [
        ("run_id", pa.string()),
        ("kind", pa.string()),  # "run" or "reset"
        ("committed_at", UTC_MICROS),
        ("files", pa.int64()),
        ("lines", pa.int64()),
        ("bytes", pa.int64()),
    ]
    + [(level.lower(), pa.int64()) for level in LEVELS]
)


class HistoryState(Protocol):
    def history_to_publish(self, from_start: bool = False): ...


def table(commits: list[dict]) -> pa.Table:
    """From `OffsetStore.commit_log()` rows: run_id, kind, committed_at (epoch seconds), files,
    lines, bytes and a lower-case count per level."""
    columns = [
        strings([str(r["run_id"]) for r in commits]),
        strings([str(r["kind"]) for r in commits]),
        int64s([round(float(r["committed_at"]) * 1e6) for r in commits], UTC_MICROS),
    ]
    columns += [int64s([int(r[name]) for r in commits]) for name in SCHEMA.names[3:]]
    return pa.Table.from_arrays(columns, schema=SCHEMA)


def publish_history(warehouse: Path, state: HistoryState) -> tuple[int, int]:
    """Append the commits not yet published; returns (rows, files) written."""
    (warehouse / LEGACY_FILE).unlink(missing_ok=True)  # its rows are appended again from 0
    # No dataset at all: a warehouse deleted to be rebuilt (`logingest rebuild`) gets it whole.
    from_start = not (warehouse / NAME).is_dir()
    with state.history_to_publish(from_start) as commits:
        if not commits:
            return 0, 0
        first = min(int(c["id"]) for c in commits)
        files = write_commit_parts(warehouse / NAME, table(commits), "committed_at", first)
        return len(commits), files
