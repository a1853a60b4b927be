"""The real webserver and daemon over the project's code location: a run launched as the UI does,
queued, dequeued by the daemon, executed by the run launcher; a run terminated as the UI does; and
the sensor, turned on as the UI does, launching runs as the directories change."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import NamedTuple

import pyarrow.parquet as pq
import pytest
from dagster import (
    AssetKey,
    DagsterEventType,
    DagsterInstance,
    DagsterRun,
    DagsterRunStatus,
    RunsFilter,
)
from dagster_graphql import DagsterGraphQLClient

from logingest_dagster.cli.sample import write_sample
from logingest_dagster.defs.alert_sensor import SENSOR_NAME as FAILURE_SENSOR_NAME
from logingest_dagster.defs.orphaned_runs import PROCESS_TAG
from logingest_dagster.defs.sensors import INTERVAL_ENV, SENSOR_NAME
from logingest_dagster.engine.alerts import WEBHOOK_ENV
from logingest_dagster.engine.state import SCHEMA_VERSION, open_store
from tests.alerts.logs import write_burst
from tests.alerts.receiver import Receiver
from tests.helpers import REPO, free_port, op_of, parquet_totals, wait_for_port

pytestmark = pytest.mark.e2e
BIN = Path(sys.executable).parent


class Stack(NamedTuple):
    client: DagsterGraphQLClient
    tmp_path: Path
    logs: Path
    graphql_url: str
    servers: Servers
    receiver: Receiver  # the alert webhook's receiver ($LOGINGEST_ALERT_WEBHOOK)


class Servers:
    """The webserver and the daemon, each started with its output kept beside the test's files
    (pytest keeps the last runs' tmp_path), so a failure can be read about afterwards."""

    def __init__(self, tmp_path: Path, env: dict[str, str], port: int) -> None:
        self.tmp_path, self.env = tmp_path, env
        workspace = ["-w", str(REPO / "workspace.yaml")]
        self.commands = {
            "webserver": [BIN / "dagster-webserver", "-h", "127.0.0.1", "-p", str(port)],
            "daemon": [BIN / "dagster-daemon", "run"],
        }
        self.commands = {name: [*command, *workspace] for name, command in self.commands.items()}
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, name: str) -> None:
        with open(self.tmp_path / f"{name}.log", "ab") as output:
            self.procs[name] = subprocess.Popen(
                self.commands[name], env=self.env, cwd=REPO, stdout=output, stderr=subprocess.STDOUT
            )

    def crash(self, name: str) -> None:
        """SIGKILL the server and every process under it (its code server, run workers, steps),
        as a crash or a reboot would: nothing is left to record how its runs ended."""
        proc = self.procs.pop(name)
        for pid in [proc.pid, *descendants(proc.pid)]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        proc.wait()

    def stop_all(self) -> None:
        for proc in self.procs.values():
            proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        # Whatever outlived them (the steps of a crashed run): ended, not left scanning.
        for pid in processes_with_env("DAGSTER_HOME", self.env["DAGSTER_HOME"]):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


