"""The `ingest_logs` job and the run config its launchpad starts from."""

from __future__ import annotations

from typing import Any

from dagster import colored_console_logger, graph

from logingest_dagster.defs.ops import discover_log_files, ingest_log_files, publish_results
from logingest_dagster.defs.terminal_logger import terminal_logger
from logingest_dagster.startup.forkserver import preload_modules

JOB_NAME = "ingest_logs"
# Every ingest run carries it (CLI, UI, sensor, schedule, the Celery job): dagster.yaml's run
# queue admits one such run at a time, and the sensor and schedule wait for one in flight.
JOB_TAG = "logingest/job"


def execution_config(worker_count: int, job_module: str | None = None) -> dict[str, Any]:
    """The seed's `ingestion.worker_count` as the multiprocess executor's `max_concurrent`;
    step processes fork from a forkserver that preloaded the step code and `job_module`, the
    module that builds the job (`startup.forkserver`).

    Only the default executor's run config is honoured per run; `executor.configured(...)` would
    silently ignore a launchpad override.
    """
    return {
        "config": {
            "multiprocess": {
                "max_concurrent": worker_count,
                "start_method": {"forkserver": {"preload_modules": preload_modules(job_module)}},
            }
        }
    }


@graph
def ingest_graph():
    """Discovery fans out one ingestion step per file (or packed group); publish collects."""
    tasks, plan = discover_log_files()
    results = tasks.map(ingest_log_files)
    publish_results(plan, results.collect())


def build_ingest_job(worker_count: int | None, resource=None, job_module: str | None = None):
    """The job, with `worker_count` in its default run config (None: no defaults, the caller
    passes complete run config); `resource` binds the settings outside the code location;
    `job_module` is the module that builds it, preloaded for its steps."""
    return ingest_job(
        JOB_NAME,
        "Discover new log data, count records per severity, publish Parquet.",
        None if worker_count is None else execution_config(worker_count, job_module),
        resource,
    )


def ingest_job(name: str, description: str, execution, resource=None, executor_def=None):
    """A job of `ingest_graph`: `execution` is its default run config's `execution` block (None:
    none); every such job carries the `logingest/job` tag that the run queue limits."""
    return ingest_graph.to_job(
        name=name,
        description=description,
        executor_def=executor_def,
        resource_defs={"logingest": resource} if resource is not None else None,
        config=None if execution is None else {"execution": execution},
        # console: Dagster's default (the UI, the daemon); terminal: what `logingest run` picks.
        logger_defs={"console": colored_console_logger, "terminal": terminal_logger},
        tags={JOB_TAG: JOB_NAME},
    )
