from __future__ import annotations

from dataclasses import dataclass

import pytest
import yaml
from dagster import DagsterInstance, DagsterRun, instance_for_test
from dagster._core.remote_origin import InProcessCodeLocationOrigin
from dagster._core.remote_representation.external import RemoteRepository
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin
from dagster._core.workspace.context import WorkspaceProcessContext
from dagster._core.workspace.load_target import InProcessWorkspaceLoadTarget

from logingest_dagster.definitions import defs
from tests.helpers import REPO

ingest_logs = defs.resolve_job_def("ingest_logs")


@pytest.fixture
def instance(tmp_path):
    """A temporary instance with the project's dagster.yaml: its run queue holds what is submitted."""
    settings = yaml.safe_load((REPO / "dagster.yaml").read_text())
    (tmp_path / "dagster_home").mkdir()
    with instance_for_test(overrides=settings, temp_dir=str(tmp_path / "dagster_home")) as instance:
        yield instance


@dataclass
class CodeLocation:
    """The project's code location loaded in this process, as the webserver and daemon see it."""

    context: WorkspaceProcessContext
    repository: RemoteRepository

    def submit_ingest_run(self, instance: DagsterInstance) -> DagsterRun:
        """An `ingest_logs` run submitted as the launchpad does: through the run queue, with the
        job's run tags."""
        remote_job = self.repository.get_full_job(ingest_logs.name)
        run = instance.create_run_for_job(
            ingest_logs,
            run_config=ingest_logs.run_config,
            tags=remote_job.run_tags,
            remote_job_origin=remote_job.get_remote_origin(),
            job_code_origin=remote_job.get_python_origin(),
        )
        return instance.submit_run(run.run_id, self.context.create_request_context())


@pytest.fixture
def code_location(instance):
    origin = InProcessCodeLocationOrigin(
        LoadableTargetOrigin(
            module_name="logingest_dagster.definitions", working_directory=str(REPO)
        ),
        location_name="logingest",
    )
    with WorkspaceProcessContext(instance, InProcessWorkspaceLoadTarget(origin)) as context:
        entry = next(iter(context.create_request_context().get_code_location_entries().values()))
        assert entry.code_location, entry.load_error
        yield CodeLocation(context, entry.code_location.get_repository("__repository__"))