@pytest.fixture
def dagster_stack(tmp_path, monkeypatch):
    """`dagster-webserver` and `dagster-daemon` on loopback, with the project's dagster.yaml."""
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    # The test opens the same instance: dagster.yaml places its event log under $DAGSTER_HOME.
    monkeypatch.setenv("DAGSTER_HOME", str(dagster_home))
    shutil.copy(REPO / "dagster.yaml", dagster_home / "dagster.yaml")
    logs = tmp_path / "logs"
    write_sample(logs, lines_per_file=100)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LOGINGEST_", "DAGSTER_"))}
    env |= {"DAGSTER_HOME": str(dagster_home), "LOGINGEST_HOME": str(tmp_path / "home")}
    env[INTERVAL_ENV] = "1"  # the sensor is stopped until a test turns it on
    config = tmp_path / "settings.json"
    seed_settings = {
        "walker": {"log_dirs": [str(logs)], "max_discovery_workers": 2},
        "discovered_files_channel_size": 500,
        "ingestion": {"worker_count": 2},
    }
    config.write_text(json.dumps(seed_settings))
    env["LOGINGEST_CONFIG"] = str(config)
    create_storages(dagster_home)
    port = free_port()
    servers = Servers(tmp_path, env, port)
    with Receiver() as receiver:
        env[WEBHOOK_ENV] = receiver.url
        try:  # stopped even if one of them fails to start (a daemon outlived such a test once)
            servers.start("webserver")
            servers.start("daemon")
            client = DagsterGraphQLClient("127.0.0.1", port_number=port)
            wait_for_port(port, "webserver", servers.procs["webserver"], timeout=90)
            graphql = f"http://127.0.0.1:{port}/graphql"
            yield Stack(client, tmp_path, logs, graphql, servers, receiver)
        finally:
            servers.stop_all()
    # What the servers and their runs printed has no warning a user would have to decode.
    for name in servers.commands:
        assert not warnings_in(tmp_path / f"{name}.log"), name


# Python's warnings as printed (`file.py:12: DeprecationWarning: ...`), and Dagster's notice that
# `dagster dev` is superseded; not a run's WARNING-level log lines.
WARNING_LINE = re.compile(r"[A-Z][A-Za-z]*Warning: |superseded")


def warnings_in(log: Path) -> list[str]:
    lines = log.read_text(errors="replace").splitlines() if log.exists() else []
    return [line for line in lines if WARNING_LINE.search(line)]


def create_storages(dagster_home: Path) -> None:
    """Create the instance's SQLite databases before two servers start on it. Started on an
    empty home, the webserver and the daemon both create them at once, and one of them can die
    on `table alembic_version already exists` (seen once in ~30 runs: the webserver exited, and
    the test waited out its deadline)."""
    with DagsterInstance.from_config(str(dagster_home)) as instance:
        instance.get_runs(limit=1)  # history/runs.db
        instance.all_instigator_state()  # schedules/schedules.db
        instance.get_latest_materialization_event(AssetKey("any"))  # event_log.db


