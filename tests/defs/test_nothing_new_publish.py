"""A run that finds nothing new leaves the warehouse as it is, unless something is still to publish."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from dagster import AssetKey, instance_for_test

from logingest_dagster.cli.sample import write_sample
from logingest_dagster.defs.jobs import build_ingest_job
from logingest_dagster.defs.resources import resource_from_settings
from logingest_dagster.engine import pipeline
from logingest_dagster.engine.state import open_store
from logingest_dagster.settings import Settings
from tests.helpers import parquet_totals, read_history, run_summary_of


def _files(warehouse: Path) -> dict[str, tuple[int, int]]:
    """Every file under the warehouse: (inode, mtime): a rewrite changes one or the other."""
    return {
        str(p.relative_to(warehouse)): (p.stat().st_ino, p.stat().st_mtime_ns)
        for p in warehouse.rglob("*")
        if p.is_file()
    }


def _job(logs: Path, home: Path):
    settings = Settings(log_dirs=[str(logs)])
    return build_ingest_job(1, resource=resource_from_settings(settings, str(home)))


def test_a_run_that_finds_nothing_new_rewrites_no_output_and_records_no_materialization(
    tmp_path, instance
):
    files = write_sample(tmp_path / "logs", lines_per_file=50)
    home, warehouse = tmp_path / "home", tmp_path / "home" / "warehouse"
    job = _job(tmp_path / "logs", home)
    first = job.execute_in_process(instance=instance)
    before = _files(warehouse)

    idle = job.execute_in_process(instance=instance)
    again = job.execute_in_process(instance=instance)  # the first one's row of zeros waits too

    for run in (idle, again):
        assert run.success and run_summary_of(run)["files_read"] == 0
        assert run.get_asset_materialization_events() == []
    assert _files(warehouse) == before
    # Its row of zeros in severity_history comes with the next publish that writes anything.
    with open(files[0], "a") as log:
        log.write("2026-12-03 10:00:00,000 ERROR [main] late line\n")
    third = job.execute_in_process(instance=instance)
    history = read_history(warehouse / "severity_history").to_pylist()
    runs = [first.run_id, idle.run_id, again.run_id, third.run_id]
    assert [row["run_id"] for row in history] == runs
    assert [row["files"] for row in history] == [len(files), 0, 0, 1]
    assert parquet_totals(home) == run_summary_of(third)["totals"]


def test_a_run_that_finds_nothing_new_publishes_what_an_earlier_run_left_unpublished(
    tmp_path, instance
):
    files = write_sample(tmp_path / "logs", lines_per_file=50)
    home = tmp_path / "home"
    job = _job(tmp_path / "logs", home)
    job.execute_in_process(instance=instance)
    # A run killed between its commit and its publish: new lines committed, not published.
    with open(files[0], "a") as log:
        log.write("2026-12-03 10:00:00,000 ERROR [main] committed, never published\n")
    settings = Settings(log_dirs=[str(tmp_path / "logs")])
    with open_store(home) as store:
        found = pipeline.discover(settings, store, home=home)
        read = pipeline.ingest(found.tasks, lambda _path: None)
        pipeline.commit(store, "killed-run", found.plan, read)
        totals = store.totals()
    assert parquet_totals(home) != totals

    idle = job.execute_in_process(instance=instance)

    assert run_summary_of(idle)["files_read"] == 0
    assert parquet_totals(home) == totals
    history = read_history(home / "warehouse" / "severity_history").to_pylist()
    assert "killed-run" in [row["run_id"] for row in history]
    assert os.path.exists(home / "warehouse" / "severity_totals.parquet")


def test_a_run_that_finds_nothing_new_records_the_outputs_never_materialized(tmp_path, instance):
    write_sample(tmp_path / "logs", lines_per_file=50)
    job = _job(tmp_path / "logs", tmp_path / "home")
    job.execute_in_process(instance=instance, asset_selection=[AssetKey("file_stats")])

    idle = job.execute_in_process(instance=instance)

    assert run_summary_of(idle)["files_read"] == 0
    recorded = {e.asset_key.path[0] for e in idle.get_asset_materialization_events()}
    assert recorded == {
        "severity_totals",
        "severity_history",
        "events",
        "severity_timeseries",
        "templates",
    }


@pytest.fixture
def instance():
    """One instance for every run of a test: what was materialized before is in it."""
    with instance_for_test() as instance:
        yield instance
