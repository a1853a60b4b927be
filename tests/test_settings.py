"""The seed's settings file: read unchanged, and every mistake named clearly."""

import json

import pytest

from logingest_dagster.defs.resources import (
    HOME_DESCRIPTION,
    LogIngestResource,
    resource_from_settings,
)
from logingest_dagster.environment import CONFIG_ENV, HOME_ENV, STATE_URL_ENV
from logingest_dagster.settings import (
    DECLARATIONS,
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
        check_directories(Settings(log_dirs=[str(tmp_path), str(tmp_path / "nope")]))
    check_directories(Settings(log_dirs=[str(tmp_path)]))


# A value other than the default for every declared setting: a new setting fails these tests until
# it is given one here (and so is seen to go through the settings file and the resource).
NON_DEFAULT = {
    "log_dirs": ["/a", "/b"],
    "max_discovery_workers": 3,
    "discovered_files_channel_size": 7,
    "worker_count": 2,
    "fan_out_limit": 4,
    "partial_line_grace_seconds": 1.5,
    "rotate_wait_seconds": 90.0,
    "level_patterns": {"/x": r"^(?P<level>\w+)"},
    "multiline_start_pattern": "^20",
    "state_url": "sqlite:////tmp/x.db",
}


def settings_document(values: dict) -> dict:
    """The settings file that sets `values` ({setting name: value}), each at its declared place."""
    document: dict = {}
    where = {d.name: d.where for d in DECLARATIONS}
    for name, value in values.items():
        *section, key = where[name].split(".")
        (document.setdefault(section[0], {}) if section else document)[key] = value
    return document


def test_the_settings_file_keys_are_the_seeds_and_the_projects():
    # The file format users write: changing a place here breaks their files.
    assert {d.name: d.where for d in DECLARATIONS} == {
        "log_dirs": "walker.log_dirs",
        "max_discovery_workers": "walker.max_discovery_workers",
        "discovered_files_channel_size": "discovered_files_channel_size",
        "worker_count": "ingestion.worker_count",
        "fan_out_limit": "ingestion.fan_out_limit",
        "partial_line_grace_seconds": "ingestion.partial_line_grace_seconds",
        "rotate_wait_seconds": "ingestion.rotate_wait_seconds",
        "level_patterns": "formats.level_patterns",
        "multiline_start_pattern": "formats.multiline_start_pattern",
        "state_url": "state.url",
    }


def test_every_declared_setting_goes_from_the_file_through_the_resource_and_back(monkeypatch):
    monkeypatch.delenv(STATE_URL_ENV, raising=False)
    assert set(NON_DEFAULT) == {d.name for d in DECLARATIONS}
    assert all(NON_DEFAULT[d.name] != d.default for d in DECLARATIONS)
    settings = parse_settings(settings_document(NON_DEFAULT))
    assert settings.as_dict() == NON_DEFAULT
    back = resource_from_settings(settings, "/tmp/h").settings()
    for declared in DECLARATIONS:
        expected = getattr(settings if declared.in_resource else Settings(), declared.name)
        assert getattr(back, declared.name) == expected, declared.name


def test_the_resource_fields_are_the_declared_settings_with_their_descriptions():
    fields = LogIngestResource.model_fields
    in_resource = [d for d in DECLARATIONS if d.in_resource]
    assert set(fields) == {d.name for d in in_resource} | {"home"}
    assert "worker_count" not in fields  # the executor's max_concurrent, in the execution block
    # What the launchpad shows: the config schema Dagster derives from the resource.
    schema = LogIngestResource(home="/h", log_dirs=["/x"]).get_resource_definition()
    shown = schema.config_schema.as_field().config_type.fields
    assert shown["home"].description == HOME_DESCRIPTION
    for declared in in_resource:
        assert fields[declared.name].annotation == declared.type, declared.name
        assert shown[declared.name].description == f"{declared.where}: {declared.description}"
        assert not shown[declared.name].is_required, declared.name


def test_every_resource_field_defaults_to_the_declared_default_without_a_settings_file(
    monkeypatch, tmp_path
):
    monkeypatch.delenv(CONFIG_ENV, raising=False)
    monkeypatch.delenv(STATE_URL_ENV, raising=False)
    monkeypatch.setenv(HOME_ENV, str(tmp_path))
    resource = LogIngestResource()
    assert resource.home == str(tmp_path)
    assert resource.log_dirs == [str(tmp_path / "sample")]
    for declared in DECLARATIONS:
        if declared.in_resource and declared.name != "log_dirs":
            assert getattr(resource, declared.name) == declared.default, declared.name


def test_every_resource_field_defaults_to_the_settings_files_value(monkeypatch, tmp_path):
    monkeypatch.delenv(STATE_URL_ENV, raising=False)
    path = tmp_path / "settings.json"
    path.write_text(json.dumps(settings_document(NON_DEFAULT)))
    monkeypatch.setenv(CONFIG_ENV, str(path))
    resource = LogIngestResource()
    for declared in DECLARATIONS:
        if declared.in_resource:
            assert getattr(resource, declared.name) == NON_DEFAULT[declared.name], declared.name