def descendants(pid: int) -> list[int]:
    """Every process under `pid`, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = (entry / "stat").read_bytes()
                parent = int(stat[stat.rindex(b")") + 2 :].split()[1])
                children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def processes_with_env(name: str, value: str) -> list[int]:
    wanted = f"{name}={value}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            with contextlib.suppress(OSError):
                if wanted in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
    return found


def wait_for(client, run_id, statuses, timeout=120) -> DagsterRunStatus:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = client.get_run_status(run_id)
        if status in statuses:
            return status
        time.sleep(0.5)
    raise AssertionError(f"run {run_id} still {status} after {timeout}s")


def wait_for_ingestion_to_start(dagster_home, run_id, timeout=60) -> None:
    """Terminate mid-file, not before the scan or after it: wait for the ingestion step."""
    from dagster import DagsterEventType, DagsterInstance

    instance = DagsterInstance.from_config(str(dagster_home))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        starts = instance.all_logs(run_id, of_type=DagsterEventType.STEP_START)
        if any(op_of(r.dagster_event.step_key or "") == "ingest_log_files" for r in starts):
            return
        time.sleep(0.1)
    raise AssertionError("the ingestion step never started")


def submit(client) -> str:
    deadline = time.monotonic() + 60
    while True:  # the code location may still be loading
        try:
            return client.submit_job_execution("ingest_logs", repository_location_name="logingest")
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)


def test_launched_run_is_queued_dequeued_and_publishes(dagster_stack):
    client, tmp_path, logs, *_ = dagster_stack
    run_id = submit(client)
    status = wait_for(client, run_id, {DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE})
    assert status == DagsterRunStatus.SUCCESS
    table = pq.read_table(tmp_path / "home" / "warehouse" / "severity_totals.parquet")
    assert sum(table["count"].to_pylist()) > 0


def test_terminating_a_run_cancels_it_and_publishes_nothing(dagster_stack):
    client, tmp_path, logs, *_ = dagster_stack
    (logs / "big.log").write_bytes(b"tick\n" * 200_000_000)  # 1 GB of the slowest kind of line
    run_id = submit(client)
    wait_for(client, run_id, {DagsterRunStatus.STARTED})
    wait_for_ingestion_to_start(tmp_path / "dagster_home", run_id)
    client.terminate_run(run_id)
    started = time.monotonic()
    status = wait_for(
        client,
        run_id,
        {DagsterRunStatus.CANCELED, DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE},
    )
    assert status == DagsterRunStatus.CANCELED
    assert time.monotonic() - started < 20
    assert not (tmp_path / "home" / "warehouse" / "severity_totals.parquet").exists()


START_SENSOR = """
mutation StartSensor($selector: SensorSelector!) {
  startSensor(sensorSelector: $selector) {
    __typename
    ... on Sensor { sensorState { status } }
    ... on PythonError { message }
  }
}
"""


def start_sensor(graphql_url: str, name: str) -> None:
    """The UI's toggle: the `startSensor` mutation (the Python client has no helper for it)."""
    selector = {
        "repositoryLocationName": "logingest",
        "repositoryName": "__repository__",
        "sensorName": name,
    }
    body = json.dumps({"query": START_SENSOR, "variables": {"selector": selector}}).encode()
    deadline = time.monotonic() + 90
    while True:  # the webserver or the code location may still be starting
        request = urllib.request.Request(
            graphql_url, data=body, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                result = (json.load(response).get("data") or {}).get("startSensor") or {}
        except (OSError, ValueError) as exc:  # refused, reset, an HTTP error, half a reply
            result = {"__typename": type(exc).__name__, "message": str(exc)}
        if result.get("__typename") == "Sensor":
            assert result["sensorState"]["status"] == "RUNNING"
            return
        assert time.monotonic() < deadline, f"startSensor: {result}"
        time.sleep(0.5)


def wait_for_sensor_runs(dagster_home, count, timeout=90) -> list[DagsterRun]:
    """The runs the sensor launched, oldest first, once there are `count` of them."""
    instance = DagsterInstance.from_config(str(dagster_home))
    deadline = time.monotonic() + timeout
    while True:
        runs = instance.get_runs(RunsFilter(tags={"dagster/sensor_name": SENSOR_NAME}))
        if len(runs) >= count:
            return list(reversed(runs))
        if time.monotonic() > deadline:
            every_run = [(r.run_id[:8], r.status.value, r.tags) for r in instance.get_runs()]
            raise AssertionError(f"{len(runs)} sensor runs after {timeout}s; all: {every_run}")
        time.sleep(0.2)


def test_the_sensor_launches_a_run_per_change(dagster_stack):
    client, tmp_path, logs, graphql_url, *_ = dagster_stack
    finished = {DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE}
    start_sensor(graphql_url, SENSOR_NAME)
    [first] = wait_for_sensor_runs(tmp_path / "dagster_home", 1)
    # The job's default run config, as the launchpad starts from: worker_count 2 from settings.
    assert first.run_config["execution"]["config"]["multiprocess"]["max_concurrent"] == 2
    assert wait_for(client, first.run_id, finished) == DagsterRunStatus.SUCCESS
    before = parquet_totals(tmp_path / "home")
    assert sum(before.values()) > 0

    app_log = sorted(logs.glob("*.log"))[0]
    with app_log.open("a") as f:
        f.write(app_log.read_text().splitlines(keepends=True)[0] * 7)  # 7 one-line records
    first_again, second = wait_for_sensor_runs(tmp_path / "dagster_home", 2)
    assert first_again.run_id == first.run_id
    assert wait_for(client, second.run_id, finished) == DagsterRunStatus.SUCCESS
    after = parquet_totals(tmp_path / "home")
    assert sum(after.values()) == sum(before.values()) + 7


def test_a_run_whose_daemon_crashed_is_failed_by_the_next_sensor_tick(dagster_stack):
    # The daemon, its code server and the run worker die at once (OOM, a reboot): no process is
    # left to record the end, and the run would stay STARTED, holding the queue's one slot. The
    # run worker's process tag lets the next sensor tick, under a new daemon, fail it; the
    # sensor's own run then goes through the queue.
    client, tmp_path, logs, graphql_url, *_ = dagster_stack
    dagster_home = tmp_path / "dagster_home"
    big = logs / "big.log"
    big.write_bytes(b"tick\n" * 200_000_000)  # 1 GB of the slowest kind of line
    run_id = submit(client)
    wait_for(client, run_id, {DagsterRunStatus.STARTED})
    wait_for_ingestion_to_start(dagster_home, run_id)
    instance = DagsterInstance.from_config(str(dagster_home))
    worker = int(instance.get_run_by_id(run_id).tags[PROCESS_TAG].split(":")[0])
    assert worker in descendants(dagster_stack.servers.procs["daemon"].pid)  # its run worker

    dagster_stack.servers.crash("daemon")
    big.unlink()
    assert client.get_run_status(run_id) == DagsterRunStatus.STARTED  # nobody left to end it
    dagster_stack.servers.start("daemon")
    start_sensor(graphql_url, SENSOR_NAME)

    assert wait_for(client, run_id, {DagsterRunStatus.FAILURE}) == DagsterRunStatus.FAILURE
    failure = instance.get_records_for_run(run_id, of_type=DagsterEventType.RUN_FAILURE).records
    assert "ended without finishing it" in failure[-1].event_log_entry.dagster_event.message
    [sensor_run] = wait_for_sensor_runs(dagster_home, 1)
    finished = {DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE}
    assert wait_for(client, sensor_run.run_id, finished) == DagsterRunStatus.SUCCESS
    assert sum(parquet_totals(tmp_path / "home").values()) > 0


LAUNCH = """
mutation LaunchPipelineExecution($executionParams: ExecutionParams!) {
  launchPipelineExecution(executionParams: $executionParams) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
    ... on InvalidSubsetError { message }
    ... on RunConfigValidationInvalid { errors { message } }
  }
}
"""


def materialize_from_the_asset_graph(graphql_url: str, names: list[str]) -> str:
    """The asset graph's Materialize button: Dagster's own asset job over the selection, with no
    run config of its own (the resource and executor defaults apply)."""
    params = {
        "selector": {
            "repositoryLocationName": "logingest",
            "repositoryName": "__repository__",
            "pipelineName": "__ASSET_JOB",
            "assetSelection": [{"path": [name]} for name in names],
            "assetCheckSelection": [],
        },
        "mode": "default",
        "runConfigData": {},
        "executionMetadata": {"tags": []},
    }
    body = json.dumps({"query": LAUNCH, "variables": {"executionParams": params}}).encode()
    deadline = time.monotonic() + 90
    while True:  # the code location may still be loading
        request = urllib.request.Request(
            graphql_url, data=body, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                result = (json.load(response).get("data") or {}).get("launchPipelineExecution")
        except (OSError, ValueError) as exc:
            result = {"__typename": type(exc).__name__, "message": str(exc)}
        result = result or {}
        if result.get("__typename") == "LaunchRunSuccess":
            return result["run"]["runId"]
        assert time.monotonic() < deadline, f"launchPipelineExecution: {result}"
        time.sleep(0.5)


def test_materialize_from_the_asset_graph_one_output_then_all(dagster_stack):
    client, tmp_path, logs, graphql_url, *_ = dagster_stack
    finished = {DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE}
    instance = DagsterInstance.from_config(str(tmp_path / "dagster_home"))

    def materialized_in(run_id: str) -> set[str]:
        records = instance.get_records_for_run(
            run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION
        ).records
        return {r.event_log_entry.dagster_event.asset_key.path[0] for r in records}

    one = materialize_from_the_asset_graph(graphql_url, ["file_stats"])
    assert wait_for(client, one, finished) == DagsterRunStatus.SUCCESS
    assert materialized_in(one) == {"file_stats"}
    assert instance.get_run_by_id(one).tags["logingest/job"] == "ingest_logs"

    outputs = [
        "severity_totals",
        "file_stats",
        "severity_history",
        "events",
        "severity_timeseries",
    ]
    every = materialize_from_the_asset_graph(graphql_url, outputs)
    assert wait_for(client, every, finished) == DagsterRunStatus.SUCCESS
    # Nothing new since the first run: only the outputs never materialized are recorded.
    assert materialized_in(every) == set(outputs) - {"file_stats"}
    assert sum(parquet_totals(tmp_path / "home").values()) > 0


SENSOR_TICKS = """
query Ticks($selector: SensorSelector!) {
  sensorOrError(sensorSelector: $selector) {
    __typename
    ... on Sensor { sensorState { ticks(limit: 1000) { status } } }
  }
}
"""


def sensor_ticks(graphql_url: str, name: str) -> int:
    """How many times the daemon has evaluated the sensor (0 while the location loads)."""
    selector = {
        "repositoryLocationName": "logingest",
        "repositoryName": "__repository__",
        "sensorName": name,
    }
    body = json.dumps({"query": SENSOR_TICKS, "variables": {"selector": selector}}).encode()
    request = urllib.request.Request(
        graphql_url, data=body, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            found = (json.load(response).get("data") or {}).get("sensorOrError") or {}
    except (OSError, ValueError):
        return 0
    return len(((found.get("sensorState") or {}).get("ticks")) or [])


def wait_for_ticks(graphql_url: str, name: str, count: int, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while sensor_ticks(graphql_url, name) < count:
        assert time.monotonic() < deadline, f"{name}: fewer than {count} ticks after {timeout}s"
        time.sleep(0.5)


def test_a_burst_and_a_failed_run_each_reach_the_webhook_once(dagster_stack):
    client, tmp_path, logs, graphql_url, _, receiver = dagster_stack
    finished = {DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE}
    # On by default; its first tick starts it from the event log's end, so await it.
    wait_for_ticks(graphql_url, FAILURE_SENSOR_NAME, 1)

    write_burst(logs / "checkout.log", errors=150)
    ok = submit(client)
    assert wait_for(client, ok, finished) == DagsterRunStatus.SUCCESS
    assert [(b["rule"], b["service"], b["run_id"]) for b in receiver.bodies] == [
        ("default", "checkout", ok)
    ]

    with open_store(tmp_path / "home") as store, store.engine.begin() as conn:
        conn.exec_driver_sql(f"UPDATE schema_version SET version = {SCHEMA_VERSION + 1}")
    failed = submit(client)
    assert wait_for(client, failed, finished) == DagsterRunStatus.FAILURE
    deadline = time.monotonic() + 60
    while len(receiver.bodies) < 2:
        assert time.monotonic() < deadline, "the failed run was not posted"
        time.sleep(0.2)
    body = receiver.bodies[1]
    assert (body["rule"], body["run_id"], body["job"]) == ("run_failed", failed, "ingest_logs")
    assert "SchemaTooNew" in body["error"]
    assert body["run_url"].endswith(f"/runs/{failed}")
    ticks = sensor_ticks(graphql_url, FAILURE_SENSOR_NAME)
    wait_for_ticks(graphql_url, FAILURE_SENSOR_NAME, ticks + 2)  # later ticks: not posted again
    assert len(receiver.bodies) == 2
