"""The Parquet outputs analysts read: schemas and atomic writers.

Every file is written to a temporary name in the same directory, fsynced, then renamed over the
old one, so a reader (or a run killed mid-write) never sees half a file.
"""

from __future__ import annotations

import os
import tempfile
from array import array
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import accumulate, repeat
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.parquet as pq
from pyarrow import _compute  # `take` by name: importing pyarrow.compute costs ~20 ms

from logingest_dagster.engine.levels import LEVELS
from logingest_dagster.engine.warehouse.temp_files import public_mode, remove_stale_temp_files

SEVERITY_TOTALS = "severity_totals.parquet"
FILE_STATS = "file_stats.parquet"
SEVERITY_HISTORY = "severity_history.parquet"
ERROR_EVENTS = "error_events.parquet"

SEVERITY_TOTALS_SCHEMA = pa.schema([("level", pa.string()), ("count", pa.int64())])
FILE_STATS_SCHEMA = pa.schema(
    [("path", pa.string()), ("lines", pa.int64()), ("bytes", pa.int64())]
    + [(level.lower(), pa.int64()) for level in LEVELS]
)


_UTC_MICROS = pa.timestamp("us", tz="UTC")
# One row per commit to the offset store, oldest first: what each run added (a run that found
# nothing new adds a row of zeros), and each `logingest reset` as negative counts, so the rows sum
# to `severity_totals` at any time.
SEVERITY_HISTORY_SCHEMA = pa.schema(
    [
        ("run_id", pa.string()),
        ("kind", pa.string()),  # "run" or "reset"
        ("committed_at", _UTC_MICROS),
        ("files", pa.int64()),
        ("lines", pa.int64()),
        ("bytes", pa.int64()),
    ]
    + [(level.lower(), pa.int64()) for level in LEVELS]
)

# The newest stored error events (state_commit.EVENTS_KEPT), oldest first; file order within a run.
ERROR_EVENTS_SCHEMA = pa.schema(
    [
        ("committed_at", _UTC_MICROS),
        ("run_id", pa.string()),
        ("path", pa.string()),  # the stream, as in file_stats
        ("file", pa.string()),  # the file read: the path, or a rotated name of it
        ("offset", pa.int64()),  # of the record's first line in that file
        ("level", pa.string()),  # ERROR or FATAL
        ("line", pa.string()),  # the record's first line, at most 2 KB
        # The date and time written at the start of the line, in UTC; null where the line has
        # none with a year (`timestamps`), and for events stored before this column existed.
        ("logged_at", _UTC_MICROS),
    ]
)
# Key of the Parquet metadata entry holding the store's events version the file was written from.
_EVENTS_VERSION_KEY = b"logingest.error_events_version"


class CommittedState(Protocol):
    """What publishing reads: `state.OffsetStore`."""

    def totals(self) -> dict[str, int]: ...
    def file_stats(self) -> list[dict]: ...
    def commit_log(self) -> list[dict]: ...
    def error_events(self) -> list[dict]: ...
    def error_events_version(self) -> tuple[int, int, int]: ...


@dataclass
class Published:
    paths: dict[str, Path]  # asset name -> where its file landed
    totals: dict[str, int]
    rows: dict[str, int]  # asset name -> row count


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


def severity_history_table(commits: Iterable[Mapping[str, object]]) -> pa.Table:
    """From `OffsetStore.commit_log()` rows: run_id, kind, committed_at (epoch seconds), files,
    lines, bytes and a lower-case count per level."""
    rows = list(commits)
    columns: dict[str, pa.Array] = {
        "run_id": _strings([str(r["run_id"]) for r in rows]),
        "kind": _strings([str(r["kind"]) for r in rows]),
        "committed_at": _timestamps([float(r["committed_at"]) for r in rows]),
    }
    for name in SEVERITY_HISTORY_SCHEMA.names[3:]:
        columns[name] = _int64s([int(r[name]) for r in rows])
    return pa.table(columns, schema=SEVERITY_HISTORY_SCHEMA)


