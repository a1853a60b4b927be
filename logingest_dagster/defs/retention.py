"""`delete_old_runs`: Dagster's run history bounded by age.

A sensor tick every 30 s can start thousands of runs a month, each stored with its events; the
offset store and the warehouse are the lasting record of what was ingested, so finished runs
older than `LOGINGEST_RUN_RETENTION_DAYS` (default 14) are deleted, events and all, daily.
"""

import datetime
import os
import shutil
from pathlib import Path

from dagster import (
    Config,
    DagsterInstance,
    DefaultScheduleStatus,
    OpExecutionContext,
    RunsFilter,
    ScheduleDefinition,
    job,
    op,
)
from dagster._core.storage.dagster_run import FINISHED_STATUSES

from logingest_dagster.environment import RUN_RETENTION_ENV
from logingest_dagster.settings import SettingsError

RETENTION_ENV = RUN_RETENTION_ENV
DEFAULT_RETENTION_DAYS = 14
RETENTION_JOB = "delete_old_runs"
RETENTION_SCHEDULE = "delete_old_runs_daily"
BATCH = 200


def retention_days_from_env() -> int:
    raw = os.environ.get(RETENTION_ENV, "").strip()
    if not raw:
        return DEFAULT_RETENTION_DAYS
    if not raw.isdigit() or int(raw) < 1:
        raise SettingsError(f"{RETENTION_ENV} must be a whole number of days >= 1, got {raw!r}")
    return int(raw)


def delete_finished_runs(
    instance: DagsterInstance, days: int, now: "datetime.datetime | None" = None
) -> int:
    """Delete every run that finished (success, failure, cancel) more than `days` ago; a run
    still queued or in progress is kept however old. Returns how many were deleted."""
    now = now or datetime.datetime.now(datetime.UTC)
    old = RunsFilter(statuses=FINISHED_STATUSES, updated_before=now - datetime.timedelta(days))
    deleted = 0
    storage = Path(instance.storage_directory())
    while runs := instance.get_runs(old, limit=BATCH):
        for run in runs:
            instance.delete_run(run.run_id)
            # The step outputs the IO manager pickled for the run: `delete_run` leaves them.
            shutil.rmtree(storage / run.run_id, ignore_errors=True)
        deleted += len(runs)
    return deleted


class RetentionConfig(Config):
    days: int = DEFAULT_RETENTION_DAYS


@op(name="delete_finished_runs")
def delete_finished_runs_op(context: OpExecutionContext, config: RetentionConfig) -> None:
    deleted = delete_finished_runs(context.instance, config.days)
    context.log.info(f"deleted {deleted} runs finished more than {config.days} days ago")


def build_retention_schedule(days: int = DEFAULT_RETENTION_DAYS) -> ScheduleDefinition:
    @job(
        name=RETENTION_JOB,
        description="Delete finished runs older than the retention (the warehouse and offset "
        "store keep what was ingested).",
        config={"ops": {"delete_finished_runs": {"config": {"days": days}}}},
    )
    def delete_old_runs():
        delete_finished_runs_op()

    return ScheduleDefinition(
        name=RETENTION_SCHEDULE,
        job=delete_old_runs,
        cron_schedule="17 3 * * *",
        # On by default: storage stays bounded without anyone having to remember it.
        default_status=DefaultScheduleStatus.RUNNING,
        description=f"Daily: deletes finished runs older than {days} days ({RETENTION_ENV}).",
    )
