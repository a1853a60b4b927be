"""A failed ingestion run reaches the webhook once, through the run-failure sensor evaluated
against a real instance, as the daemon does."""

from __future__ import annotations

import sqlite3

from dagster import build_sensor_context, job, op

from logingest_dagster.defs.alert_sensor import build_failure_alert_sensor
from logingest_dagster.defs.jobs import build_ingest_job
from logingest_dagster.defs.resources import resource_from_settings
from logingest_dagster.engine.alerts import WEBHOOK_ENV
from logingest_dagster.engine.state import SCHEMA_VERSION, open_store
from logingest_dagster.settings import Settings
from tests.alerts.receiver import Receiver


@op
def fails():
    raise RuntimeError("not an ingest job")


@job
def other_job():
    fails()


def tick(sensor, instance, cursor):
    return sensor.evaluate_tick(build_sensor_context(instance=instance, cursor=cursor)).cursor


def broken_store_job(tmp_path):
    """The ingest job on a store written by a newer logingest: discovery refuses it, the run fails."""
    home = tmp_path / "home"
    with open_store(home):
        pass
    db = sqlite3.connect(home / "state" / "offsets.db")
    db.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    db.commit()
    db.close()
    (tmp_path / "logs").mkdir()
    settings = Settings(log_dirs=[str(tmp_path / "logs")])
    return build_ingest_job(1, resource=resource_from_settings(settings, str(home)))


def test_a_failed_ingest_run_posts_one_alert_with_its_id_job_error_and_link(
    tmp_path, monkeypatch, instance
):
    sensor = build_failure_alert_sensor()
    failing = broken_store_job(tmp_path)
    with Receiver() as hook:
        monkeypatch.setenv(WEBHOOK_ENV, hook.url)
        monkeypatch.setenv("LOGINGEST_UI_URL", "https://dagster.example.com/")
        cursor = tick(sensor, instance, None)  # the sensor starts from now, as when turned on
        run = failing.execute_in_process(instance=instance, raise_on_error=False)
        assert not run.success
        other = other_job.execute_in_process(instance=instance, raise_on_error=False)
        assert not other.success
        cursor = tick(sensor, instance, cursor)
        assert len(hook.bodies) == 1
        body = hook.bodies[0]
        assert body["run_id"] == run.run_id
        assert body["job"] == "ingest_logs"
        assert "SchemaTooNew" in body["error"] and "discover_log_files" in body["error"]
        assert body["run_url"] == f"https://dagster.example.com/runs/{run.run_id}"
        assert run.run_id in body["text"]
        tick(sensor, instance, cursor)  # the same failure is not posted again
        assert len(hook.bodies) == 1


def test_a_successful_run_posts_nothing(tmp_path, monkeypatch, instance):
    sensor = build_failure_alert_sensor()
    (tmp_path / "logs").mkdir()
    settings = Settings(log_dirs=[str(tmp_path / "logs")])
    ingest = build_ingest_job(1, resource=resource_from_settings(settings, str(tmp_path / "h")))
    with Receiver() as hook:
        monkeypatch.setenv(WEBHOOK_ENV, hook.url)
        cursor = tick(sensor, instance, None)
        assert ingest.execute_in_process(instance=instance).success
        tick(sensor, instance, cursor)
    assert hook.bodies == []
