"""Dagster's default executor (multiprocess, or in process), with the forkserver preload as the
default start method.

A launchpad edit that replaces the execution block with `multiprocess: {max_concurrent: N}` then
keeps the preload: without it each step imports Dagster and the engine again (3.5 times slower
runs). The per-run config is honoured as Dagster's own executor honours it, where
`executor.configured(...)` would silently ignore a launchpad override.
"""

from __future__ import annotations

from dagster import Field, Selector, executor
from dagster._core.definitions.executor_definition import (  # private: pinned Dagster version
    IN_PROC_CONFIG,
    MULTI_PROC_CONFIG,
    _core_in_process_executor_creation,
    _core_multiprocess_executor_creation,
    _get_default_executor_requirements,
)

from logingest_dagster.startup.forkserver import preload_modules


def start_method(job_module: str | None) -> dict:
    """Step processes fork from a forkserver that preloaded the step code and `job_module`."""
    return {"forkserver": {"preload_modules": preload_modules(job_module)}}


def preloading_executor(job_module: str | None):
    """The default executor, whose multiprocess `start_method` defaults to the preload of a job
    built in `job_module`."""
    fields = dict(MULTI_PROC_CONFIG.config_type.fields)
    method = fields["start_method"]
    fields["start_method"] = Field(
        method.config_type,
        default_value=start_method(job_module),
        description=method.description,
    )
    multiprocess = Field(fields, description=MULTI_PROC_CONFIG.description)

    @executor(
        name="multi_or_in_process_executor",
        config_schema=Field(
            Selector({"multiprocess": multiprocess, "in_process": IN_PROC_CONFIG}),
            default_value={"multiprocess": {}},
        ),
        requirements=_get_default_executor_requirements,
    )
    def multi_or_in_process_preloading(init_context):
        config = init_context.executor_config
        if "multiprocess" in config:
            return _core_multiprocess_executor_creation(config["multiprocess"])
        return _core_in_process_executor_creation(config["in_process"])

    return multi_or_in_process_preloading
