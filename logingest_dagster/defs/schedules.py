"""`ingest_logs_catchup`: a run of `ingest_logs` on a clock, for what the sensor cannot see.

The sensor only notices changes while it and the daemon are running, and a partial last line
held back until its file has been quiet (`partial_line_grace_seconds`) changes nothing it can stat
once the file goes quiet. An hourly run picks both up.

Catch-up: the schedule has no partitions, so after downtime Dagster's scheduler evaluates only the
latest missed tick (`max_catchup_runs` applies to partitioned schedules only). Since runs are
incremental, that one run reads everything the missed ticks would have.
"""

import os

from dagster import (
    DagsterInvalidDefinitionError,
    DefaultScheduleStatus,
    JobDefinition,
    RunRequest,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    SkipReason,
    schedule,
)
from dagster._core.definitions.unresolved_asset_job_definition import (  # the asset job's type
    UnresolvedAssetJobDefinition,
)

from logingest_dagster.defs.jobs import default_run_config
from logingest_dagster.defs.runs_in_flight import (
    WAITING,
    describe,
    end_orphaned_runs,
    run_in_flight,
)
from logingest_dagster.environment import CATCHUP_CRON_ENV as CRON_ENV
from logingest_dagster.settings import SettingsError

SCHEDULE_NAME = "ingest_logs_catchup"
DEFAULT_CRON = "0 * * * *"


def catchup_cron_from_env() -> str:
    """`LOGINGEST_CATCHUP_CRON`, or hourly on the hour."""
    return os.environ.get(CRON_ENV, "").strip() or DEFAULT_CRON


def build_catchup_schedule(
    job: JobDefinition | UnresolvedAssetJobDefinition, cron_schedule: str = DEFAULT_CRON
) -> ScheduleDefinition:
    """The schedule on `job`; its runs use the job's default run config, as the launchpad does."""
    try:

        @schedule(
            name=SCHEDULE_NAME,
            job=job,
            cron_schedule=cron_schedule,
            # Off until someone turns it on in the UI, like the sensor.
            default_status=DefaultScheduleStatus.STOPPED,
            description="Runs ingest_logs on a clock, for changes the sensor did not see.",
        )
        def ingest_logs_catchup(context: ScheduleEvaluationContext):
            end_orphaned_runs(context.instance, context.log)
            # Only a run not started yet covers this tick; one already reading may have listed
            # the directories before the change this tick is meant to catch.
            waiting = run_in_flight(context.instance, WAITING)
            if waiting is not None:
                return SkipReason(f"{describe(waiting)}; it reads everything this run would")
            return RunRequest(run_config=default_run_config(job))

    except DagsterInvalidDefinitionError as exc:
        raise SettingsError(
            f"{CRON_ENV}: {cron_schedule!r} is not a valid cron schedule; "
            f"expected 5 fields, such as {DEFAULT_CRON!r} (hourly)"
        ) from exc
    return ingest_logs_catchup
