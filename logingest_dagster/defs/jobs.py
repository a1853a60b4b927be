"""The `ingest_logs` job (an asset job over the warehouse outputs) and the run config its
launchpad starts from."""

from __future__ import annotations

from typing import Any

from dagster import (
    AssetSelection,
    Definitions,
    JobDefinition,
    colored_console_logger,
    define_asset_job,
)

from logingest_dagster.defs.assets import ASSETS, WAREHOUSE_KEYS
from logingest_dagster.defs.executor import preloading_executor, start_method
from logingest_dagster.defs.job_tag import JOB_NAME, JOB_TAG
from logingest_dagster.defs.terminal_logger import terminal_logger

# The warehouse outputs; their checks are reported by the publishing step, not as steps of
# their own (each would be a process and a dozen events more a run).
WAREHOUSE = AssetSelection.assets(*WAREHOUSE_KEYS).without_checks()
# console: Dagster's default; terminal: what `logingest run` picks (one line a problem). The code
# location offers both, so that `logingest run` can run the code location's own job.
LOGGERS = {"console": colored_console_logger, "terminal": terminal_logger}


def execution_config(worker_count: int, job_module: str | None = None) -> dict[str, Any]:
    """The seed's `ingestion.worker_count` as the multiprocess executor's `max_concurrent`;
    step processes fork from a forkserver that preloaded the step code and `job_module`, the
    module that builds the job (`startup.forkserver`).

    Only the default executor's run config is honoured per run; `executor.configured(...)` would
    silently ignore a launchpad override.
    """
    multiprocess = {"max_concurrent": worker_count, "start_method": start_method(job_module)}
    return {"config": {"multiprocess": multiprocess}}


def build_ingest_job(worker_count: int | None, resource=None, job_module: str | None = None):
    """The job, with `worker_count` in its default run config (None: no defaults, the caller
    passes complete run config); `job_module` is the module that builds it, preloaded for its
    steps. Without `resource`, the job for a Definitions that binds the settings; with it, the
    job resolved with those settings, ready to execute."""
    job = ingest_job(
        JOB_NAME,
        "Discover new log data, count records per severity, publish Parquet.",
        None if worker_count is None else execution_config(worker_count, job_module),
        executor_def=preloading_executor(job_module),
    )
    return job if resource is None else resolve(job, resource)


def ingest_job(name: str, description: str, execution, executor_def=None):
    """An asset job over the warehouse outputs: `execution` is its default run config's
    `execution` block (None: none); every such job carries the `logingest/job` tag that the run
    queue limits."""
    return define_asset_job(
        name,
        selection=WAREHOUSE,
        description=description,
        config=None if execution is None else {"execution": execution},
        tags={JOB_TAG: JOB_NAME},
        executor_def=executor_def,
    )


def resolve(job, resource):
    """`job` bound to the assets and the `logingest` resource, outside the code location."""
    definitions = Definitions(
        assets=ASSETS,
        jobs=[job],
        resources={"logingest": resource},
        loggers=LOGGERS,
    )
    return definitions.resolve_job_def(job.name)


def default_run_config(job) -> dict:
    """The run config a job's launchpad starts from (an asset job's `config`, a resolved job's
    `run_config`): what the sensor and schedule request, so their runs match a manual launch."""
    config = job.run_config if isinstance(job, JobDefinition) else job.config
    return dict(config or {})
