"""The Parquet outputs analysts read: schemas and atomic writers.

Every file is written to a temporary name in the same directory, fsynced, then renamed over the
old one, so a reader (or a run killed mid-write) never sees half a file.
"""

from __future__ import annotations

import os
from array import array
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path
from typing import Protocol

import pyarrow as pa

from logingest_dagster.engine.levels import LEVELS
from logingest_dagster.engine.warehouse import events, history, templates, timeseries
from logingest_dagster.engine.warehouse.appended import (
    DEFAULT_RETENTION_DAYS,
    AppendReport,
    publish_appended,
)
from logingest_dagster.engine.warehouse.files import write_parquet_atomic
from logingest_dagster.engine.warehouse.temp_files import remove_stale_temp_files

SEVERITY_TOTALS = "severity_totals.parquet"
FILE_STATS = "file_stats.parquet"
SEVERITY_HISTORY = history.NAME  # a directory of date partitions

SEVERITY_TOTALS_SCHEMA = pa.schema([("level", pa.string()), ("count", pa.int64())])
FILE_STATS_SCHEMA = pa.schema(
    [("path", pa.string()), ("lines", pa.int64()), ("bytes", pa.int64())]
    + [(level.lower(), pa.int64()) for level in LEVELS]
)


class CommittedState(Protocol):
    """What publishing reads: `state.OffsetStore`."""

    def totals(self) -> dict[str, int]: ...
    def file_stats(self) -> list[dict]: ...
    def history_to_publish(self, from_start: bool = False): ...
    def pending_publication(self): ...
    def publishing_lock(self): ...
    def record_expired(self, dataset: str, date: str, rows: int, counts: dict) -> None: ...
    def expired(self) -> list[dict]: ...


@dataclass
class Published:
    paths: dict[str, Path]  # asset name -> where its file landed
    totals: dict[str, int]
    rows: dict[str, int]  # asset name -> row count (for appended datasets: rows this publish)
    appended: AppendReport


def warehouse_dir(home: str | os.PathLike[str]) -> Path:
    return Path(home) / "warehouse"


def severity_totals_table(totals: Mapping[str, int]) -> pa.Table:
    return pa.table(
        {
            "level": _strings(LEVELS),
            "count": _int64s([int(totals.get(level, 0)) for level in LEVELS]),
        },
        schema=SEVERITY_TOTALS_SCHEMA,
    )


def file_stats_table(rows: Iterable[Mapping[str, object]]) -> pa.Table:
    """Rows carry `path`, `lines`, `bytes` and a count per level (upper or lower case keys)."""
    columns: dict[str, list] = {name: [] for name in FILE_STATS_SCHEMA.names}
    for row in sorted(rows, key=lambda r: str(r["path"])):
        columns["path"].append(str(row["path"]))
        columns["lines"].append(int(row.get("lines", 0)))
        columns["bytes"].append(int(row.get("bytes", 0)))
        for level in LEVELS:
            columns[level.lower()].append(int(row.get(level, row.get(level.lower(), 0))))
    return pa.table(
        {
            name: _strings(values) if name == "path" else _int64s(values)
            for name, values in columns.items()
        },
        schema=FILE_STATS_SCHEMA,
    )


# Arrays built from buffers: `pa.array(list)` imports pandas on first use (~0.2 s, in the short
# publish step of every run) just to check whether the list is a pandas object.


def _int64s(values: Sequence[int]) -> pa.Array:
    data = array("q", values)
    return pa.Array.from_buffers(pa.int64(), len(data), [None, pa.py_buffer(data)])


def _strings(values: Sequence[str]) -> pa.Array:
    encoded = [value.encode() for value in values]
    offsets = array("i", accumulate((len(e) for e in encoded), initial=0))
    return pa.Array.from_buffers(
        pa.string(), len(encoded), [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))]
    )


def write_atomic(table: pa.Table, path: Path) -> Path:
    return write_parquet_atomic(table, path)


def publish(
    home: str | os.PathLike[str],
    state: CommittedState,
    retention_days: int = DEFAULT_RETENTION_DAYS,
    now: float | None = None,
) -> Published:
    """Write every output from committed state: the small summaries whole, the growing datasets
    by appending what was committed since they were last published (`history.py`,
    `appended.py`)."""
    out = warehouse_dir(home)
    if out.is_dir():
        remove_stale_temp_files(out)
    totals, file_rows = state.totals(), state.file_stats()
    paths = {
        "severity_totals": write_atomic(severity_totals_table(totals), out / SEVERITY_TOTALS),
        "file_stats": write_atomic(file_stats_table(file_rows), out / FILE_STATS),
        "severity_history": out / history.NAME,
    }
    history_rows, _ = history.publish_history(out, state)
    appended = publish_appended(out, state, retention_days, now)
    paths["events"] = out / events.NAME
    paths["severity_timeseries"] = out / timeseries.NAME
    paths["templates"] = out / templates.TEMPLATES
    return Published(
        paths=paths,
        totals=totals,
        rows={
            "severity_totals": len(LEVELS),
            "file_stats": len(file_rows),
            "severity_history": history_rows,
            "events": appended.events,
            "severity_timeseries": appended.timeseries_rows,
            "templates": appended.templates,
        },
        appended=appended,
    )
