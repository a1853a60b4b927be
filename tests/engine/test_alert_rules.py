"""Alert rules: the settings section, and the rules applied to per-minute counts."""

from __future__ import annotations

import pytest

from logingest_dagster.engine.alerts import (
    DEFAULT_RULE,
    MinuteCount,
    MinuteCounts,
    evaluate,
    parse_alerts,
)
from logingest_dagster.settings import SettingsError, parse_settings

NOW_MINUTE = 29_000_000  # a minute in 2025
NOW = NOW_MINUTE * 60.0
PATH = "/var/log/app/api.log"


def errors_at(counts: dict[int, int], path: str = PATH, level: str = "ERROR") -> list[MinuteCount]:
    return [MinuteCount(minute, path, level, n) for minute, n in counts.items()]


def findings(alerts: dict, counts: list[MinuteCount], focus, *, all_levels=False):
    data = MinuteCounts(counts, set(focus), {}, all_levels=all_levels)
    return {o.rule.name: o for o in evaluate(parse_alerts(alerts), data, NOW)}


def test_no_settings_give_the_default_rule_of_the_issue():
    settings = parse_alerts(None)
    assert settings.rules == (DEFAULT_RULE,)
    rule = settings.rules[0]
    assert (rule.errors_per_minute, rule.spike.factor, rule.spike.floor) == (100, 5.0, 20)
    assert parse_settings({"walker": {"log_dirs": ["/x"]}}).alert_settings().rules == (rule,)


@pytest.mark.parametrize(
    ("alerts", "message"),
    [
        ({"rule": []}, "unknown key 'rule'"),
        ({"rules": [{"name": "a b", "errors_per_minute": 1}]}, "letters, digits"),
        ({"rules": [{"name": "a"}]}, "needs a condition"),
        ({"rules": [{"name": "a", "errors_per_minute": 0}]}, "integer >= 1"),
        ({"rules": [{"name": "a", "error_share": {"share": 2}}]}, r"in \(0, 1\]"),
        ({"webhook": {"url": "https://hooks.example.com/x"}}, "unknown key 'url'"),
    ],
)
def test_a_bad_alerts_section_is_one_clear_settings_error(alerts, message):
    with pytest.raises(SettingsError, match=message):
        parse_settings({"walker": {"log_dirs": ["/x"]}, "alerts": alerts}, "s.json")


def test_threshold_fires_at_100_errors_and_fatals_in_a_minute_not_at_99():
    m = NOW_MINUTE - 5
    below = errors_at({m: 60}) + errors_at({m: 39}, level="FATAL")
    at = errors_at({m: 60}) + errors_at({m: 40}, level="FATAL")
    # A 99 over an hour of 30s is no spike either (median 30, x5 = 150).
    quiet_hour = errors_at({m - i: 30 for i in range(1, 61)})
    assert findings({}, below + quiet_hour, [(PATH, m)])["default"].findings == []
    [found] = findings({}, at + quiet_hour, [(PATH, m)])["default"].findings
    assert (found.condition, found.count, found.threshold) == ("errors_per_minute", 100, 100)


def test_spike_is_above_k_times_the_trailing_median_and_at_least_the_floor():
    m = NOW_MINUTE - 5
    trailing = {m - i: 10 for i in range(1, 61)}  # median 10: a spike is above 50
    assert findings({}, errors_at(trailing | {m: 50}), [(PATH, m)])["default"].findings == []
    [found] = findings({}, errors_at(trailing | {m: 51}), [(PATH, m)])["default"].findings
    assert (found.condition, found.count, found.threshold) == ("spike", 51, 50)
    # Minutes without errors count as 0: after a quiet hour the floor decides.
    assert findings({}, errors_at({m: 19}), [(PATH, m)])["default"].findings == []
    assert len(findings({}, errors_at({m: 20}), [(PATH, m)])["default"].findings) == 1


def test_only_minutes_the_run_committed_into_and_not_too_old_are_judged():
    old, recent = NOW_MINUTE - 2 * 24 * 60, NOW_MINUTE - 1
    counts = errors_at({old: 500, recent: 500})
    assert findings({}, counts, [])["default"].findings == []
    assert findings({}, counts, [(PATH, old)])["default"].findings == []  # past max_age_minutes
    assert len(findings({}, counts, [(PATH, recent)])["default"].findings) == 1


def test_a_rule_applies_to_its_directories_and_services_only():
    m = NOW_MINUTE - 1
    other = "/var/log/other/db.log"
    counts = errors_at({m: 30}) + errors_at({m: 30}, path=other)
    alerts = {
        "default_rule": False,
        "services": {"/var/log/app": "storefront"},
        "rules": [
            {"name": "by_service", "services": ["storefront"], "errors_per_minute": 25},
            {"name": "by_dir", "directories": ["/var/log/other"], "errors_per_minute": 25},
            {"name": "by_stem", "services": ["db"], "errors_per_minute": 25},
        ],
    }
    outcomes = findings(alerts, counts, [(PATH, m), (other, m)])
    assert [(f.path, f.service) for f in outcomes["by_service"].findings] == [(PATH, "storefront")]
    assert [(f.path, f.service) for f in outcomes["by_dir"].findings] == [(other, "db")]
    assert [f.path for f in outcomes["by_stem"].findings] == [other]


def test_error_share_over_a_window_needs_every_level_and_enough_records():
    start = NOW_MINUTE - NOW_MINUTE % 15 - 15
    alerts = {
        "default_rule": False,
        "rules": [
            {
                "name": "share",
                "error_share": {"share": 0.1, "window_minutes": 15, "min_records": 100},
            }
        ],
    }
    counts = errors_at({start + 3: 12}) + errors_at(
        {start + i: 10 for i in range(10)}, level="INFO"
    )
    [found] = findings(alerts, counts, [(PATH, start + 3)], all_levels=True)["share"].findings
    assert (found.window_start, found.window_minutes, found.count) == (start, 15, 12)
    assert found.share == pytest.approx(12 / 112)
    few = errors_at({start + 3: 12}) + errors_at({start: 50}, level="INFO")  # 62 records
    assert findings(alerts, few, [(PATH, start + 3)], all_levels=True)["share"].findings == []
    events_only = findings(alerts, counts, [(PATH, start + 3)])["share"]
    assert events_only.findings == [] and "every level" in events_only.note


def test_reading_the_settings_does_not_load_the_offset_store():
    from tests.helpers import modules_loaded_by

    loaded = modules_loaded_by("import logingest_dagster.settings")
    assert not loaded & {"sqlalchemy", "numpy", "pyarrow", "dagster"}
