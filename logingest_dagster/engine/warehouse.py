"""The Parquet outputs analysts read: schemas and atomic writers.

Every file is written to a temporary name in the same directory, fsynced, then renamed over the
old one, so a reader (or a run killed mid-write) never sees half a file.
"""

from __future__ import annotations

import os
import tempfile
from array import array
from collections.abc import Iterable, Mapping, Sequence
from itertools import accumulate
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from logingest_dagster.engine.levels import LEVELS

SEVERITY_TOTALS = "severity_totals.parquet"
FILE_STATS = "file_stats.parquet"
SEVERITY_HISTORY = "severity_history.parquet"

SEVERITY_TOTALS_SCHEMA = pa.schema([("level", pa.string()), ("count", pa.int64())])
FILE_STATS_SCHEMA = pa.schema(
    [("path", pa.string()), ("lines", pa.int64()), ("bytes", pa.int64())]
    + [(level.lower(), pa.int64()) for level in LEVELS]
)


# One row per commit to the offset store, oldest first: what each run added (a run that found
# nothing new adds a row of zeros), and each `logingest reset` as negative counts, so the rows sum
# to `severity_totals` at any time.
SEVERITY_HISTORY_SCHEMA = pa.schema(
    [
        ("run_id", pa.string()),
        ("kind", pa.string()),  # "run" or "reset"
        ("committed_at", pa.timestamp("us", tz="UTC")),
        ("files", pa.int64()),
        ("lines", pa.int64()),
        ("bytes", pa.int64()),
    ]
    + [(level.lower(), pa.int64()) for level in LEVELS]
)


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
        "committed_at": _int64s([round(float(r["committed_at"]) * 1e6) for r in rows]).view(
            SEVERITY_HISTORY_SCHEMA.field("committed_at").type
        ),
    }
    for name in SEVERITY_HISTORY_SCHEMA.names[3:]:
        columns[name] = _int64s([int(r[name]) for r in rows])
    return pa.table(columns, schema=SEVERITY_HISTORY_SCHEMA)


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
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as sink:
            pq.write_table(table, sink)
            sink.flush()
            os.fsync(sink.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def publish(
    home: str | os.PathLike[str], totals: Mapping[str, int], file_rows, commits
) -> dict[str, Path]:
    """Write every output from committed state (`OffsetStore.totals()`, `.file_stats()`,
    `.commit_log()`); returns where each landed."""
    out = warehouse_dir(home)
    return {
        "severity_totals": write_atomic(severity_totals_table(totals), out / SEVERITY_TOTALS),
        "file_stats": write_atomic(file_stats_table(file_rows), out / FILE_STATS),
        "severity_history": write_atomic(severity_history_table(commits), out / SEVERITY_HISTORY),
    }