def error_events_table(reads: Sequence[Mapping[str, Any]], version: str = "") -> pa.Table:
    """From `OffsetStore.error_events()` (a dict per read, its events as lists); `version` is
    recorded in the file's metadata."""
    columns: dict[str, list] = {name: [] for name in ("offset", "level", "line", "logged_at")}
    read_of_event = array("i")  # each event's read: the per-read columns are taken from it
    for i, read in enumerate(reads):
        n = len(read["offset"])
        read_of_event.extend(repeat(i, n))
        for name in ("offset", "level", "line"):
            columns[name] += read[name]
        columns["logged_at"] += read.get("logged_at") or [None] * n  # stored before it existed
    events = pa.Array.from_buffers(
        pa.int32(), len(read_of_event), [None, pa.py_buffer(read_of_event)]
    )
    per_read = {
        "committed_at": _timestamps([read["committed_at"] for read in reads]),
        **{name: _strings([read[name] for read in reads]) for name in ("run_id", "path", "file")},
    }
    arrays = {
        name: _compute.call_function("take", [values, events]) for name, values in per_read.items()
    } | {
        "logged_at": _optional_timestamps(columns["logged_at"]),
        "offset": _int64s(columns["offset"]),
        "level": _strings(columns["level"]),
        "line": _strings(columns["line"]),
    }
    schema = ERROR_EVENTS_SCHEMA.with_metadata({_EVENTS_VERSION_KEY: version.encode()})
    return pa.table({name: arrays[name] for name in schema.names}, schema=schema)


def _events_version_of(path: Path) -> str | None:
    """The store version an error_events file was written from (its footer only), if any."""
    try:
        metadata = pq.read_schema(path).metadata or {}
    except (OSError, pa.ArrowInvalid):
        return None
    version = metadata.get(_EVENTS_VERSION_KEY)
    return version.decode() if version is not None else None


# Arrays built from buffers: `pa.array(list)` imports pandas on first use (~0.2 s, in the short
# publish step of every run) just to check whether the list is a pandas object.


def _int64s(values: Sequence[int]) -> pa.Array:
    data = array("q", values)
    return pa.Array.from_buffers(pa.int64(), len(data), [None, pa.py_buffer(data)])


def _timestamps(epoch_seconds: Sequence[float]) -> pa.Array:
    return _int64s([round(t * 1e6) for t in epoch_seconds]).view(_UTC_MICROS)


def _optional_timestamps(epoch_seconds: Sequence[float | None]) -> pa.Array:
    """Like `_timestamps`, with None as null (a validity bitmap, not `pa.array`: pandas)."""
    micros = _timestamps([0.0 if t is None else t for t in epoch_seconds])
    valid = [t is not None for t in epoch_seconds]
    if all(valid):
        return micros
    bitmap = bytearray((len(valid) + 7) // 8)
    for i, ok in enumerate(valid):
        if ok:
            bitmap[i >> 3] |= 1 << (i & 7)
    return pa.Array.from_buffers(
        _UTC_MICROS,
        len(valid),
        [pa.py_buffer(bitmap), micros.buffers()[1]],
        null_count=valid.count(False),
    )


def _strings(values: Sequence[str]) -> pa.Array:
    encoded = [value.encode() for value in values]
    offsets = array("i", accumulate((len(e) for e in encoded), initial=0))
    return pa.Array.from_buffers(
        pa.string(), len(encoded), [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))]
    )


def write_atomic(table: pa.Table, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as sink:
            pq.write_table(table, sink)
            sink.flush()
            os.fchmod(sink.fileno(), public_mode())  # mkstemp's 0600 would hide it from analysts
            os.fsync(sink.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def publish(home: str | os.PathLike[str], state: CommittedState) -> Published:
    """Write every output from committed state.

    error_events is rewritten only when the stored events changed since it was written (its
    metadata records the store's events version): most runs add none, and it can hold
    `state_commit.EVENTS_KEPT` lines.
    """
    out = warehouse_dir(home)
    if out.is_dir():
        remove_stale_temp_files(out)
    totals, file_rows, commits = state.totals(), state.file_stats(), state.commit_log()
    published = Published(
        paths={
            "severity_totals": write_atomic(severity_totals_table(totals), out / SEVERITY_TOTALS),
            "file_stats": write_atomic(file_stats_table(file_rows), out / FILE_STATS),
            "severity_history": write_atomic(
                severity_history_table(commits), out / SEVERITY_HISTORY
            ),
            "error_events": out / ERROR_EVENTS,
        },
        totals=totals,
        rows={
            "severity_totals": len(LEVELS),
            "file_stats": len(file_rows),
            "severity_history": len(commits),
        },
    )
    newest, reads, count = state.error_events_version()
    version = f"{newest}:{reads}"
    published.rows["error_events"] = count
    if _events_version_of(out / ERROR_EVENTS) != version:
        write_atomic(error_events_table(state.error_events(), version), out / ERROR_EVENTS)
    return published
