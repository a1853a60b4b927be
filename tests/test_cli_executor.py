"""`logingest run` runs its steps in its own process unless step processes are asked for, and
counts the same either way."""

from __future__ import annotations

import json

import pytest
from dagster import DagsterEventType, DagsterInstance

from logingest_dagster.cli.executor import choose_executor
from logingest_dagster.cli.sample import write_sample
from tests.helpers import expected_totals, logingest


def _step_processes(dagster_home: str) -> set[int]:
    """The pids the last run's steps ran in, from its STEP_START events."""
    with DagsterInstance.from_config(dagster_home) as instance:
        run = instance.get_runs(limit=1)[0]
        starts = instance.all_logs(run.run_id, of_type=DagsterEventType.STEP_START)
    return {record.dagster_event.pid for record in starts}


@pytest.mark.parametrize(
    ("extra", "in_process"),
    [([], True), (["--worker-count", "2"], False), (["--executor", "multiprocess"], False)],
    ids=["default", "worker-count", "executor-multiprocess"],
)
def test_steps_run_in_the_runs_process_unless_processes_are_asked_for(
    tmp_path, cli_env, extra, in_process
):
    files = write_sample(tmp_path / "logs", lines_per_file=200)
    result = logingest(
        "run", "--home", str(tmp_path / "home"), "--log-dir", str(tmp_path / "logs"), "--json",
        *extra, env=cli_env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1])["totals"] == expected_totals(files)
    pids = _step_processes(cli_env["DAGSTER_HOME"])
    # discover, the ingestion step(s), publish: one process for all of them, or one each.
    assert (len(pids) == 1) is in_process, pids


def test_auto_is_in_process_unless_the_command_line_sets_worker_count():
    assert choose_executor("auto", None) == "in-process"
    assert choose_executor("auto", 1) == "multiprocess"
    assert choose_executor("multiprocess", None) == "multiprocess"
    assert choose_executor("in-process", 4) == "in-process"


def test_step_processes_find_the_instance_of_a_home_without_dagster_home_set(
    tmp_path, cli_env, monkeypatch
):
    """Without DAGSTER_HOME, the run's instance is `<home>/dagster_home`, whose dagster.yaml names
    its event log through that variable: the step processes (forked from a forkserver started
    early) must inherit it, or each dies before its first event."""
    env = {k: v for k, v in cli_env.items() if k != "DAGSTER_HOME"}
    files = write_sample(tmp_path / "logs", lines_per_file=200)
    home = tmp_path / "home"
    result = logingest(
        "run", "--home", str(home), "--log-dir", str(tmp_path / "logs"), "--json",
        "--worker-count", "2", env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1])["totals"] == expected_totals(files)
    monkeypatch.setenv("DAGSTER_HOME", str(home / "dagster_home"))  # where its yaml looks
    assert len(_step_processes(str(home / "dagster_home"))) > 1
