"""The warehouse: Parquet datasets derived from committed state (`writers`), each file written
atomically, and the invariants they must keep with each other (`checks`)."""

from logingest_dagster.engine.warehouse.checks import CHECKS, Outcome, WarehouseCheck, run_check
from logingest_dagster.engine.warehouse.writers import (
    FILE_STATS,
    SEVERITY_HISTORY,
    SEVERITY_TOTALS,
    Published,
    publish,
    warehouse_dir,
)

__all__ = [
    "CHECKS",
    "FILE_STATS",
    "SEVERITY_HISTORY",
    "SEVERITY_TOTALS",
    "Outcome",
    "Published",
    "WarehouseCheck",
    "publish",
    "run_check",
    "warehouse_dir",
]
