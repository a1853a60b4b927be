"""Rule alerts from real runs of the ingestion job: POSTed to a receiver on 127.0.0.1, once."""

from __future__ import annotations

import time

from dagster import AssetCheckSeverity

from logingest_dagster.defs.jobs import build_ingest_job
from logingest_dagster.defs.resources import resource_from_settings
from logingest_dagster.engine.alerts import WEBHOOK_ENV
from logingest_dagster.settings import Settings
from tests.alerts.logs import write_burst, write_quiet
from tests.alerts.receiver import Receiver, closed_port_url
from tests.helpers import expected_totals, parquet_totals


def run_job(tmp_path, log_dirs, alerts=None):
    settings = Settings(log_dirs=[str(d) for d in log_dirs], alerts=alerts or {})
    resource = resource_from_settings(settings, str(tmp_path / "home"))
    return build_ingest_job(1, resource=resource).execute_in_process(raise_on_error=False)


def alert_checks(result):
    return {
        e.check_name: e
        for e in result.get_asset_check_evaluations()
        if e.check_name.startswith("alert_")
    }


def test_a_burst_sends_one_alert_and_a_quiet_file_none(tmp_path, monkeypatch):
    logs = tmp_path / "logs"
    logs.mkdir()
    minute = write_burst(logs / "payments.log", errors=150)
    write_quiet(logs / "quiet.log")
    with Receiver() as receiver:
        monkeypatch.setenv(WEBHOOK_ENV, receiver.url)
        result = run_job(tmp_path, [logs])
        assert result.success
        assert len(receiver.bodies) == 1
        body = receiver.bodies[0]
        assert body["rule"] == "default"
        assert body["service"] == "payments"
        assert body["path"] == str(logs / "payments.log")
        assert body["count"] == 150 and body["threshold"] == 100
        assert body["window"]["start"] == time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime(minute))
        assert body["run_id"] == result.run_id
        assert body["run_url"] == f"http://127.0.0.1:3000/runs/{result.run_id}"
        assert len(body["examples"]) == 3 and "connection refused" in body["examples"][0]
        assert result.run_id in body["text"]

        # The same minutes, judged again by a later run that reads more of the file: not resent.
        with (logs / "payments.log").open("a") as f:
            f.write(time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(minute + 5)) + " ERROR more\n")
        again = run_job(tmp_path, [logs])
        assert again.success
        assert len(receiver.bodies) == 1
        assert not alert_checks(again)["alert_default"].passed  # the check still shows it

    check = alert_checks(result)["alert_default"]
    assert not check.passed and check.severity == AssetCheckSeverity.WARN
    assert check.metadata["offending_minutes"].value == 1
    assert check.metadata["services"].value == ["payments"]
    assert "connection refused" in check.metadata["examples"].value[0]
    assert alert_checks(result)["alert_run_problems"].passed


def test_a_quiet_file_alone_sends_nothing_and_passes(tmp_path, monkeypatch):
    logs = tmp_path / "logs"
    logs.mkdir()
    write_quiet(logs / "quiet.log")
    with Receiver() as receiver:
        monkeypatch.setenv(WEBHOOK_ENV, receiver.url)
        result = run_job(tmp_path, [logs])
    assert result.success and receiver.bodies == []
    assert all(e.passed for e in alert_checks(result).values())


def test_a_missing_directory_and_a_burst_say_so_in_the_alert_and_the_check(tmp_path, monkeypatch):
    logs = tmp_path / "logs"
    logs.mkdir()
    write_burst(logs / "api.log")
    missing = tmp_path / "not-mounted"
    with Receiver() as receiver:
        monkeypatch.setenv(WEBHOOK_ENV, receiver.url)
        result = run_job(tmp_path, [logs, missing])
        assert result.success
        by_rule = {b["rule"]: b for b in receiver.bodies}
    assert set(by_rule) == {"default", "run_problems"}
    assert any(str(missing) in p for p in by_rule["run_problems"]["run_problems"])
    assert any(str(missing) in p for p in by_rule["default"]["run_problems"])
    checks = alert_checks(result)
    assert not checks["alert_run_problems"].passed
    assert str(missing) in checks["alert_run_problems"].description


