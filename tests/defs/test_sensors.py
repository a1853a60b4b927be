"""`log_dirs_changed`, one tick at a time, against real files and a real (temporary) instance."""

from __future__ import annotations

import os

import pytest
from dagster import DagsterRunStatus, build_sensor_context, job, op

from logingest_dagster.definitions import defs, log_dirs_changed
from logingest_dagster.defs.resources import resource_from_settings
from logingest_dagster.defs.runs_in_flight import RUNNING, WAITING
from logingest_dagster.defs.sensors import (
    DEFAULT_INTERVAL_SECONDS,
    INTERVAL_ENV,
    SENSOR_NAME,
    build_log_dirs_sensor,
    sensor_interval_from_env,
)
from logingest_dagster.settings import Settings, SettingsError
from tests.helpers import dead_cli_process_tags

LINE = "2026-11-26 12:00:00,000 INFO [main] com.acme.App - started\n"
JOB = defs.resolve_job_def("ingest_logs")
SENSOR = log_dirs_changed


@pytest.fixture
def logs(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "app.log").write_text(LINE * 3)
    return logs


class Ticks:
    """Evaluates the sensor as the daemon does: each tick starts from the cursor the last one left."""

    def __init__(self, instance, tmp_path, log_dirs):
        settings = Settings(log_dirs=[str(d) for d in log_dirs])
        self.resource = resource_from_settings(settings, str(tmp_path / "home"))
        self.instance = instance
        self.cursor: str | None = None

    def tick(self):
        context = build_sensor_context(
            instance=self.instance, cursor=self.cursor, resources={"logingest": self.resource}
        )
        result = SENSOR.evaluate_tick(context)
        self.cursor = result.cursor
        return result


def test_first_tick_on_a_directory_with_logs_requests_a_run(instance, tmp_path, logs):
    ticks = Ticks(instance, tmp_path, [logs])
    result = ticks.tick()
    assert result.skip_message is None
    [request] = result.run_requests
    assert request.run_config == JOB.run_config  # worker_count as max_concurrent, as launched
    assert request.tags["dagster/sensor_name"] == SENSOR_NAME
    assert request.run_key and ticks.cursor


def test_an_unchanged_directory_skips_and_keeps_the_cursor(instance, tmp_path, logs):
    ticks = Ticks(instance, tmp_path, [logs])
    ticks.tick()
    cursor = ticks.cursor
    result = ticks.tick()
    assert result.run_requests == []
    assert "no change" in result.skip_message
    assert "1 .log files in 1 directories" in result.skip_message
    assert ticks.cursor == cursor


def test_appending_to_a_file_requests_a_run(instance, tmp_path, logs):
    ticks = Ticks(instance, tmp_path, [logs])
    [first] = ticks.tick().run_requests
    with (logs / "app.log").open("a") as f:
        f.write(LINE)
    [second] = ticks.tick().run_requests
    assert second.run_key != first.run_key


def test_a_new_file_requests_a_run(instance, tmp_path, logs):
    ticks = Ticks(instance, tmp_path, [logs])
    ticks.tick()
    (logs / "worker.log").write_text(LINE)
    assert len(ticks.tick().run_requests) == 1


def test_a_file_rewritten_to_the_same_size_requests_a_run(instance, tmp_path, logs):
    ticks = Ticks(instance, tmp_path, [logs])
    ticks.tick()
    path = logs / "app.log"
    mtime_ns = path.stat().st_mtime_ns
    path.write_text(LINE.replace("INFO", "WARN") * 3)  # same length, same inode
    os.utime(path, ns=(mtime_ns + 1_000_000, mtime_ns + 1_000_000))
    assert len(ticks.tick().run_requests) == 1


def test_files_not_named_log_are_ignored(instance, tmp_path, logs):
    ticks = Ticks(instance, tmp_path, [logs])
    ticks.tick()
    (logs / "app.log.1.gz").write_bytes(b"\x1f\x8b")
    (logs / "notes.txt").write_text("x")
    assert ticks.tick().run_requests == []


def run_in(status, instance, code_location):
    if status == DagsterRunStatus.QUEUED:
        return code_location.submit_ingest_run(instance)
    # With the job's run tags, as every launch path (UI, sensor, CLI) gives them.
    return instance.create_run_for_job(
        JOB, run_config=JOB.run_config, status=status, tags=JOB.run_tags
    )


@pytest.mark.parametrize("status", WAITING + RUNNING, ids=lambda s: s.value)
def test_a_run_in_flight_skips_without_moving_the_cursor(
    instance, code_location, tmp_path, logs, status
):
    ticks = Ticks(instance, tmp_path, [logs])
    ticks.tick()
    cursor = ticks.cursor
    run = run_in(status, instance, code_location)
    assert instance.get_run_by_id(run.run_id).status == status
    (logs / "worker.log").write_text(LINE)
    result = ticks.tick()
    assert result.run_requests == []
    assert run.run_id in result.skip_message and status.value.lower() in result.skip_message
    assert ticks.cursor == cursor
    # Once that run has ended, the change made meanwhile is still pending: one run for it.
    instance.report_run_canceled(run)
    assert len(ticks.tick().run_requests) == 1


