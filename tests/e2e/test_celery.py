"""The scale-out path: `ingest_logs_celery` with its steps on a real Celery worker, a real Redis
broker, and the Dagster instance and offset store on a real Postgres server."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from dagster import DagsterEventType, DagsterInstance, execute_job, reconstructable

from logingest_dagster.cli.sample import write_sample
from logingest_dagster.defs.resources import resource_from_settings
from logingest_dagster.settings import Settings
from tests.engine.postgres_server import running_postgres, why_missing
from tests.helpers import REPO, expected_totals, free_port, run_summary_of, wait_for_port

pytestmark = pytest.mark.e2e
pytest.importorskip("dagster_celery", reason="the celery extra is not installed")
BIN = Path(sys.executable).parent


@pytest.fixture
def redis_url(tmp_path):
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server not installed: apt-get install redis-server (make test does)")
    port = free_port()
    command = [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", tmp_path]
    proc = subprocess.Popen([str(c) for c in command], stdout=subprocess.DEVNULL)
    try:
        wait_for_port(port, "redis-server", proc)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.fixture
def postgres():
    reason = why_missing()
    if reason:
        pytest.skip(reason)
    with running_postgres() as server:
        yield server


def celery_worker(tmp_path: Path, env: dict[str, str], broker: str) -> subprocess.Popen:
    """`dagster-celery worker start`, in a session of its own: it runs `celery` as a child, and
    both are stopped together."""
    config = tmp_path / "celery.yaml"
    config.write_text(f"execution:\n  config:\n    broker: {broker}\n    backend: {broker}\n")
    command = [
        BIN / "dagster-celery", "worker", "start", "-A", "dagster_celery.app", "-y", config,
        "-n", "logingest-test@%h",
    ]  # fmt: skip
    with open(tmp_path / "worker.log", "wb") as output:
        return subprocess.Popen(
            [str(c) for c in command], env=env, cwd=REPO, stdout=output,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip


def test_celery_steps_on_a_worker_count_every_record_once(tmp_path, redis_url, postgres):
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    # dagster-postgres speaks psycopg2 (its NOTIFY takes client-side parameters).
    storage = postgres.create_database("dagster").replace("+psycopg:", "+psycopg2:")
    (dagster_home / "dagster.yaml").write_text(
        f"storage:\n  postgres:\n    postgres_url: {storage}\ntelemetry:\n  enabled: false\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LOGINGEST_", "DAGSTER_"))}
    env |= {"DAGSTER_HOME": str(dagster_home), "PATH": f"{BIN}:{env.get('PATH', '')}"}
    with DagsterInstance.from_config(str(dagster_home)) as instance:
        instance.get_runs(limit=1)  # its tables exist before a second process opens it
    worker = celery_worker(tmp_path, env, redis_url)
    try:
        files = write_sample(tmp_path / "logs", lines_per_file=200)
        settings = Settings(log_dirs=[str(tmp_path / "logs")], state_url=postgres.create_database())
        resource = resource_from_settings(settings, str(tmp_path / "home"))
        run_config = {
            "resources": {"logingest": {"config": resource.model_dump(exclude_none=True)}},
            "execution": {"config": {"broker": redis_url, "backend": redis_url}},
        }
        from logingest_dagster.defs.celery import build_celery_job_at_launch

        with DagsterInstance.from_config(str(dagster_home)) as instance:
            results = []
            for _ in range(2):  # the second run finds nothing new: offsets are in Postgres
                with execute_job(
                    reconstructable(build_celery_job_at_launch),
                    instance=instance,
                    run_config=run_config,
                ) as result:
                    assert result.success, (tmp_path / "worker.log").read_text()[-3000:]
                    results.append(run_summary_of(result))
                    engine_events = [
                        e.message
                        for e in result.all_events
                        if e.event_type == DagsterEventType.ENGINE_EVENT
                    ]
            steps = {"ingest_graph.discover_log_files", "ingest_graph.publish_results"}
            in_worker = [m for m in engine_events if "in celery worker" in m]
            assert {s for s in steps if any(s in m for m in in_worker)} == steps
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=30)

    first, second = results
    assert first["files_read"] == len(files)
    assert first["totals"] == expected_totals(files)
    assert (second["files_read"], second["files_unchanged"]) == (0, len(files))
    assert second["totals"] == first["totals"]
