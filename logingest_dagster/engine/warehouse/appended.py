"""Publishing the datasets that grow: events and severity_timeseries, appended per commit, and
templates.parquet, folded from those events.

1. Under the store's write lock, every commit not yet published (this run's, and any a killed
   run left) gets its part files; its pending rows are deleted in the same transaction, so each
   commit is published once, and a crash before that commit just writes the same files again.
2. Closed days with several files are compacted (`partitions.compact_closed_days`), and so is
   the open day of `severity_history` once it has many (`history.OPEN_DAY_FILES`).
3. Days older than the retention are deleted whole (and rows of step 1 already that old are
   recorded as expired without being written), their rows and level counts first recorded
   in the store (`expired`) and published as `expired.parquet`, so nothing leaves unrecorded.

The cost follows what the commits added, not what the warehouse holds: listing the day
directories is the only work that grows with history (a directory per day kept; for
severity_history, which retention does not apply to, a directory per day since the first run).
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from logingest_dagster.engine.arrays import int64s, numpy_view, strings
from logingest_dagster.engine.levels import LEVELS
from logingest_dagster.engine.scan.result import EVENTS_PER_READ
from logingest_dagster.engine.warehouse import events, history, timeseries
from logingest_dagster.engine.warehouse.files import write_parquet_atomic
from logingest_dagster.engine.warehouse.partitions import (
    compact_closed_days,
    delete_day,
    expired_days,
    expiry_cutoff,
    parquet_files,
    split_expired,
    write_commit_parts,
)
from logingest_dagster.engine.warehouse.templates import publish_templates

EXPIRED = "expired.parquet"
PUBLISH_REPORT = "publish_report.json"
DEFAULT_RETENTION_DAYS = 30
# (dataset, the column its part files are sorted and split by)
DATASETS = ((events.NAME, "time"), (timeseries.NAME, "minute"))

EXPIRED_SCHEMA = pa.schema(
    [
        ("dataset", pa.string()),
        ("date", pa.string()),
        ("expired_at", pa.timestamp("us", tz="UTC")),
        ("rows", pa.int64()),
    ]
    + [(level.lower(), pa.int64()) for level in LEVELS]
)


class PendingState(Protocol):
    """What this module needs of `state.OffsetStore`."""

    def pending_publication(self): ...
    def publishing_lock(self): ...
    def record_expired(self, dataset: str, date: str, rows: int, counts: dict) -> None: ...
    def expired(self) -> list[dict]: ...


@dataclass
class AppendReport:
    commits: list[int] = field(default_factory=list)
    run_ids: list[str] = field(default_factory=list)
    events: int = 0
    event_files: int = 0
    timeseries_rows: int = 0
    timeseries_files: int = 0
    templates: int = 0  # rows of templates.parquet: templates seen in published events
    # Events the scans did not keep (`EVENTS_PER_READ` per read): a cap hit, failed as a check.
    events_dropped: int = 0
    events_per_read_limit: int = EVENTS_PER_READ
    days_compacted: dict[str, int] = field(default_factory=dict)
    days_expired: dict[str, int] = field(default_factory=dict)
    # Days of this publish's rows already past retention: recorded as expired, never written.
    days_skipped: dict[str, int] = field(default_factory=dict)
    rows_expired: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def publish_appended(
    warehouse: Path,
    state: PendingState,
    retention_days: int = DEFAULT_RETENTION_DAYS,
    now: float | None = None,
) -> AppendReport:
    started = time.perf_counter()
    now = time.time() if now is None else now
    report = AppendReport()
    today = datetime.fromtimestamp(now, UTC).date()
    cutoff = expiry_cutoff(today, retention_days)
    for name, _ in DATASETS:
        report.rows_expired[name] = 0
    with state.pending_publication() as pending:
        event_tables = []
        for commit in pending:
            cid = commit["commit_id"]
            report.commits.append(cid)
            report.run_ids.append(commit["run_id"])
            report.events_dropped += commit["events_dropped"]
            for name, column in DATASETS:
                table = events.table(commit) if name == events.NAME else timeseries.table(commit)
                if name == events.NAME:  # templates count every event, however old its day
                    event_tables.append((cid, table))
                # Days retention would delete in this same publish are recorded, not written
                # (an old log read for the first time): in the pending transaction, so a
                # publisher killed here records them again with the rows, not twice.
                table, too_old = split_expired(table, column, cutoff, _TALLIED[name])
                for day_name, old in too_old.items():
                    rows, counts = _tally_table(old, name)
                    state.record_expired(name, day_name, rows, counts)
                    report.rows_expired[name] += rows
                    report.days_skipped[name] = report.days_skipped.get(name, 0) + 1
                files = write_commit_parts(warehouse / name, table, column, cid)
                if name == events.NAME:
                    report.events += table.num_rows
                    report.event_files += files
                else:
                    report.timeseries_rows += table.num_rows
                    report.timeseries_files += files
        # Before the pending rows go: a crash after this leaves them, and the file's own
        # record of the last commit folded keeps the retry from counting them twice.
        report.templates = publish_templates(warehouse, event_tables)
    with state.publishing_lock() as still_pending:
        for name, column in DATASETS:
            done = compact_closed_days(warehouse, warehouse / name, column, still_pending, today)
            report.days_compacted[name] = done.days
        done = compact_closed_days(
            warehouse,
            warehouse / history.NAME,
            "committed_at",
            still_pending,
            today,
            open_day_files=history.OPEN_DAY_FILES,
        )
        report.days_compacted[history.NAME] = done.days
    for name, _ in DATASETS:
        old = expired_days(warehouse / name, today, retention_days)
        report.days_expired[name] = len(old)
        for day_name, day in sorted(old.items()):
            rows, counts = _tally(day, name)
            state.record_expired(name, day_name, rows, counts)
            delete_day(warehouse, day)
            report.rows_expired[name] += rows
    recorded = any(report.days_expired.values()) or any(report.days_skipped.values())
    if recorded or not (warehouse / EXPIRED).exists():
        write_parquet_atomic(expired_table(state.expired()), warehouse / EXPIRED)
    report.seconds = time.perf_counter() - started
    _write_report(warehouse / PUBLISH_REPORT, report)
    return report


def expired_table(rows: list[dict]) -> pa.Table:
    columns = {
        "dataset": strings([r["dataset"] for r in rows]),
        "date": strings([r["date"] for r in rows]),
        "expired_at": int64s(
            [round(r["expired_at"] * 1e6) for r in rows], EXPIRED_SCHEMA.field("expired_at").type
        ),
        "rows": int64s([r["rows"] for r in rows]),
    }
    for level in LEVELS:
        columns[level.lower()] = int64s([r[level.lower()] for r in rows])
    return pa.table(columns, schema=EXPIRED_SCHEMA)


def _tally(day: Path, dataset: str) -> tuple[int, dict[str, int]]:
    """A partition's rows and records per level (events: one per row; time series: `count`)."""
    rows, counts = 0, dict.fromkeys(LEVELS, 0)
    for path in parquet_files(day):
        columns = ["level", "count"] if dataset == timeseries.NAME else ["level"]
        file_rows, file_counts = _tally_table(pq.ParquetFile(path).read(columns=columns), dataset)
        rows += file_rows
        for level, count in file_counts.items():
            counts[level] += count
    return rows, counts


# The columns `_tally_table` reads of each dataset.
_TALLIED = {events.NAME: ["level"], timeseries.NAME: ["level", "count"]}


def _tally_table(table: pa.Table, dataset: str) -> tuple[int, dict[str, int]]:
    counts = dict.fromkeys(LEVELS, 0)
    if table.num_rows == 0:
        return 0, counts
    levels = table["level"].combine_chunks()
    if not hasattr(levels, "indices"):
        return table.num_rows, counts
    codes, names = numpy_view(levels.indices, np.int32), levels.dictionary.to_pylist()
    weights = (
        numpy_view(table["count"].combine_chunks(), np.int64)
        if dataset == timeseries.NAME
        else np.ones(table.num_rows, dtype=np.int64)
    )
    for code, total in enumerate(np.bincount(codes, weights, minlength=len(names)).tolist()):
        counts[names[code]] += int(total)
    return table.num_rows, counts


def _write_report(path: Path, report: AppendReport) -> None:
    tmp = path.with_name("." + path.name + ".tmp")
    tmp.write_text(json.dumps(asdict(report), indent=1))
    tmp.replace(path)
