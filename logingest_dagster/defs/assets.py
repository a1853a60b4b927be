"""The Parquet outputs as assets in the asset graph; `ingest_logs` records their materializations."""

from __future__ import annotations

import pyarrow as pa
from dagster import AssetSpec, TableColumn, TableSchema

from logingest_dagster.engine.warehouse import (
    FILE_STATS,
    SEVERITY_HISTORY,
    SEVERITY_TOTALS,
)
from logingest_dagster.engine.warehouse import events as events_dataset
from logingest_dagster.engine.warehouse import templates as templates_dataset
from logingest_dagster.engine.warehouse import timeseries as timeseries_dataset

GROUP = "logingest"


def table_schema(schema: pa.Schema) -> TableSchema:
    """A Parquet schema as the UI shows it (the asset's Columns)."""
    return TableSchema(columns=[TableColumn(f.name, str(f.type)) for f in schema])


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

events = AssetSpec(
    "events",
    group_name=GROUP,
    description=(
        "warehouse/events/date=YYYY-MM-DD/: one row per record at or above events.min_level "
        "(default WARN), by the time it was logged; appended per run. See README 'For analysts'."
    ),
    kinds={"parquet"},
    metadata={"dagster/column_schema": table_schema(events_dataset.SCHEMA)},
)

severity_timeseries = AssetSpec(
    "severity_timeseries",
    group_name=GROUP,
    description=(
        "warehouse/severity_timeseries/date=YYYY-MM-DD/: records per minute x path x level, by "
        "the time logged (the commit's where a record has none, `time_source`); appended per run."
    ),
    kinds={"parquet"},
    metadata={"dagster/column_schema": table_schema(timeseries_dataset.SCHEMA)},
)

templates = AssetSpec(
    "templates",
    group_name=GROUP,
    description=(
        f"warehouse/{templates_dataset.TEMPLATES}: one row per message template (the logging "
        "statement an event's message came from): `template_id` (as in events/), `template`, "
        "first and last logged time, counts per level, the paths it appears in; folded from "
        "each run's events. See README 'Message templates'."
    ),
    kinds={"parquet"},
    metadata={"dagster/column_schema": table_schema(templates_dataset.TEMPLATES_SCHEMA)},
)

ASSETS = [severity_totals, file_stats, severity_history, events, severity_timeseries, templates]
