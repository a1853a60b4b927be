"""The Parquet outputs as assets in the asset graph; `ingest_logs` records their materializations."""

from __future__ import annotations

from dagster import AssetSpec

from logingest_dagster.engine.state import EVENTS_KEPT
from logingest_dagster.engine.warehouse import (
    ERROR_EVENTS,
    FILE_STATS,
    SEVERITY_HISTORY,
    SEVERITY_TOTALS,
)

GROUP = "logingest"

severity_totals = AssetSpec(
    "severity_totals",
    group_name=GROUP,
    description=f"warehouse/{SEVERITY_TOTALS}: `level` (string), `count` (int64), 8 canonical levels.",
    kinds={"parquet"},
)

file_stats = AssetSpec(
    "file_stats",
    group_name=GROUP,
    description=(
        f"warehouse/{FILE_STATS}: one row per file: `path`, `lines`, `bytes`, an int64 column per level."
    ),
    kinds={"parquet"},
)

severity_history = AssetSpec(
    "severity_history",
    group_name=GROUP,
    description=(
        f"warehouse/{SEVERITY_HISTORY}: one row per committed run (and reset): `run_id`, `kind`, "
        "`committed_at`, `files`, `lines`, `bytes`, an int64 column per level; sums to the totals."
    ),
    kinds={"parquet"},
)

error_events = AssetSpec(
    "error_events",
    group_name=GROUP,
    description=(
        f"warehouse/{ERROR_EVENTS}: the first line of each ERROR and FATAL record, the newest "
        f"{EVENTS_KEPT:,}: `committed_at`, `run_id`, `path`, `file`, `offset`, `level`, `line`, "
        "`logged_at` (the time written at the start of the line, UTC; null without a dated time)."
    ),
    kinds={"parquet"},
)

ASSETS = [severity_totals, file_stats, severity_history, error_events]
