"""The names the code location shows (jobs, assets, checks, sensors, schedules, resource fields)
are pinned: users, schedules in the instance and scripts refer to them, so a rename must be a
decision made here, not a side effect."""

from __future__ import annotations

import os

import pytest

from logingest_dagster.definitions import defs
from logingest_dagster.environment import CELERY_BROKER_ENV

# Update deliberately: each change here renames something users see or their scripts call.
EXPECTED = {
    "jobs": {"ingest_logs", "check_warehouse", "delete_old_runs"},
    "assets": {
        "log_directories",
        "severity_totals",
        "file_stats",
        "severity_history",
        "events",
        "severity_timeseries",
        "templates",
    },
    "checks": {
        "severity_totals:one_row_per_level",
        "file_stats:sums_to_severity_totals",
        "file_stats:records_within_lines",
        "severity_history:sums_to_severity_totals",
        "events:within_caps",
        "severity_timeseries:sums_to_committed",
        "log_directories:configured_directories_exist",
        "templates:covers_events",
        # The alert rules' checks (issue 15): one per rule (the default rule with no settings),
        # and one for the run's problems.
        "severity_timeseries:alert_default",
        "severity_timeseries:alert_run_problems",
    },
    "sensors": {"log_dirs_changed", "ingest_failed_alert"},
    "schedules": {"ingest_logs_catchup", "delete_old_runs_daily"},
    "resources": {
        "logingest": {
            "home",
            "log_dirs",
            "max_discovery_workers",
            "discovered_files_channel_size",
            "fan_out_limit",
            "partial_line_grace_seconds",
            "rotate_wait_seconds",
            "level_patterns",
            "multiline_start_pattern",
            "state_url",
            "symlinks",
            "events_min_level",
            "mine_templates",
            "services",
            "timezone",
            "timezones",
            "retention_days",
            "alerts",
        }
    },
}


def code_location_names() -> dict:
    repository = defs.get_repository_def()
    asset_graph = defs.resolve_asset_graph()
    return {
        # Dagster's own implicit jobs (`__ASSET_JOB`) are not names this project chose.
        "jobs": {j.name for j in repository.get_all_jobs() if not j.name.startswith("__")},
        "assets": {key.to_user_string() for key in asset_graph.get_all_asset_keys()},
        "checks": {key.to_user_string() for key in asset_graph.asset_check_keys},
        "sensors": {s.name for s in repository.sensor_defs},
        "schedules": {s.name for s in repository.schedule_defs},
        "resources": {
            name: set(resource.config_schema.as_field().config_type.fields)
            for name, resource in repository.get_top_level_resources().items()
        },
    }


@pytest.mark.skipif(
    bool(os.environ.get(CELERY_BROKER_ENV)), reason="a scale-out location adds its Celery job"
)
def test_the_code_locations_names_are_the_pinned_ones():
    assert code_location_names() == EXPECTED