def test_rules_from_settings_name_their_checks_and_alerts(tmp_path, monkeypatch):
    logs = tmp_path / "logs"
    logs.mkdir()
    write_burst(logs / "api.log", errors=30)  # under the default's 100, over this rule's 25
    alerts = {
        "default_rule": False,
        "services": {str(logs): "storefront"},
        "rules": [
            {"name": "storefront_errors", "services": ["storefront"], "errors_per_minute": 25}
        ],
    }
    with Receiver() as receiver:
        monkeypatch.setenv(WEBHOOK_ENV, receiver.url)
        result = run_job(tmp_path, [logs], alerts)
    assert [(b["rule"], b["service"], b["count"]) for b in receiver.bodies] == [
        ("storefront_errors", "storefront", 30)
    ]
    assert set(alert_checks(result)) == {"alert_storefront_errors", "alert_run_problems"}


def test_a_receiver_down_or_slow_delays_the_run_only_to_the_deadline_and_loses_no_counts(
    tmp_path, monkeypatch
):
    alerts = {"webhook": {"timeout_seconds": 1, "attempts": 3, "deadline_seconds": 2}}
    for name, url_of in (("down", lambda r: closed_port_url()), ("slow", lambda r: r.url)):
        logs = tmp_path / name / "logs"
        logs.mkdir(parents=True)
        write_burst(logs / "api.log")
        with Receiver(delay=30) as slow:
            monkeypatch.setenv(WEBHOOK_ENV, url_of(slow))
            started = time.monotonic()
            result = run_job(tmp_path / name, [logs], alerts)
            elapsed = time.monotonic() - started
        assert result.success, name
        assert parquet_totals(tmp_path / name / "home") == expected_totals([logs / "api.log"])
        # The deadline (2 s) plus the run itself; a run waiting out the slow receiver takes 30 s.
        assert elapsed < 15, (name, elapsed)
        assert not alert_checks(result)["alert_default"].passed  # shown even though not sent


def test_an_alert_not_delivered_is_sent_by_the_next_run(tmp_path, monkeypatch):
    logs = tmp_path / "logs"
    logs.mkdir()
    write_burst(logs / "api.log")
    alerts = {"webhook": {"timeout_seconds": 1, "attempts": 1, "deadline_seconds": 1}}
    monkeypatch.setenv(WEBHOOK_ENV, closed_port_url())
    first = run_job(tmp_path, [logs], alerts)
    assert first.success
    with Receiver() as receiver:
        monkeypatch.setenv(WEBHOOK_ENV, receiver.url)
        assert run_job(tmp_path, [logs], alerts).success  # nothing new to read
        assert run_job(tmp_path, [logs], alerts).success
    assert [(b["rule"], b["run_id"]) for b in receiver.bodies] == [("default", first.run_id)]


def test_run_on_demand_the_rule_checks_judge_every_stored_minute_and_send_nothing(
    tmp_path, monkeypatch
):
    from dagster import Definitions

    from logingest_dagster.defs.alert_checks import build_alert_checks
    from logingest_dagster.defs.assets import ASSETS
    from logingest_dagster.defs.checks import check_warehouse
    from logingest_dagster.engine.alerts import parse_alerts

    logs = tmp_path / "logs"
    logs.mkdir()
    write_burst(logs / "api.log")
    assert run_job(tmp_path, [logs]).success  # no webhook set: nothing sent, nothing claimed
    settings = Settings(log_dirs=[str(logs), str(tmp_path / "gone")])
    defs = Definitions(
        assets=ASSETS,
        asset_checks=build_alert_checks(parse_alerts({})),
        jobs=[check_warehouse],
        resources={"logingest": resource_from_settings(settings, str(tmp_path / "home"))},
    )
    with Receiver() as receiver:
        monkeypatch.setenv(WEBHOOK_ENV, receiver.url)
        result = defs.resolve_job_def("check_warehouse").execute_in_process(raise_on_error=False)
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert not checks["alert_default"].passed
    assert checks["alert_default"].metadata["services"].value == ["api"]
    assert not checks["alert_run_problems"].passed  # the directory that is not there
    assert receiver.bodies == []
