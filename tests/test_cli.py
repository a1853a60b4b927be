"""The `logingest` command as users and scripts call it: a subprocess, real files, a real instance."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from dagster import DagsterInstance, DagsterRunStatus

from logingest_dagster.cli.sample import write_sample
from tests.helpers import LOGINGEST, expected_totals, logingest


def test_run_json_summary_then_incremental_run(tmp_path, cli_env):
    files = write_sample(tmp_path / "logs", lines_per_file=100)
    home = tmp_path / "home"
    first = logingest(
        "run", "--home", str(home), "--log-dir", str(tmp_path / "logs"), "--json", env=cli_env
    )
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout.strip().splitlines()[-1])
    expected = expected_totals(files)
    assert summary["status"] == "SUCCESS"
    assert summary["totals"] == expected
    assert (summary["files_discovered"], summary["files_read"], summary["files_unchanged"]) == (
        4,
        4,
        0,
    )
    assert summary["bytes_read"] == sum(p.stat().st_size for p in files)
    assert "UNKNOWN" in first.stdout  # the totals table
    with (files[0]).open("a") as f:
        f.write("2026-11-26 13:00:00,000 ERROR [main] com.acme.App - one more\n")
    second = logingest(
        "run", "--home", str(home), "--log-dir", str(tmp_path / "logs"), "--json", env=cli_env
    )
    again = json.loads(second.stdout.strip().splitlines()[-1])
    assert (again["files_read"], again["files_unchanged"]) == (1, 3)
    assert again["totals"]["ERROR"] == expected["ERROR"] + 1
    table = pq.read_table(home / "warehouse" / "severity_totals.parquet")
    assert (
        dict(zip(table["level"].to_pylist(), table["count"].to_pylist(), strict=True))
        == again["totals"]
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--log-dir", "/definitely/not/here"],
            "log directory does not exist: /definitely/not/here",
        ),
        (["--log-dir", "/etc/passwd"], "log directory is a file, not a directory: /etc/passwd"),
        (["--config", "/no/such/config.json"], "cannot read settings file"),
        (["--worker-count", "0"], "must be an integer >= 1"),
    ],
)
def test_bad_settings_exit_2_with_one_line(tmp_path, cli_env, args, message):
    (tmp_path / "logs").mkdir()
    if "--log-dir" not in args:
        args = [*args, "--log-dir", str(tmp_path / "logs")]
    result = logingest("run", "--home", str(tmp_path / "h"), *args, env=cli_env)
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_one_missing_log_dir_of_several_is_a_warning_and_the_others_are_read(tmp_path, cli_env):
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "app.log").write_text("2026-11-26 10:00:00,000 ERROR [main] x - msg 1\n")
    result = logingest(
        "run", "--home", str(tmp_path / "h"), "--log-dir", str(tmp_path / "logs"),
        "--log-dir", str(tmp_path / "unmounted"), "--json", env=cli_env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert f"warning: log directory does not exist (skipped this run): {tmp_path}" in result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1])["totals"]["ERROR"] == 1


def test_unknown_key_in_settings_file_exits_2(tmp_path, cli_env):
    config = tmp_path / "c.json"
    config.write_text(json.dumps({"walker": {"log_dirs": [str(tmp_path)], "workers": 2}}))
    result = logingest("run", "--config", str(config), "--home", str(tmp_path / "h"), env=cli_env)
    assert result.returncode == 2
    assert "unknown key 'walker.workers'" in result.stderr


def test_scan_prints_engine_counts_as_json(tmp_path, cli_env):
    files = write_sample(tmp_path / "logs", lines_per_file=80)
    result = logingest("scan", str(tmp_path / "logs"), env=cli_env)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    expected = expected_totals(files)
    assert report["totals"] == expected
    assert report["files"] == 4
    assert not (tmp_path / "logs" / "state").exists()


@pytest.mark.parametrize("executor", ["in-process", "multiprocess"])
@pytest.mark.parametrize(
    ("signo", "to_group"),
    [(signal.SIGINT, False), (signal.SIGINT, True), (signal.SIGTERM, False)],
    ids=["kill-INT", "terminal-ctrl-c", "kill-TERM"],
)
def test_ctrl_c_or_sigterm_cancels_the_run_reports_and_leaves_no_partial_output(
    tmp_path, cli_env, signo, to_group, executor
):
    """SIGTERM (`kill`, systemd, a container stopping) cancels the run as Ctrl+C does: it used to
    kill the run's process and leave the run STARTED until the next run noticed."""
    logs = tmp_path / "logs"
    logs.mkdir()
    # Short lines are the engine's slowest case: 400 MB of them take several seconds to scan.
    (logs / "big.log").write_bytes(b"tick\n" * 80_000_000)
    proc = subprocess.Popen(
        [
            LOGINGEST,
            "run",
            "--home",
            str(tmp_path / "home"),
            "--log-dir",
            str(logs),
            "--json",
            "--executor",
            executor,
        ],  # fmt: skip
        env=cli_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and "ingest_log_files" not in _step_starts(tmp_path):
        time.sleep(0.2)
    time.sleep(0.3)  # mid-file: the scan of this file takes seconds
    interrupted_at = time.monotonic()
    if to_group:  # a terminal's Ctrl+C reaches the whole foreground group, step processes too
        os.killpg(proc.pid, signo)
    else:
        proc.send_signal(signo)
    try:
        stdout, stderr = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # not left running after the test, as one was
        proc.communicate()
        pytest.fail("logingest run still running 60 s after Ctrl+C")
    assert time.monotonic() - interrupted_at < 10
    assert proc.returncode == 128 + signo, stderr
    assert json.loads(stdout.strip().splitlines()[-1])["status"] == "CANCELED"
    assert "interrupted: counted" in stderr  # the step reported what it had counted
    assert not (tmp_path / "home" / "warehouse" / "severity_totals.parquet").exists()
    leftovers = list((tmp_path / "home").rglob("*.tmp"))
    assert leftovers == []
    with DagsterInstance.from_config(cli_env["DAGSTER_HOME"]) as instance:
        assert [run.status for run in instance.get_runs()] == [DagsterRunStatus.CANCELED]


def _step_starts(tmp_path) -> str:
    """Step keys that started, read from the instance's event log database files."""
    from dagster import DagsterEventType, DagsterInstance

    home = tmp_path / "dagster_home"
    if not (home / "storage").exists():
        return ""
    instance = DagsterInstance.from_config(str(home))
    runs = instance.get_runs(limit=1)
    if not runs:
        return ""
    return " ".join(
        r.dagster_event.step_key or ""
        for r in instance.all_logs(runs[0].run_id, of_type=DagsterEventType.STEP_START)
    )


def test_launcher_exits_with_the_runs_fate_when_the_run_is_killed(tmp_path, cli_env):
    """`run` forks the run into its own session and waits: a run killed by a signal makes the
    command exit 128 + that signal, as a shell reports it."""
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "big.log").write_bytes(b"tick\n" * 20_000_000)
    launcher = subprocess.Popen(
        [LOGINGEST, "run", "--home", str(tmp_path / "home"), "--log-dir", str(logs)],
        env=cli_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    children = Path(f"/proc/{launcher.pid}/task/{launcher.pid}/children")
    deadline = time.monotonic() + 30
    run_pid = 0
    while time.monotonic() < deadline and not run_pid:
        with contextlib.suppress(OSError):
            run_pid = next((int(pid) for pid in children.read_text().split()), 0)
        time.sleep(0.05)
    assert run_pid, "the run's process never appeared"
    assert os.getsid(run_pid) == run_pid  # a session of its own, away from the terminal's
    os.killpg(run_pid, signal.SIGKILL)  # the run, its forkserver and its steps
    assert launcher.wait(timeout=30) == 128 + signal.SIGKILL


def test_a_bad_code_location_variable_does_not_break_a_cli_run(tmp_path, cli_env):
    # The forkserver preloads the code location; a variable only the code location reads (the
    # catch-up cron, the sensor interval) must fail its load, not the CLI's step processes.
    write_sample(tmp_path / "logs", lines_per_file=20)
    env = cli_env | {"LOGINGEST_CATCHUP_CRON": "hourly", "LOGINGEST_SENSOR_INTERVAL_SECONDS": "0"}
    home, logs = str(tmp_path / "home"), str(tmp_path / "logs")
    result = logingest("run", "--home", home, "--log-dir", logs, "--json", env=env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1])["status"] == "SUCCESS"


def test_a_new_instance_gets_the_projects_dagster_yaml_where_dagster_reads_it(tmp_path, cli_env):
    write_sample(tmp_path / "logs", lines_per_file=10)
    done = logingest(
        "run", "--home", str(tmp_path / "home"), "--log-dir", str(tmp_path / "logs"), env=cli_env
    )
    assert done.returncode == 0, done.stderr
    written = (Path(cli_env["DAGSTER_HOME"]) / "dagster.yaml").read_text()
    assert "QueuedRunCoordinator" in written and "NoOpComputeLogManager" in written
    assert "No dagster instance configuration file" not in done.stderr
