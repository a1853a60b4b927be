"""Whether an `ingest_logs` run is already waiting or running.

The sensor and the schedule hold back rather than queue another run behind it: runs are
incremental, so the run already there reads whatever changed before it discovers files.
"""

from __future__ import annotations

from dagster import DagsterInstance, DagsterLogManager, DagsterRun, DagsterRunStatus, RunsFilter

from logingest_dagster.defs.job_tag import JOB_NAME, JOB_TAG
from logingest_dagster.defs.orphaned_runs import fail_orphaned_runs

# Not started yet: its discovery happens after now, so it will see any change made before it.
WAITING = (DagsterRunStatus.QUEUED, DagsterRunStatus.NOT_STARTED, DagsterRunStatus.STARTING)
# Discovery may be behind it: a change made now may be missed and needs a run of its own later.
RUNNING = (DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING)


def run_in_flight(
    instance: DagsterInstance, statuses: tuple[DagsterRunStatus, ...]
) -> DagsterRun | None:
    """The most recent ingest run in one of `statuses`, if any: of `ingest_logs`, from the CLI
    or not, or of `ingest_logs_celery` (both carry the `logingest/job` tag)."""
    ingest_runs = RunsFilter(tags={JOB_TAG: JOB_NAME}, statuses=list(statuses))
    runs = instance.get_runs(ingest_runs, limit=1)
    return runs[0] if runs else None


def end_orphaned_runs(instance: DagsterInstance, log: DagsterLogManager) -> None:
    """A run whose process died would look in flight for good, and would hold the run queue's
    one slot: mark it failed first (`orphaned_runs`)."""
    for run_id in fail_orphaned_runs(instance):
        log.warning(f"run {run_id} marked failed: the process executing it died")


def describe(run: DagsterRun) -> str:
    return f"{run.job_name} run {run.run_id} is {run.status.value.lower()}"
