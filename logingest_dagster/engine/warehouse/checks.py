"""Invariants of the published Parquet files, checked from the files themselves.

Each holds by construction (the outputs are derived from one committed state), so a failure means
a bug, a file written by something else, or files from two different states side by side. The
Dagster layer runs them as asset checks (`defs/checks.py`): after every run, and on demand.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

# The kernel by name: importing `pyarrow.compute` costs ~20 ms (see scan/formats.py).
from pyarrow import _compute

from logingest_dagster.engine.levels import LEVELS
from logingest_dagster.engine.warehouse import events, history, templates, timeseries
from logingest_dagster.engine.warehouse.appended import EXPIRED, PUBLISH_REPORT
from logingest_dagster.engine.warehouse.writers import (
    FILE_STATS,
    SEVERITY_HISTORY,
    SEVERITY_TOTALS,
    warehouse_dir,
)

COLUMNS = [level.lower() for level in LEVELS]  # file_stats' and severity_history's level columns


@dataclass
class Outcome:
    passed: bool
    description: str
    metadata: dict[str, int | str] = field(default_factory=dict)


@dataclass(frozen=True)
class WarehouseCheck:
    asset: str  # the asset (and Parquet file stem) it checks
    name: str
    description: str
    run: Callable[[Path], Outcome]  # given the warehouse directory
    # Reported after every run; False: reads a whole growing dataset, so on demand only.
    after_each_run: bool = True


def _read(path: Path, columns: list[str] | None = None) -> pa.Table:
    # Not `pq.read_table`: it goes through `pyarrow.dataset`, which imports pandas (~0.2 s) in
    # the step process that publishes.
    return pq.ParquetFile(path).read(columns=columns)


def _ints(column: pa.ChunkedArray) -> np.ndarray:
    """An int64 column as numpy, without `to_numpy()` (which imports pandas)."""
    array = column.combine_chunks()
    if array.null_count:
        raise ValueError(f"{array.null_count} nulls in an int64 column")
    values = np.frombuffer(array.buffers()[1], dtype=np.int64)
    return values[array.offset : array.offset + len(array)]


def _read_partitions(dataset: Path, columns: list[str], schema: pa.Schema) -> pa.Table:
    """Every part file of a hive-partitioned dataset, the partition column left out."""
    parts = [_read(path, columns) for path in sorted(dataset.glob("date=*/*.parquet"))]
    if not parts:
        return pa.Table.from_batches([], schema=schema).select(columns)  # (empty_table: pandas)
    return pa.concat_tables(parts)


def _history(out: Path, columns: list[str]) -> pa.Table:
    return _read_partitions(out / SEVERITY_HISTORY, columns, history.SCHEMA)


def _totals(out: Path) -> dict[str, int]:
    table = _read(out / SEVERITY_TOTALS)
    return dict(zip(table["level"].to_pylist(), _ints(table["count"]).tolist(), strict=True))


def _levels(table: pa.Table) -> np.ndarray:
    """The level columns as one int64 matrix, a row per table row."""
    if table.num_rows == 0:
        return np.zeros((0, len(COLUMNS)), dtype=np.int64)
    return np.column_stack([_ints(table[name]) for name in COLUMNS])


def _column_sums(table: pa.Table) -> dict[str, int]:
    return dict(zip(LEVELS, _levels(table).sum(axis=0).tolist(), strict=True))


def _differences(got: dict[str, int], totals: dict[str, int]) -> dict[str, str]:
    return {
        level: f"{got.get(level, 0):,} vs {totals.get(level, 0):,}"
        for level in LEVELS
        if got.get(level, 0) != totals.get(level, 0)
    }


def one_row_per_level(out: Path) -> Outcome:
    table = _read(out / SEVERITY_TOTALS)
    levels, counts = table["level"].to_pylist(), _ints(table["count"]).tolist()
    if levels != list(LEVELS):
        return Outcome(False, f"levels are {levels}, not the 8 canonical ones in order")
    negative = [level for level, count in zip(levels, counts, strict=True) if count < 0]
    if negative:
        return Outcome(False, f"negative counts: {', '.join(negative)}")
    return Outcome(True, "the 8 canonical levels, no negative count", {"records": sum(counts)})


def file_stats_sum_to_totals(out: Path) -> Outcome:
    sums = _column_sums(_read(out / FILE_STATS, COLUMNS))
    wrong = _differences(sums, _totals(out))
    if wrong:
        return Outcome(False, "per-level sums differ from severity_totals", wrong)
    return Outcome(True, "per-level sums equal severity_totals", {"records": sum(sums.values())})


def records_within_lines(out: Path) -> Outcome:
    """A record is a line plus its continuation lines, so no file has more records than lines."""
    table = _read(out / FILE_STATS, ["path", "lines", *COLUMNS])
    levels = _levels(table)
    bad = (levels.sum(axis=1) > _ints(table["lines"])) | (levels < 0).any(axis=1)
    count = int(bad.sum())
    if count:
        first = table["path"][int(np.flatnonzero(bad)[0])].as_py()
        return Outcome(
            False, f"{count} files with more records than lines (or negative counts), first {first}"
        )
    return Outcome(True, "no file has more records than lines", {"files": table.num_rows})


def history_sums_to_totals(out: Path) -> Outcome:
    table = _history(out, COLUMNS)
    wrong = _differences(_column_sums(table), _totals(out))
    if wrong:
        return Outcome(False, "per-level sums of the history differ from severity_totals", wrong)
    return Outcome(True, "per-level sums equal severity_totals", {"commits": table.num_rows})


def events_within_caps(out: Path) -> Outcome:
    """No event was left out by the per-read limit in the last publish."""
    report = json.loads((out / PUBLISH_REPORT).read_text())
    dropped, limit = report["events_dropped"], report["events_per_read_limit"]
    metadata = {"events_dropped": dropped, "events_per_read_limit": limit}
    if dropped:
        return Outcome(
            False,
            f"{dropped:,} events not kept: a read had more than {limit:,} (commits "
            f"{report['commits']}); their records are counted, not in events/",
            metadata,
        )
    return Outcome(
        True, "every event of the last publish kept", metadata | {"events": report["events"]}
    )


def timeseries_sums_to_committed(out: Path) -> Outcome:
    """Every record committed by a run is in one row of the time series, or was expired."""
    dataset = out / timeseries.NAME
    sums = dict.fromkeys(LEVELS, 0)
    if dataset.is_dir():
        for path in sorted(dataset.glob("date=*/*.parquet")):
            table = _read(path, ["level", "count"])
            for level, count in zip(
                table["level"].to_pylist(), _ints(table["count"]).tolist(), strict=True
            ):
                sums[level] += count
    if (out / EXPIRED).exists():
        gone = _read(out / EXPIRED)
        for i, name in enumerate(gone["dataset"].to_pylist()):
            if name == timeseries.NAME:
                for level in LEVELS:
                    sums[level] += gone[level.lower()][i].as_py()
    commits = _history(out, ["kind", *COLUMNS])
    runs = commits.filter(np.array([k == "run" for k in commits["kind"].to_pylist()], bool))
    wrong = _differences(sums, _column_sums(runs))
    if wrong:
        return Outcome(False, "per-level sums differ from what the runs committed", wrong)
    return Outcome(
        True, "per-level sums equal what the runs committed", {"records": sum(sums.values())}
    )


def templates_cover_events(out: Path) -> Outcome:
    """Every template an event in events/ names has its row in templates.parquet, with a count
    the sum of its level columns and no smaller than its events still in events/ (retention
    deletes events, never templates)."""
    table = _read(out / templates.TEMPLATES, ["template_id", "count", *COLUMNS])
    counts = dict(
        zip(table["template_id"].to_pylist(), _ints(table["count"]).tolist(), strict=True)
    )
    by_level = sum(_ints(table[name]) for name in COLUMNS)
    unbalanced = int(np.count_nonzero(by_level != _ints(table["count"]))) if table.num_rows else 0
    ids = _read_partitions(out / events.NAME, ["template_id"], events.SCHEMA)["template_id"]
    # Counted by Arrow: events/ holds every event of the retention window.
    counted = _compute.call_function("value_counts", [ids.combine_chunks()])
    in_events = {
        template_id: n
        for template_id, n in zip(
            counted.field("values").to_pylist(), counted.field("counts").to_pylist(), strict=True
        )
        if template_id is not None
    }
    missing = sorted(t for t in in_events if t not in counts)
    short = sorted(t for t, n in in_events.items() if t in counts and counts[t] < n)
    metadata = {"templates": table.num_rows, "missing": len(missing), "short": len(short)}
    if missing or short or unbalanced:
        return Outcome(
            False,
            f"{len(missing)} templates of events/ missing, {len(short)} counted short, "
            f"{unbalanced} rows whose count is not the sum of their levels "
            f"(first: {(missing + short)[:3]})",
            metadata | {"unbalanced": unbalanced},
        )
    return Outcome(True, "every template of events/ is a row, counted at least as often", metadata)


CHECKS: tuple[WarehouseCheck, ...] = (
    WarehouseCheck(
        "severity_totals",
        "one_row_per_level",
        "One row per canonical level, in order, none negative.",
        one_row_per_level,
    ),
    WarehouseCheck(
        "file_stats",
        "sums_to_severity_totals",
        "Each level's column sums to that level's count in severity_totals.",
        file_stats_sum_to_totals,
    ),
    WarehouseCheck(
        "file_stats",
        "records_within_lines",
        "No file has more records than lines, nor a negative count.",
        records_within_lines,
    ),
    WarehouseCheck(
        "severity_history",
        "sums_to_severity_totals",
        "Each level's column, over every run and reset, sums to severity_totals.",
        history_sums_to_totals,
    ),
    WarehouseCheck(
        events.NAME,
        "within_caps",
        "No event was left out by the per-read limit in the last publish.",
        events_within_caps,
    ),
    WarehouseCheck(
        timeseries.NAME,
        "sums_to_committed",
        "Each level's counts, with what retention expired, sum to what the runs committed "
        "(severity_history's run rows; resets are not subtracted from the time series).",
        timeseries_sums_to_committed,
        after_each_run=False,
    ),
    WarehouseCheck(
        templates.NAME,
        "covers_events",
        "Every template_id in events/ is a row of templates.parquet, counted at least as often, "
        "and each row's count is the sum of its level columns.",
        templates_cover_events,
        after_each_run=False,  # reads the template ids of the whole events/ dataset
    ),
)


def run_check(check: WarehouseCheck, home: str | os.PathLike[str]) -> Outcome:
    """`check` on the warehouse under `home`; a missing or unreadable file is a failure."""
    try:
        return check.run(warehouse_dir(home))
    except (OSError, pa.ArrowException, KeyError, ValueError) as exc:
        return Outcome(False, f"cannot check: {type(exc).__name__}: {exc}")
