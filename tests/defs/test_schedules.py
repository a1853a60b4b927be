"""`ingest_logs_catchup`: what a tick requests, its cron, and how Dagster's scheduler catches up."""

from __future__ import annotations

import datetime
import logging
import os
import subprocess
import sys
import time

import pytest
from dagster import DagsterRunStatus, RunsFilter, build_schedule_context
from dagster._core.scheduler.instigation import ScheduleInstigatorData, TickStatus

# The scheduler module is importable only once the daemon package has loaded (a circular import).
from dagster._daemon import SchedulerDaemon  # noqa: F401
from dagster._scheduler.scheduler import launch_scheduled_runs

from logingest_dagster.definitions import defs, ingest_logs_catchup
from logingest_dagster.defs.schedules import (
    CRON_ENV,
    DEFAULT_CRON,
    SCHEDULE_NAME,
    build_catchup_schedule,
    catchup_cron_from_env,
)
from logingest_dagster.settings import SettingsError
from tests.helpers import REPO, dead_cli_process_tags

ingest_logs = defs.resolve_job_def("ingest_logs")


def evaluate(instance):
    return ingest_logs_catchup.evaluate_tick(build_schedule_context(instance=instance))


def test_a_tick_requests_ingest_logs_with_the_jobs_run_config(instance):
    result = evaluate(instance)
    assert result.skip_message is None
    [request] = result.run_requests
    assert ingest_logs_catchup.job_name == "ingest_logs"
    assert request.run_config == ingest_logs.run_config
    multiprocess = request.run_config["execution"]["config"]["multiprocess"]
    assert multiprocess["max_concurrent"] == 5  # the seed's ingestion.worker_count default


def test_a_run_waiting_in_the_queue_skips_the_tick(instance, code_location):
    waiting = code_location.submit_ingest_run(instance)
    assert instance.get_run_by_id(waiting.run_id).status == DagsterRunStatus.QUEUED
    result = evaluate(instance)
    assert result.run_requests == []
    assert waiting.run_id in result.skip_message


def test_a_run_already_reading_does_not_skip_the_tick(instance):
    # It may have listed the directories before the change this tick is meant to catch.
    instance.create_run_for_job(
        ingest_logs, status=DagsterRunStatus.STARTED, tags=ingest_logs.run_tags
    )
    assert len(evaluate(instance).run_requests) == 1


def test_a_tick_fails_a_run_whose_cli_process_died(instance):
    # Left STARTED, it would hold the run queue's one slot, and this tick's run would never start.
    tags = dead_cli_process_tags()
    orphan = instance.create_run_for_job(ingest_logs, status=DagsterRunStatus.STARTED, tags=tags)
    assert len(evaluate(instance).run_requests) == 1
    assert instance.get_run_by_id(orphan.run_id).status == DagsterRunStatus.FAILURE


def test_hourly_and_stopped_by_default(monkeypatch):
    monkeypatch.delenv(CRON_ENV, raising=False)
    assert catchup_cron_from_env() == DEFAULT_CRON == "0 * * * *"
    assert ingest_logs_catchup.default_status.value == "STOPPED"


def test_cron_env_override(monkeypatch):
    monkeypatch.setenv(CRON_ENV, "*/15 * * * *")
    schedule = build_catchup_schedule(ingest_logs, catchup_cron_from_env())
    assert schedule.cron_schedule == "*/15 * * * *"


@pytest.mark.parametrize("cron", ["hourly", "61 * * * *", "* * * *"])
def test_a_bad_cron_is_a_clear_error(cron):
    with pytest.raises(SettingsError, match=f"{CRON_ENV}: '.*' is not a valid cron schedule"):
        build_catchup_schedule(ingest_logs, cron)


def test_a_bad_cron_fails_the_code_location_load_with_its_variable_named(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LOGINGEST_", "DAGSTER_"))}
    env |= {CRON_ENV: "every hour", "LOGINGEST_HOME": str(tmp_path)}
    loaded = subprocess.run(
        [sys.executable, "-c", "import logingest_dagster.definitions"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert loaded.returncode != 0
    assert f"SettingsError: {CRON_ENV}: 'every hour' is not a valid cron schedule" in loaded.stderr


def test_after_downtime_missed_ticks_launch_one_run(instance, code_location, caplog):
    """The scheduler, as the daemon runs it, with the schedule turned on five hours ago."""
    remote = code_location.repository.get_schedule(SCHEDULE_NAME)
    state = instance.start_schedule(remote)
    five_hours_ago = time.time() - 5 * 3600
    instance.update_instigator_state(
        state.with_data(
            ScheduleInstigatorData(
                cron_schedule=remote.cron_schedule, start_timestamp=five_hours_ago
            )
        )
    )
    now = datetime.datetime.now(datetime.UTC)
    list(
        launch_scheduled_runs(
            code_location.context,
            logging.getLogger(__name__),
            end_datetime_utc=now,
            iteration_times={},
            max_catchup_runs=5,  # Dagster's default; it applies to partitioned schedules only
        )
    )
    assert f"{SCHEDULE_NAME} has no partition set, so not trying to catch up" in caplog.text
    # Only the latest missed tick is evaluated (not one per hour, each skipped or not).
    [tick] = instance.get_ticks(remote.get_remote_origin_id(), remote.selector_id)
    assert tick.status == TickStatus.SUCCESS
    assert tick.timestamp == now.replace(minute=0, second=0, microsecond=0).timestamp()
    runs = instance.get_runs(RunsFilter(tags={"dagster/schedule_name": SCHEDULE_NAME}))
    assert [run.run_id for run in runs] == tick.run_ids
    assert runs[0].run_config == ingest_logs.run_config
