"""What the alert rules count in a real run: every level per minute (so shares work), judged
against the minutes earlier runs published to severity_timeseries."""

from __future__ import annotations

from logingest_dagster.engine.alerts import WEBHOOK_ENV
from tests.alerts.logs import stamp, this_minute_start
from tests.defs.test_alerts_job import alert_checks, run_job


def test_an_error_share_rule_is_evaluated_on_every_level_of_the_run(tmp_path, monkeypatch):
    monkeypatch.delenv(WEBHOOK_ENV, raising=False)
    logs = tmp_path / "logs"
    logs.mkdir()
    minute = this_minute_start()
    lines = [f"{stamp(minute + i % 50)} INFO [web] request ok {i}" for i in range(40)]
    lines += [f"{stamp(minute + i % 50)} ERROR [db] deadlock {i}" for i in range(10)]
    (logs / "orders.log").write_text("\n".join(lines) + "\n")
    share = {"share": 0.1, "window_minutes": 15, "min_records": 20}
    result = run_job(tmp_path, [logs], {"rules": [{"name": "share", "error_share": share}]})
    assert result.success
    checks = alert_checks(result)
    assert not checks["alert_share"].passed  # 10 of 50 records: 20% >= 10%
    assert checks["alert_default"].passed  # 10 errors: no threshold, no spike


def test_a_minute_is_judged_against_the_minutes_earlier_runs_published(tmp_path, monkeypatch):
    monkeypatch.delenv(WEBHOOK_ENV, raising=False)
    logs = tmp_path / "logs"
    logs.mkdir()
    log = logs / "orders.log"
    now = this_minute_start()
    steady = [
        f"{stamp(now - 60 * m + s)} ERROR [db] slow query {s}"
        for m in range(60, 0, -1)
        for s in range(10)
    ]
    log.write_text("\n".join(steady) + "\n")
    assert run_job(tmp_path, [logs]).success
    # 30 errors: above the spike floor (20) but not 5x the trailing median of 10, which only the
    # published minutes of the first run show.
    with log.open("a") as f:
        f.write("".join(f"{stamp(now + s)} ERROR [db] slow query {s}\n" for s in range(30)))
    second = run_job(tmp_path, [logs])
    assert second.success
    assert alert_checks(second)["alert_default"].passed
    # And a minute 5x above it is a spike.
    with log.open("a") as f:
        f.write("".join(f"{stamp(now + 60 + s % 50)} ERROR [db] slow {s}\n" for s in range(60)))
    third = run_job(tmp_path, [logs])
    assert not alert_checks(third)["alert_default"].passed
