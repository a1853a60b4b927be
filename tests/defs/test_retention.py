"""`delete_old_runs`: finished runs older than the retention are deleted, events and all."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from dagster import DagsterEventType, DagsterRunStatus, job, op

from logingest_dagster.definitions import defs
from logingest_dagster.defs.retention import (
    DEFAULT_RETENTION_DAYS,
    RETENTION_ENV,
    RETENTION_SCHEDULE,
    delete_finished_runs,
    retention_days_from_env,
)
from logingest_dagster.settings import SettingsError


@op
def noop():
    pass


@job
def small_job():
    noop()


def test_finished_runs_older_than_the_retention_are_deleted_in_flight_ones_kept(instance):
    done = small_job.execute_in_process(instance=instance).run_id
    started = instance.create_run_for_job(small_job, status=DagsterRunStatus.STARTED).run_id
    assert instance.all_logs(done)
    now = datetime.datetime.now(datetime.UTC)
    assert delete_finished_runs(instance, 14, now=now) == 0  # all younger than 14 days
    later = now + datetime.timedelta(days=15)
    outputs = Path(instance.storage_directory()) / done
    outputs.mkdir(parents=True, exist_ok=True)  # as the IO manager leaves a run's step outputs
    assert delete_finished_runs(instance, 14, now=later) == 1
    assert not outputs.exists()
    assert instance.get_run_by_id(done) is None
    assert instance.get_records_for_run(done, of_type=DagsterEventType.RUN_SUCCESS).records == []
    assert instance.get_run_by_id(started) is not None


def test_the_schedule_runs_daily_and_is_on_by_default(monkeypatch):
    monkeypatch.delenv(RETENTION_ENV, raising=False)
    assert retention_days_from_env() == DEFAULT_RETENTION_DAYS == 14
    schedule = defs.resolve_schedule_def(RETENTION_SCHEDULE)
    assert schedule.default_status.value == "RUNNING"
    job = defs.resolve_job_def(schedule.job_name)
    assert job.run_config["ops"]["delete_finished_runs"]["config"]["days"] == 14


def test_a_retention_job_run_deletes_old_runs(instance):
    schedule_job = defs.resolve_job_def(defs.resolve_schedule_def(RETENTION_SCHEDULE).job_name)
    old = small_job.execute_in_process(instance=instance).run_id
    # days=0 makes every finished run old enough, as 14 days would a fortnight later.
    config = {"ops": {"delete_finished_runs": {"config": {"days": 0}}}}
    assert schedule_job.execute_in_process(run_config=config, instance=instance).success
    assert instance.get_run_by_id(old) is None


@pytest.mark.parametrize("raw", ["0", "-1", "two weeks"])
def test_a_bad_retention_is_a_clear_error(monkeypatch, raw):
    monkeypatch.setenv(RETENTION_ENV, raw)
    with pytest.raises(SettingsError, match=RETENTION_ENV):
        retention_days_from_env()
