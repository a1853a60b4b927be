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


def dataset_schema(name: str):
    """The schema a growing dataset (`events`, `severity_timeseries`, `severity_history`) is
    written with."""
    from logingest_dagster.engine.warehouse import events, history, timeseries

    return {d.NAME: d.SCHEMA for d in (events, history, timeseries)}[name]


__all__ = [
    "dataset_schema",
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
