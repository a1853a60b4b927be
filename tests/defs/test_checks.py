"""The warehouse checks in Dagster: reported by every run, and runnable on demand."""

from __future__ import annotations

import pyarrow.parquet as pq
from dagster import AssetKey, Definitions

from logingest_dagster.cli.sample import write_sample
from logingest_dagster.defs.assets import ASSETS
from logingest_dagster.defs.checks import ASSET_CHECKS, check_warehouse
from logingest_dagster.defs.directories import EXIST_CHECK, LOG_DIRECTORIES
from logingest_dagster.defs.jobs import build_ingest_job
from logingest_dagster.defs.resources import resource_from_settings
from logingest_dagster.engine.warehouse import CHECKS
from logingest_dagster.settings import Settings


def test_a_run_reports_every_check_passed_on_what_it_published(tmp_path):
    write_sample(tmp_path / "logs", lines_per_file=50)
    resource = resource_from_settings(Settings(log_dirs=[str(tmp_path / "logs")]), str(tmp_path))
    result = build_ingest_job(1, resource=resource).execute_in_process()
    reported = {(e.asset_key, e.check_name): e.passed for e in result.get_asset_check_evaluations()}
    warehouse = {(AssetKey(c.asset), c.name): True for c in CHECKS if c.after_each_run}
    # Beside the alert rules' checks (tests/defs/test_alerts_job.py), which pass on sample logs.
    alerts = {
        (AssetKey("severity_timeseries"), "alert_default"): True,
        (AssetKey("severity_timeseries"), "alert_run_problems"): True,
    }
    assert reported == warehouse | {(LOG_DIRECTORIES, EXIST_CHECK): True} | alerts


def test_the_check_job_reports_a_doctored_file_as_failed(tmp_path):
    write_sample(tmp_path / "logs", lines_per_file=50)
    resource = resource_from_settings(Settings(log_dirs=[str(tmp_path / "logs")]), str(tmp_path))
    assert build_ingest_job(1, resource=resource).execute_in_process().success
    stats = tmp_path / "warehouse" / "file_stats.parquet"
    table = pq.read_table(stats)
    pq.write_table(table.slice(1), stats)  # one file's row lost

    defs = Definitions(
        assets=ASSETS,
        asset_checks=ASSET_CHECKS,
        jobs=[check_warehouse],
        resources={"logingest": resource},
    )
    result = defs.resolve_job_def("check_warehouse").execute_in_process(raise_on_error=False)
    failed = {
        (e.asset_key.path[0], e.check_name)
        for e in result.get_asset_check_evaluations()
        if not e.passed
    }
    assert failed == {("file_stats", "sums_to_severity_totals")}
    assert len(result.get_asset_check_evaluations()) == len(CHECKS) + 1  # and the directories


def test_the_code_location_defines_the_checks_and_their_job():
    from logingest_dagster.definitions import defs

    keys = defs.resolve_asset_graph().asset_check_keys
    assert {(k.asset_key.path[0], k.name) for k in keys} == {(c.asset, c.name) for c in CHECKS} | {
        (LOG_DIRECTORIES.path[0], EXIST_CHECK),
        ("severity_timeseries", "alert_default"),
        ("severity_timeseries", "alert_run_problems"),
    }
    assert defs.resolve_job_def("check_warehouse") is not None
