"""SIGKILL a real `logingest run` (its whole process group: run, forkserver, steps) at several
moments; the next clean run still ends with every record counted exactly once, and ends the runs
the killed processes left STARTED in the instance."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time

import pytest
from dagster import DagsterInstance, DagsterRunStatus

from logingest_dagster.cli.sample import write_sample
from tests.helpers import LOGINGEST, expected_totals, logingest, parquet_totals

# When to kill, as fractions of how long one whole run takes on this machine (measured first):
# during start-up and discovery, mid-ingestion, around commit and publish.
KILL_AT = [0.15, 0.35, 0.5, 0.65, 0.8, 0.92]


@pytest.mark.slow
def test_killed_runs_then_one_clean_run_count_everything_once(tmp_path, cli_env):
    logs = tmp_path / "logs"
    files = write_sample(logs, lines_per_file=2000)
    big = logs / "big.log"
    big.write_bytes(b"2026-11-26 12:00:00,000 WARN [main] c.a.B - slow disk\n" * 1_500_000)
    files.append(big)
    home = tmp_path / "home"
    args = [LOGINGEST, "run", "--home", str(home), "--log-dir", str(logs), "--json"]
    # Timed on an instance that already exists, as the runs killed below find it: the first run
    # also creates the instance's storage, and the late kills would come after a quicker run ended.
    for probe_home in ("probe1", "probe2"):
        started = time.monotonic()
        probe = logingest(
            *args[1:3], str(tmp_path / probe_home), *args[4:], env=cli_env, timeout=300
        )
        assert probe.returncode == 0, probe.stderr
    run_seconds = time.monotonic() - started
    # The run itself (not the launcher that forwards Ctrl+C), in a session of its own, so that
    # killing the group takes the forkserver and every step process with it.
    env = cli_env | {"LOGINGEST_RUN_CHILD": "1"}
    killed = 0
    for fraction in KILL_AT:
        proc = subprocess.Popen(
            args,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        time.sleep(fraction * run_seconds)
        with contextlib.suppress(ProcessLookupError):  # finished first: a moment too
            os.killpg(proc.pid, signal.SIGKILL)
        killed += proc.wait(timeout=30) == -signal.SIGKILL
        with big.open("ab") as f:  # the writer keeps writing between runs
            f.write(b"2026-11-26 12:00:01,000 ERROR [main] c.a.B - still here\n")
    assert killed >= 4, "most kills must land while the run is still going"
    clean = logingest(*args[1:], env=cli_env, timeout=300)
    assert clean.returncode == 0, clean.stderr
    summary = json.loads(clean.stdout.strip().splitlines()[-1])
    expected = expected_totals(files)
    assert summary["totals"] == expected
    assert parquet_totals(home) == expected
    with DagsterInstance.from_config(cli_env["DAGSTER_HOME"]) as instance:
        runs = instance.get_runs()
    assert all(run.is_finished for run in runs), "a killed run is still shown as running"
    # A kill during start-up may come before its run exists, one near the end after it succeeded.
    assert {run.status for run in runs} == {DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE}
