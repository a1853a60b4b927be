"""`logingest run` evaluates the same rules and posts the same alerts as a run from the UI: it runs
the same job. A subprocess, a receiver on 127.0.0.1, a settings file with an `alerts` section."""

from __future__ import annotations

import json
import time

from tests.alerts.logs import write_burst, write_quiet
from tests.alerts.receiver import Receiver
from tests.helpers import expected_totals, logingest


def run(tmp_path, env):
    result = logingest(
        "run", "--config", str(tmp_path / "settings.json"), "--home", str(tmp_path / "home"),
        "--json", env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_logingest_run_posts_a_burst_once_and_a_quiet_file_never(tmp_path, cli_env):
    logs = tmp_path / "logs"
    logs.mkdir()
    write_burst(logs / "checkout.log", errors=40)
    write_quiet(logs / "quiet.log")
    settings = {
        "walker": {"log_dirs": [str(logs)]},
        "alerts": {
            "rules": [{"name": "checkout", "services": ["checkout"], "errors_per_minute": 30}]
        },
    }
    (tmp_path / "settings.json").write_text(json.dumps(settings))
    with Receiver() as receiver:
        env = cli_env | {"LOGINGEST_ALERT_WEBHOOK": receiver.url}
        first = run(tmp_path, env)
        # 40 errors: under the default rule's 100, but a spike over a quiet hour (floor 20), and
        # over the configured rule's 30: one alert from each rule.
        assert sorted((b["rule"], b["service"], b["count"]) for b in receiver.bodies) == [
            ("checkout", "checkout", 40),
            ("default", "checkout", 40),
        ]
        assert {b["run_id"] for b in receiver.bodies} == {first["run_id"]}
        assert {b["condition"] for b in receiver.bodies} == {"errors_per_minute", "spike"}
        run(tmp_path, env)  # nothing new
        assert len(receiver.bodies) == 2


def test_logingest_run_with_a_slow_receiver_ends_at_the_deadline_with_every_count(
    tmp_path, cli_env
):
    logs = tmp_path / "logs"
    logs.mkdir()
    write_burst(logs / "api.log")
    settings = {
        "walker": {"log_dirs": [str(logs)]},
        "alerts": {"webhook": {"timeout_seconds": 1, "attempts": 2, "deadline_seconds": 2}},
    }
    (tmp_path / "settings.json").write_text(json.dumps(settings))
    with Receiver(delay=60) as receiver:
        started = time.monotonic()
        summary = run(tmp_path, cli_env | {"LOGINGEST_ALERT_WEBHOOK": receiver.url})
        elapsed = time.monotonic() - started
        assert receiver.received.is_set()
    assert summary["totals"] == expected_totals([logs / "api.log"])
    assert elapsed < 30, elapsed  # waiting on the receiver would take 60 s


def test_a_failed_logingest_run_is_posted_by_the_failure_sensor_of_its_instance(
    tmp_path, cli_env, monkeypatch
):
    from dagster import build_sensor_context

    from logingest_dagster.cli.run import ensure_instance
    from logingest_dagster.defs.alert_sensor import build_failure_alert_sensor
    from logingest_dagster.engine.state import SCHEMA_VERSION, open_store

    home = tmp_path / "home"
    with open_store(home) as store, store.engine.begin() as conn:
        conn.exec_driver_sql(f"UPDATE schema_version SET version = {SCHEMA_VERSION + 1}")
    (tmp_path / "logs").mkdir()
    (tmp_path / "settings.json").write_text(
        json.dumps({"walker": {"log_dirs": [str(tmp_path / "logs")]}})
    )
    sensor = build_failure_alert_sensor()
    with Receiver() as receiver:
        monkeypatch.setenv("LOGINGEST_ALERT_WEBHOOK", receiver.url)  # the daemon's, here
        env = cli_env | {"LOGINGEST_ALERT_WEBHOOK": receiver.url}
        instance = ensure_instance(str(home))  # the CLI's instance, with its dagster.yaml
        cursor = sensor.evaluate_tick(build_sensor_context(instance=instance)).cursor
        failed = logingest(
            "run", "--config", str(tmp_path / "settings.json"), "--home", str(home), "--json",
            env=env,
        )  # fmt: skip
        assert failed.returncode != 0
        run_id = json.loads(failed.stdout.strip().splitlines()[-1])["run_id"]
        sensor.evaluate_tick(build_sensor_context(instance=instance, cursor=cursor))
    assert [(b["rule"], b["run_id"]) for b in receiver.bodies] == [("run_failed", run_id)]
