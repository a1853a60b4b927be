"""A `logingest run` is a run of the code location's `ingest_logs`: it shows in that job's history
in the UI and re-executes without the "different version" warning."""

from __future__ import annotations

import subprocess
import sys

from dagster import DagsterInstance, RunsFilter

from logingest_dagster.cli.sample import write_sample
from tests.helpers import logingest

# What the UI asks for a job's history, and what it compares before re-executing a run: the
# loaded job's snapshot, from the code location as `dagster dev -w workspace.yaml` loads it.
LOADED_JOB = """
from dagster import DagsterInstance
from dagster._core.remote_origin import InProcessCodeLocationOrigin
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin

with DagsterInstance.ephemeral() as instance:
    target = LoadableTargetOrigin(module_name="logingest_dagster.definitions")
    origin = InProcessCodeLocationOrigin(target, location_name="logingest")
    with origin.create_location(instance) as location:
        job = location.get_repository("__repository__").get_full_job("ingest_logs")
        print(job.get_remote_origin().repository_origin.get_label())
        print(job.identifying_job_snapshot_id)
"""


def test_a_cli_run_is_in_the_code_locations_job_history_with_its_snapshot(tmp_path, cli_env):
    write_sample(tmp_path / "logs", lines_per_file=50)
    result = logingest(
        "run", "--home", str(tmp_path / "home"), "--log-dir", str(tmp_path / "logs"), env=cli_env
    )
    assert result.returncode == 0, result.stderr
    loaded = subprocess.run(
        [sys.executable, "-c", LOADED_JOB], env=cli_env, capture_output=True, text=True, check=True
    )
    repository_label, snapshot_id = loaded.stdout.split()
    with DagsterInstance.from_config(cli_env["DAGSTER_HOME"]) as instance:
        history = instance.get_runs(
            filters=RunsFilter(
                job_name="ingest_logs", tags={".dagster/repository": repository_label}
            )
        )
    assert len(history) == 1
    assert history[0].job_snapshot_id == snapshot_id


def test_a_code_location_that_does_not_load_stops_the_run_with_one_line(tmp_path, cli_env):
    # Its settings are the job's defaults: the run would fail starting its resource, with a
    # traceback, even with a `--config` of its own.
    write_sample(tmp_path / "logs", lines_per_file=50)
    (tmp_path / "broken.json").write_text("{not json")
    (tmp_path / "settings.json").write_text(
        '{"walker": {"log_dirs": ["%s"]}}' % (tmp_path / "logs")
    )
    env = {**cli_env, "LOGINGEST_CONFIG": str(tmp_path / "broken.json")}
    result = logingest(
        "run", "--config", str(tmp_path / "settings.json"), "--home", str(tmp_path / "home"),
        env=env,
    )  # fmt: skip
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("logingest: error: LOGINGEST_CONFIG: ") and "broken.json" in line
