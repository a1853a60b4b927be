"""Whether the warehouse already holds everything a publish would write: then a run that
committed nothing new skips publishing.

Publishing rewrites the two summaries, appends the history, events and time series committed
since the last publish, compacts closed days and applies retention. After a run that read
nothing, forgot nothing and stored no event, all of that is a no-op when:
- every commit that changes the warehouse is in it (`OffsetStore.unpublished_changes`): no
  earlier run or reset left its counts or events for a later publish (a publish that failed, a
  run killed after its commit);
- the last complete publish was today (UTC) with the same retention: compaction and retention
  work on whole days, so they have nothing new to do within one;
- the files it writes are there (nobody deleted the warehouse to rebuild it).

The rows of zeros in `severity_history` of such runs are then written by the next publish that
does run: at the latest the first run of the next day (each in its commit's day).
"""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

# What a complete publish leaves, by name (`writers`, `history`, `appended`): importing those
# modules would load pyarrow into a run that publishes nothing.
MARK = ".published.json"
WRITTEN = ("severity_totals.parquet", "file_stats.parquet", "expired.parquet", "severity_history")


class PublicationState(Protocol):
    def unpublished_changes(self) -> set[str]: ...


def is_current(
    home: str | os.PathLike[str],
    state: PublicationState,
    run_id: str,
    retention_days: int,
    now: float | None = None,
) -> bool:
    """Whether a publish now, after run `run_id` committed nothing new, would change nothing."""
    out = Path(home) / "warehouse"
    try:
        mark = json.loads((out / MARK).read_text())
    except (OSError, ValueError):
        return False
    if mark != _mark(retention_days, now):
        return False
    if not all((out / name).exists() for name in WRITTEN):
        return False
    return state.unpublished_changes() <= {run_id}


def mark_current(
    home: str | os.PathLike[str], retention_days: int, now: float | None = None
) -> None:
    """Record a complete publish (call after it returned)."""
    out = Path(home) / "warehouse"
    tmp = out / (MARK + ".tmp")
    tmp.write_text(json.dumps(_mark(retention_days, now)))
    tmp.replace(out / MARK)


def _mark(retention_days: int, now: float | None) -> dict:
    day = datetime.fromtimestamp(time.time() if now is None else now, UTC).date()
    return {"day": day.isoformat(), "retention_days": retention_days}
