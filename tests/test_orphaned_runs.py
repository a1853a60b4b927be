"""Runs left unfinished by a dead process are ended; live and foreign ones are not."""

from __future__ import annotations

import os
import socket
import uuid

import pytest
from dagster import DagsterInstance, DagsterRunStatus
from dagster._core.storage.dagster_run import DagsterRun

from logingest_dagster.cli.run import ensure_instance
from logingest_dagster.cli.sample import write_sample
from logingest_dagster.defs.orphaned_runs import (
    HOST_TAG,
    PROCESS_TAG,
    fail_orphaned_runs,
    process_tags,
)
from tests.helpers import dead_cli_process_tags, dead_pid, logingest


@pytest.fixture
def instance(tmp_path):
    with DagsterInstance.local_temp(str(tmp_path)) as instance:
        yield instance


def add_run(instance, status, tags) -> str:
    run_id = str(uuid.uuid4())
    instance.add_run(DagsterRun(job_name="ingest_logs", run_id=run_id, status=status, tags=tags))
    return run_id


def here(process: str) -> dict[str, str]:
    return {HOST_TAG: socket.gethostname(), PROCESS_TAG: process}


def status_of(instance, run_id) -> DagsterRunStatus:
    return instance.get_run_by_id(run_id).status


def test_a_run_whose_process_is_gone_is_marked_failed(instance):
    run_id = add_run(instance, DagsterRunStatus.STARTED, dead_cli_process_tags())
    assert fail_orphaned_runs(instance) == [run_id]
    assert status_of(instance, run_id) == DagsterRunStatus.FAILURE
    messages = [e.message for e in instance.all_logs(run_id) if e.message]
    assert any("ended without finishing it" in m for m in messages)


def test_a_run_that_never_started_and_one_canceling_are_ended_too(instance):
    not_started = add_run(instance, DagsterRunStatus.NOT_STARTED, dead_cli_process_tags())
    canceling = add_run(instance, DagsterRunStatus.CANCELING, dead_cli_process_tags())
    assert sorted(fail_orphaned_runs(instance)) == sorted([not_started, canceling])
    assert status_of(instance, not_started) == DagsterRunStatus.FAILURE
    assert status_of(instance, canceling) == DagsterRunStatus.CANCELED


def test_a_reused_pid_does_not_keep_a_dead_run_alive(instance):
    # Our own pid, alive, but started at another time than the process that ran the run.
    run_id = add_run(instance, DagsterRunStatus.STARTED, here(f"{os.getpid()}:1"))
    assert fail_orphaned_runs(instance) == [run_id]


def test_a_live_process_run_is_left_alone(instance):
    run_id = add_run(instance, DagsterRunStatus.STARTED, process_tags())
    assert fail_orphaned_runs(instance) == []
    assert status_of(instance, run_id) == DagsterRunStatus.STARTED


def test_runs_of_another_host_or_not_from_the_command_line_are_left_alone(instance):
    other_host = add_run(
        instance,
        DagsterRunStatus.STARTED,
        {HOST_TAG: "another-host.example", PROCESS_TAG: f"{dead_pid()}:1"},
    )
    launched = add_run(instance, DagsterRunStatus.STARTED, {})  # the UI's: no process tag
    finished = add_run(instance, DagsterRunStatus.SUCCESS, dead_cli_process_tags())
    assert fail_orphaned_runs(instance) == []
    assert status_of(instance, other_host) == DagsterRunStatus.STARTED
    assert status_of(instance, launched) == DagsterRunStatus.STARTED
    assert status_of(instance, finished) == DagsterRunStatus.SUCCESS


def test_the_next_cli_run_ends_an_orphaned_run_and_says_so(tmp_path, cli_env, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", cli_env["DAGSTER_HOME"])
    with ensure_instance(str(tmp_path / "home")) as instance:  # the instance the command opens
        orphan = add_run(instance, DagsterRunStatus.STARTED, dead_cli_process_tags())
    write_sample(tmp_path / "logs", lines_per_file=20)
    result = logingest(
        "run", "--home", str(tmp_path / "home"), "--log-dir", str(tmp_path / "logs"), env=cli_env
    )
    assert result.returncode == 0, result.stderr
    said = " ".join(result.stderr.split())  # the terminal wraps long lines
    assert f"left unfinished by a process that died: {orphan}" in said
    with DagsterInstance.from_config(cli_env["DAGSTER_HOME"]) as instance:
        assert status_of(instance, orphan) == DagsterRunStatus.FAILURE
