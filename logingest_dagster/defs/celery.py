"""`ingest_logs_celery`: the same job with its steps on Celery workers, for more than one machine.

Installed with the `celery` extra (dagster-celery, dagster-postgres, redis), and in the code
location only where `LOGINGEST_CELERY_BROKER` is set: importing Celery is slow, and every
other process that loads the definitions (the forkserver of each `logingest run`) would pay for it. It materializes
the same assets as the ingest job (`assets.ingest_graph`); only the executor differs. Dagster's celery executor runs
dynamic map/collect (dagster-dask's does not: it reports success with the mapped steps skipped),
so discovery fans out to ingestion steps on any worker, and the publish step collects them.

What a deployment across machines needs, because a step may run on any worker:
- the Dagster instance on Postgres (dagster-postgres), so every worker records into one event log;
- the offset store on Postgres (`state.url`, or `LOGINGEST_STATE_URL`);
- the log directories, `LOGINGEST_HOME` and the instance's storage directory (where step outputs
  are handed over) at the same paths on every worker: a shared filesystem;
- a broker every worker reaches: `LOGINGEST_CELERY_BROKER` (also the result backend), e.g.
  `redis://broker:6379/0`; workers started with `dagster-celery worker start -A dagster_celery.app`
  and the same broker in `-y`'s config.

The job carries the ingest job's `logingest/job` tag (`jobs.ingest_job`), so the run queue's one-run limit covers
both: a celery run and a multiprocess run never overlap.
"""

from __future__ import annotations

import os

from dagster_celery import celery_executor

from logingest_dagster.defs.jobs import ingest_job, resolve
from logingest_dagster.defs.resources import LogIngestResource
from logingest_dagster.environment import CELERY_BROKER_ENV

CELERY_JOB_NAME = "ingest_logs_celery"


def celery_execution_config() -> dict | None:
    """The broker and result backend, named by `LOGINGEST_CELERY_BROKER` when it is set (its
    value, which may hold a password, stays out of run config); else the executor's defaults."""
    if not os.environ.get(CELERY_BROKER_ENV):
        return None
    url = {"env": CELERY_BROKER_ENV}
    return {"config": {"broker": url, "backend": url}}


def build_celery_job(resource=None):
    """`resource` binds the settings outside the code location (None: from the Definitions)."""
    job = ingest_job(
        CELERY_JOB_NAME,
        "ingest_logs with its steps on Celery workers (see the README's scale-out).",
        celery_execution_config(),
        executor_def=celery_executor,
    )
    return job if resource is None else resolve(job, resource)


def build_celery_job_at_launch():
    """Module-level, so `reconstructable` can rebuild the job in each worker; the settings
    arrive through run config."""
    return build_celery_job(resource=LogIngestResource.configure_at_launch())
