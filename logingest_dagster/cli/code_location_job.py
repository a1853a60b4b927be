"""The job `logingest run` executes: `ingest_logs` as the code location loads it, so that the run
belongs to that job in the UI.

The UI lists a job's runs by the `.dagster/repository` tag (`<repository>@<location>`) a run gets
from its origin, and re-executes a run without a "different version" warning when the run's job
snapshot is the one the loaded code location has. A run from Dagster's `execute_job` had neither:
no origin, and the snapshot of a job built for the command line. Here the job comes from
`logingest_dagster.definitions` itself (the same environment gives the same snapshot:
LOGINGEST_CONFIG, LOGINGEST_HOME, and the working directory relative paths resolve against),
the command line's own settings go in run config, and the run gets the origin of the workspace's
code location (`workspace.yaml`).
"""

from __future__ import annotations

import functools
import os
import sys

from dagster import JobDefinition
from dagster._core.definitions.repository_definition.valid_definitions import (  # private: pinned
    SINGLETON_REPOSITORY_NAME,
)
from dagster._core.remote_origin import (  # private: pinned Dagster version
    ManagedGrpcPythonEnvCodeLocationOrigin,
    RemoteJobOrigin,
    RemoteRepositoryOrigin,
)
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin

from logingest_dagster.defs.job_tag import JOB_NAME
from logingest_dagster.settings import settings_from_env

LOCATION_NAME = "logingest"  # workspace.yaml's location_name
DEFINITIONS_MODULE = "logingest_dagster.definitions"


@functools.cache
def code_location_job() -> JobDefinition | str:
    """`ingest_logs` resolved as the code location resolves it, or why the code location does
    not load here: a variable only it reads (the sensor's interval, the catch-up cron) then
    leaves the command line's run to a job of its own, not linked.

    Raises `SettingsError` if `LOGINGEST_CONFIG` does not load: it holds the job's defaults,
    which the run's resource falls back on either way."""
    try:
        from logingest_dagster.definitions import defs
    except Exception as exc:
        settings_from_env()
        return str(exc)
    return defs.resolve_job_def(JOB_NAME)


def code_location_origin() -> RemoteJobOrigin:
    """The origin a run of `ingest_logs` launched from the workspace's code location has."""
    target = LoadableTargetOrigin(
        executable_path=sys.executable,
        module_name=DEFINITIONS_MODULE,
        working_directory=os.getcwd(),
    )
    location = ManagedGrpcPythonEnvCodeLocationOrigin(target, LOCATION_NAME)
    return RemoteJobOrigin(RemoteRepositoryOrigin(location, SINGLETON_REPOSITORY_NAME), JOB_NAME)
