"""A warehouse whose offset store is gone: say so before every file is read and counted again.

A deleted `offsets.db` (or a new `state.url`) beside Parquet outputs of earlier runs looks, to the
planner, like a first run: every file is read from the start. That is the only way to recover the
counts, but it must not happen silently (issue 12, case 13).
"""

from __future__ import annotations

import os
from typing import Protocol

from logingest_dagster.engine.warehouse.writers import SEVERITY_TOTALS, warehouse_dir


class CommitHistory(Protocol):
    url: str

    def has_committed(self, run_id: str | None = None) -> bool: ...


def lost_store_warning(home: str | os.PathLike[str], store: CommitHistory) -> str | None:
    totals = warehouse_dir(home) / SEVERITY_TOTALS
    if not totals.exists() or store.has_committed():
        return None
    return (
        f"the offset store ({_shown(store.url)}) is new but {totals.parent} holds the outputs of "
        "earlier runs: every log file still present is counted again from the start, and the "
        "counts of files removed since leave the totals. Deleted or moved by mistake? Restore "
        "it before the next run"
    )


def _shown(url: str) -> str:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    return parsed.database if parsed.get_backend_name() == "sqlite" else parsed.render_as_string()
