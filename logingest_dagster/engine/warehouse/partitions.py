"""Hive partitions (`<dataset>/date=YYYY-MM-DD/`): append a commit's parts, compact closed days,
delete expired days.

A commit's rows for a day go to `part-<commit id>.parquet`: writing a commit again (a publisher
killed before it marked the commit published) rewrites the same files with the same rows, so
publishing is idempotent. Compaction merges a closed day's files into one
`compacted-<newest commit id>.parquet`, leaving out parts of commits still pending (they may be
rewritten), and swaps the whole day directory in one rename.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from logingest_dagster.engine.warehouse.files import (
    exchange_dirs,
    remove_dir,
    staging_dir,
    write_parquet_atomic,
)

_DAY_US = 86_400_000_000
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_PART = re.compile(r"^part-(\d+)\.parquet$")
_DATE_DIR = re.compile(r"^date=(\d{4}-\d\d-\d\d)$")


def write_commit_parts(dataset: Path, table: pa.Table, time_column: str, commit_id: int) -> int:
    """Write `table`'s rows into one part per day of `time_column`; returns the files written."""
    if table.num_rows == 0:
        return 0
    column = table[time_column].combine_chunks()
    micros = np.frombuffer(column.buffers()[1], np.int64)[
        column.offset : column.offset + len(column)
    ]
    days = micros // _DAY_US
    if (micros[1:] < micros[:-1]).any():
        order = np.argsort(micros, kind="stable")
        table, days = _take(table, order), days[order]
    written = 0
    for day in np.unique(days).tolist():
        rows = np.flatnonzero(days == day)
        part = table.slice(int(rows[0]), len(rows))  # sorted by time: one day is one run
        write_parquet_atomic(part, dataset / f"date={_iso(day)}" / f"part-{commit_id:012d}.parquet")
        written += 1
    return written


def day_dirs(dataset: Path) -> dict[str, Path]:
    """date -> its partition directory."""
    if not dataset.is_dir():
        return {}
    found = {}
    with os.scandir(dataset) as entries:
        for entry in entries:
            m = _DATE_DIR.match(entry.name)
            if m and entry.is_dir():
                found[m.group(1)] = Path(entry.path)
    return found


def parquet_files(day: Path) -> list[Path]:
    with os.scandir(day) as entries:
        return sorted(Path(e.path) for e in entries if e.name.endswith(".parquet"))


@dataclass
class Compacted:
    days: int = 0
    files_before: int = 0


def compact_closed_days(
    warehouse: Path,
    dataset: Path,
    sort_column: str,
    pending: set[int],
    today: date,
    open_day_files: int | None = None,
) -> Compacted:
    """Merge the files of every day before `today` that has more than one, and of `today` and
    later once they have more than `open_day_files` (the caller holds the publishing lock, so
    `pending` is current and no part is written meanwhile)."""
    done = Compacted()
    for day_name, day in sorted(day_dirs(dataset).items()):
        is_open = day_name >= today.isoformat()
        if is_open and open_day_files is None:
            continue
        files = parquet_files(day)
        merge = [f for f in files if _commit_of(f) not in pending]
        if len(merge) < 2 or (is_open and len(merge) <= open_day_files):
            continue
        tables = [pq.ParquetFile(f).read() for f in merge]
        merged = pa.concat_tables(tables).sort_by(sort_column)
        newest = max(_commit_of(f) or 0 for f in merge)
        new_day = staging_dir(warehouse) / day.name
        new_day.mkdir()
        write_parquet_atomic(merged, new_day / f"compacted-{newest:012d}.parquet")
        for kept in set(files) - set(merge):
            os.link(kept, new_day / kept.name)
        exchange_dirs(new_day, day)
        remove_dir(new_day.parent)  # now holding the replaced day
        done.days += 1
        done.files_before += len(merge)
    return done


def expiry_cutoff(today: date, retention_days: int) -> str | None:
    """The first date retention keeps (`YYYY-MM-DD`); None: it keeps everything."""
    if retention_days <= 0:
        return None
    return (today - timedelta(days=retention_days)).isoformat()


def expired_days(dataset: Path, today: date, retention_days: int) -> dict[str, Path]:
    """The partitions older than `retention_days` (0: keep everything)."""
    cutoff = expiry_cutoff(today, retention_days)
    if cutoff is None:
        return {}
    return {d: p for d, p in day_dirs(dataset).items() if d < cutoff}


def split_expired(
    table: pa.Table, time_column: str, cutoff: str | None, old_columns: list[str] | None = None
) -> tuple[pa.Table, dict[str, pa.Table]]:
    """`table`'s rows dated `cutoff` or later, and the older ones by date (only their
    `old_columns`, when given: what the caller tallies of rows it will not write)."""
    if cutoff is None or table.num_rows == 0:
        return table, {}
    days = _days_of(table[time_column].combine_chunks())
    first_kept = date.fromisoformat(cutoff).toordinal() - _EPOCH_ORDINAL
    old = days < first_kept
    if not old.any():
        return table, {}
    # Rows into day order (stable: a day's rows keep their order), then a slice per day.
    order = np.argsort(days, kind="stable")
    days = days[order]
    n_old = int(np.count_nonzero(old))
    kept = _take(table, order[n_old:])
    older = _take(table if old_columns is None else table.select(old_columns), order[:n_old])
    bounds = np.flatnonzero(np.r_[True, days[1:n_old] != days[: n_old - 1]]).tolist() + [n_old]
    by_day = {
        _iso(int(days[start])): older.slice(start, stop - start)
        for start, stop in zip(bounds[:-1], bounds[1:], strict=True)
    }
    return kept, by_day


def _take(table: pa.Table, rows: np.ndarray) -> pa.Table:
    """`table`'s `rows`, in that order. Its chunks (a commit's reads) are joined first: a take
    across many chunks costs several times more than joining them and taking from one."""
    rows = rows.astype(np.int64, copy=False)
    indices = pa.Array.from_buffers(pa.int64(), len(rows), [None, pa.py_buffer(rows)])
    return table.combine_chunks().take(indices)


def _days_of(column: pa.Array) -> np.ndarray:
    micros = np.frombuffer(column.buffers()[1], np.int64)[
        column.offset : column.offset + len(column)
    ]
    return micros // _DAY_US


def delete_day(warehouse: Path, day: Path) -> None:
    """Move the partition out of the dataset in one rename, then delete it."""
    aside = staging_dir(warehouse)
    os.rename(day, aside / day.name)
    remove_dir(aside)


def _commit_of(path: Path) -> int | None:
    m = _PART.match(path.name)
    return int(m.group(1)) if m else None


def _iso(day: int) -> str:
    return datetime.fromtimestamp(day * 86_400, UTC).date().isoformat()
