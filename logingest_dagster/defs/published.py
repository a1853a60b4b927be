"""What a run's materializations of the appended datasets say (`engine/warehouse/appended.py`)."""

from __future__ import annotations

from logingest_dagster.engine.warehouse.appended import AppendReport


def appended_metadata(report: AppendReport) -> dict[str, dict]:
    """Asset name -> metadata: what this publish appended, compacted and expired, and the cap."""
    common = {"commits_published": len(report.commits), "publish_seconds": round(report.seconds, 4)}
    return {
        "events": common
        | {
            "events_this_run": report.events,
            "part_files_this_run": report.event_files,
            "events_not_kept_this_run": report.events_dropped,
            "events_per_read_limit": report.events_per_read_limit,
            "days_compacted": report.days_compacted.get("events", 0),
            "days_expired": report.days_expired.get("events", 0),
            "rows_expired": report.rows_expired.get("events", 0),
        },
        "templates": common | {"events_folded_this_run": report.events},
        "severity_timeseries": common
        | {
            "rows_this_run": report.timeseries_rows,
            "part_files_this_run": report.timeseries_files,
            "days_compacted": report.days_compacted.get("severity_timeseries", 0),
            "days_expired": report.days_expired.get("severity_timeseries", 0),
            "rows_expired": report.rows_expired.get("severity_timeseries", 0),
        },
    }


def published_changes(report: AppendReport) -> dict[str, int]:
    """What this publish changed in the appended datasets, for `outputs.WarehouseOutput.changed`:
    a run may publish what an earlier run committed (killed before publishing)."""
    return {
        "events_published": report.events,
        "events_days_changed": report.days_compacted.get("events", 0)
        + report.days_expired.get("events", 0),
        "timeseries_rows_published": report.timeseries_rows,
        "timeseries_days_changed": report.days_compacted.get("severity_timeseries", 0)
        + report.days_expired.get("severity_timeseries", 0),
    }