def test_a_run_whose_cli_process_died_is_failed_and_does_not_hold_the_sensor_back(
    instance, tmp_path, logs
):
    orphan = instance.create_run_for_job(
        JOB,
        run_config=JOB.run_config,
        status=DagsterRunStatus.STARTED,
        tags=dead_cli_process_tags(),
    )
    assert len(Ticks(instance, tmp_path, [logs]).tick().run_requests) == 1
    assert instance.get_run_by_id(orphan.run_id).status == DagsterRunStatus.FAILURE


def test_a_finished_run_or_another_jobs_run_does_not_hold_the_sensor_back(instance, tmp_path, logs):
    @op
    def noop():
        pass

    @job
    def another_job():
        noop()

    instance.create_run_for_job(
        JOB, run_config=JOB.run_config, status=DagsterRunStatus.SUCCESS, tags=JOB.run_tags
    )
    instance.create_run_for_job(another_job, status=DagsterRunStatus.STARTED)
    assert len(Ticks(instance, tmp_path, [logs]).tick().run_requests) == 1


def test_a_run_of_the_celery_job_holds_the_sensor_back_too(instance, tmp_path, logs):
    # ingest_logs_celery runs the same graph; its runs carry the same `logingest/job` tag.
    @op
    def noop():
        pass

    @job(name="ingest_logs_celery", tags=JOB.run_tags)
    def celery_like():
        noop()

    ticks = Ticks(instance, tmp_path, [logs])
    ticks.tick()
    run = instance.create_run_for_job(
        celery_like, status=DagsterRunStatus.STARTED, tags=celery_like.run_tags
    )
    (logs / "worker.log").write_text(LINE)
    result = ticks.tick()
    assert result.run_requests == [] and run.run_id in result.skip_message


def test_a_missing_directory_is_reported_and_the_others_still_watched(instance, tmp_path, logs):
    missing = tmp_path / "not_mounted"
    ticks = Ticks(instance, tmp_path, [missing, logs])
    assert len(ticks.tick().run_requests) == 1
    unchanged = ticks.tick()
    assert unchanged.run_requests == []
    assert f"log dir {missing} does not exist" in unchanged.skip_message
    with (logs / "app.log").open("a") as f:
        f.write(LINE)
    assert len(ticks.tick().run_requests) == 1


def test_a_state_seen_before_still_gets_a_run(instance, tmp_path, logs):
    # A directory unmounted and mounted again comes back exactly as it was; Dagster launches a
    # run key only once, so the key must differ from the first time that state was seen.
    ticks = Ticks(instance, tmp_path, [logs])
    keys = [r.run_key for r in ticks.tick().run_requests]
    logs.rename(tmp_path / "away")
    keys += [r.run_key for r in ticks.tick().run_requests]
    (tmp_path / "away").rename(logs)
    keys += [r.run_key for r in ticks.tick().run_requests]
    assert len(keys) == 3 and len(set(keys)) == 3


def test_the_cursor_is_a_hash_not_the_listing(instance, tmp_path, logs):
    for i in range(300):
        (logs / f"service-{i:04d}-with-a-long-name.log").write_text(LINE)
    ticks = Ticks(instance, tmp_path, [logs])
    ticks.tick()
    assert len(ticks.cursor) < 100


def test_a_cursor_that_does_not_parse_counts_as_none(instance, tmp_path, logs):
    ticks = Ticks(instance, tmp_path, [logs])
    ticks.cursor = "set by hand: in the UI"
    assert len(ticks.tick().run_requests) == 1


def test_interval_and_status_defaults(monkeypatch):
    monkeypatch.delenv(INTERVAL_ENV, raising=False)
    assert sensor_interval_from_env() == DEFAULT_INTERVAL_SECONDS == 30
    assert SENSOR.minimum_interval_seconds == 30
    assert SENSOR.default_status.value == "STOPPED"
    assert SENSOR.job_name == JOB.name == "ingest_logs"


def test_interval_env_override(monkeypatch):
    monkeypatch.setenv(INTERVAL_ENV, "2")
    assert build_log_dirs_sensor(JOB, sensor_interval_from_env()).minimum_interval_seconds == 2


@pytest.mark.parametrize("raw", ["0", "-5", "1.5", "soon"])
def test_a_bad_interval_is_a_clear_error(monkeypatch, raw):
    monkeypatch.setenv(INTERVAL_ENV, raw)
    with pytest.raises(SettingsError, match=f"{INTERVAL_ENV} must be a whole number"):
        sensor_interval_from_env()


def test_turning_the_sensor_on_after_a_run_with_nothing_changed_requests_no_run(
    instance, tmp_path, logs
):
    from dagster import materialize

    from logingest_dagster.defs.assets import ASSETS

    ticks = Ticks(instance, tmp_path, [logs])
    assert materialize(ASSETS, resources={"logingest": ticks.resource}, instance=instance).success
    first = ticks.tick()  # a sensor with no cursor yet: the run already covered this state
    assert first.run_requests == [] and "no change" in first.skip_message
    with (logs / "app.log").open("a") as f:
        f.write(LINE)
    assert len(ticks.tick().run_requests) == 1


def test_the_sensor_and_schedule_target_the_asset_job():
    from logingest_dagster.definitions import ingest_logs_catchup

    job = defs.resolve_job_def(SENSOR.job_name)
    assert ingest_logs_catchup.job_name == job.name == "ingest_logs"
    assert {k.path[0] for k in job.asset_layer.executable_asset_keys} >= {
        "severity_totals",
        "file_stats",
        "severity_history",
        "events",
        "severity_timeseries",
    }
