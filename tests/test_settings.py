"""The seed's settings file: read unchanged, and every mistake named clearly."""

import json

import pytest

from logingest_dagster.defs.resources import (
    resource_from_settings,
)
from logingest_dagster.settings import (
    Settings,
    SettingsError,
    check_directories,
    load_settings,
    parse_settings,
)

SEED = {
    "walker": {"log_dirs": ["/var/logs/app", "/var/logs/errors"], "max_discovery_workers": 10},
    "discovered_files_channel_size": 500,
    "ingestion": {"worker_count": 5},
}


def test_seed_settings_file_is_read_unchanged(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps(SEED))
    settings = load_settings(path)
    assert settings.log_dirs == ["/var/logs/app", "/var/logs/errors"]
    assert settings.max_discovery_workers == 10
    assert settings.discovered_files_channel_size == 500
    assert settings.worker_count == 5


def test_project_keys_are_optional_and_parsed():
    raw = SEED | {
        "ingestion": {
            "worker_count": 2,
            "fan_out_limit": 4,
            "partial_line_grace_seconds": 1.5,
            "rotate_wait_seconds": 90,
        },
        "formats": {"level_patterns": {"/x": r"^(?P<level>\w+)"}, "multiline_start_pattern": "^20"},
        "state": {"url": "sqlite:////tmp/x.db"},
    }
    settings = parse_settings(raw)
    assert (settings.fan_out_limit, settings.partial_line_grace_seconds) == (4, 1.5)
    assert settings.rotate_wait_seconds == 90
    # The Dagster resource carries it both ways (the launchpad shows and overrides it).
    assert resource_from_settings(settings, "/tmp/h").settings().rotate_wait_seconds == 90
    assert settings.level_patterns == {"/x": r"^(?P<level>\w+)"}
    assert settings.state_url == "sqlite:////tmp/x.db"


def test_symlinks_policy_defaults_to_inside_and_reaches_the_resource():
    assert parse_settings(SEED).symlinks == "inside"
    settings = parse_settings(SEED | {"walker": {"log_dirs": ["/a"], "symlinks": "all"}})
    assert resource_from_settings(settings, "/tmp/h").settings().symlinks == "all"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (SEED | {"surprise": 1}, "unknown key 'surprise'"),
        (
            SEED | {"walker": {"log_dirs": ["/a"], "max_workers": 3}},
            "unknown key 'walker.max_workers'",
        ),
        (
            SEED | {"ingestion": {"worker_count": "5"}},
            "'ingestion.worker_count' must be an integer",
        ),
        (
            SEED | {"ingestion": {"worker_count": 0}},
            "'ingestion.worker_count' must be an integer >= 1",
        ),
        (
            SEED | {"ingestion": {"worker_count": True}},
            "'ingestion.worker_count' must be an integer",
        ),
        (SEED | {"walker": {"log_dirs": "/var/log"}}, "'walker.log_dirs' must be a list"),
        (SEED | {"walker": 3}, "'walker' must be an object"),
        (SEED | {"formats": {"level_patterns": {"/x": "no group"}}}, "needs (?P<level>...)"),
        (
            SEED | {"walker": {"log_dirs": ["/a"], "symlinks": True}},
            "'walker.symlinks' must be 'inside' or 'all'",
        ),
        (
            SEED | {"formats": {"level_patterns": ["/x"]}},
            "'formats.level_patterns' must map directories to regexes",
        ),
        (
            SEED | {"ingestion": {"rotate_wait_seconds": -1}},
            "'ingestion.rotate_wait_seconds' must be a number >= 0, got -1",
        ),
        (SEED | {"state": {"url": 5}}, "'state.url' must be a string"),
        (SEED | {"discovered_files_channel_size": 0}, "'discovered_files_channel_size' must be"),
        ([1, 2], "expected a JSON object"),
    ],
)
def test_bad_settings_name_the_problem(raw, message):
    with pytest.raises(
        SettingsError, match=message.replace("(", r"\(").replace(")", r"\)").replace("?", r"\?")
    ):
        parse_settings(raw)


def test_invalid_json_and_missing_file_are_settings_errors(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(SettingsError, match="invalid JSON"):
        load_settings(bad)
    with pytest.raises(SettingsError, match="cannot read settings file"):
        load_settings(tmp_path / "absent.json")


def test_missing_directory_is_named(tmp_path):
    with pytest.raises(SettingsError, match="log directory does not exist: .*nope"):
        check_directories(Settings(log_dirs=[str(tmp_path / "nope")]))
    assert check_directories(Settings(log_dirs=[str(tmp_path)])) == []


def test_one_missing_directory_of_several_is_a_warning_not_a_refusal(tmp_path):
    warnings = check_directories(Settings(log_dirs=[str(tmp_path), str(tmp_path / "nope")]))
    assert warnings == [f"log directory does not exist (skipped this run): {tmp_path / 'nope'}"]


def test_a_log_directory_that_is_a_file_says_so(tmp_path):
    (tmp_path / "app.log").write_text("x\n")
    with pytest.raises(SettingsError, match="is a file, not a directory: .*app.log"):
        check_directories(Settings(log_dirs=[str(tmp_path), str(tmp_path / "app.log")]))
