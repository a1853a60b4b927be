"""Dagster's SQLite storages under the CLI's instance reuse one engine per database."""

from __future__ import annotations

from dagster import DagsterInstance, DagsterRunStatus
from dagster._core.test_utils import create_run_for_test

from logingest_dagster.cli.run import instance_yaml
from logingest_dagster.startup import sqlite_sync, storage_engines


def _instance(dagster_home) -> DagsterInstance:
    dagster_home.mkdir()
    (dagster_home / "dagster.yaml").write_text(instance_yaml(str(dagster_home)))
    sqlite_sync.install(str(dagster_home))
    storage_engines.install(str(dagster_home))
    return DagsterInstance.from_config(str(dagster_home))


def test_the_instances_events_and_runs_go_through_one_kept_engine_each(tmp_path):
    with _instance(tmp_path / "dagster_home") as instance:
        run = create_run_for_test(instance, job_name="ingest_logs")
        for n in range(5):
            instance.report_engine_event(f"event {n}", run)
        instance.report_run_failed(run)
        kept = storage_engines.kept_engines()
        assert any(url.endswith("/event_log.db") for url in kept)
        assert any(url.endswith("/runs.db") for url in kept)
        # Each storage asks for an engine per statement: the same one comes back.
        storage = instance.event_log_storage
        with storage.index_connection() as first, storage.index_connection() as second:
            assert first.engine is second.engine
        messages = [e.dagster_event.message for e in instance.all_logs(run.run_id)]
        assert [m for m in messages if m.startswith("event ")] == [f"event {n}" for n in range(5)]
        assert instance.get_run_by_id(run.run_id).status == DagsterRunStatus.FAILURE


def test_another_instance_directory_drops_the_engines_kept_for_the_last(tmp_path):
    with _instance(tmp_path / "first") as instance:
        instance.get_runs(limit=1)
    assert storage_engines.kept_engines()
    with _instance(tmp_path / "second") as instance:
        instance.get_runs(limit=1)
        kept = storage_engines.kept_engines()
    assert kept and all(str(tmp_path / "second") in url for url in kept)
