"""The warehouse outputs the ingest graph materializes: adding an output is one entry in OUTPUTS.

Each entry becomes an output of the publishing step and an asset of the graph-backed multi-asset
(`defs/assets.py`); the engine's `publish` writes the file under the same name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

# No engine import here: the warehouse and the store load numpy and pyarrow, which the process
# that launches a run (it builds the job from these definitions) never needs.
GROUP = "logingest"


def read_anything(figures: dict) -> bool:
    return figures["files_read"] > 0 or figures.get("files_forgotten", 0) > 0


@dataclass(frozen=True)
class WarehouseOutput:
    name: str  # the asset key, the step output and the key of `Published.paths`
    description: str
    # Whether a run with these figures (`pipeline.commit`) changed the output: a run that
    # changed nothing records no materialization, so "last materialized" means new data.
    changed: Callable[[dict], bool] = read_anything


OUTPUTS = [
    WarehouseOutput(
        "severity_totals",
        "warehouse/severity_totals.parquet: `level` (string), `count` (int64), 8 canonical levels.",
        changed=lambda figures: figures["records_read"] > 0,
    ),
    WarehouseOutput(
        "file_stats",
        "warehouse/file_stats.parquet: one row per file: `path`, `lines`, `bytes`, an int64 column "
        "per level.",
    ),
    WarehouseOutput(
        "severity_history",
        "warehouse/severity_history/date=YYYY-MM-DD/: one row per committed run (and reset): "
        "`run_id`, `kind`, `committed_at`, `files`, `lines`, `bytes`, an int64 column per level; "
        "sums to the totals; appended per run.",
    ),
    WarehouseOutput(
        "events",
        "warehouse/events/date=YYYY-MM-DD/: one row per record at or above events.min_level "
        "(default WARN), by the time it was logged; appended per run. See README 'For analysts'.",
        changed=lambda f: f["events_published"] > 0 or f["events_days_changed"] > 0,
    ),
    WarehouseOutput(
        "severity_timeseries",
        "warehouse/severity_timeseries/date=YYYY-MM-DD/: records per minute x path x level, by "
        "the time logged (the commit's where a record has none, `time_source`); appended per run.",
        changed=lambda f: f["timeseries_rows_published"] > 0 or f["timeseries_days_changed"] > 0,
    ),
    WarehouseOutput(
        "templates",
        "warehouse/templates.parquet: one row per message template (the logging statement an "
        "event's message came from): `template_id` (as in events/), `template`, first and last "
        "logged time, counts per level, the paths it appears in; folded from each run's events.",
        changed=lambda f: f["events_published"] > 0,
    ),
]

OUTPUT_NAMES = [output.name for output in OUTPUTS]
