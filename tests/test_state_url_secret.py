"""An offset store URL given in $LOGINGEST_STATE_URL never lands in run config, which the instance
stores and the UI shows; a password in the settings file is refused."""

from __future__ import annotations

import json
import logging

import pytest
from dagster import DagsterInstance, EnvVar

from logingest_dagster.cli.sample import write_sample
from logingest_dagster.defs.resources import resource_from_settings
from logingest_dagster.settings import (
    STATE_URL_ENV,
    Settings,
    SettingsError,
    load_settings,
    settings_from_env,
)
from tests.helpers import logingest

SECRET_URL = "postgresql://ingest:s3cret@db.example/logs"


def settings_file(tmp_path, state: dict) -> str:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"walker": {"log_dirs": [str(tmp_path)]}, "state": state}))
    return str(path)


def test_the_variable_supplies_the_url_when_the_file_has_none(tmp_path, monkeypatch):
    monkeypatch.setenv(STATE_URL_ENV, SECRET_URL)
    assert load_settings(settings_file(tmp_path, {})).state_url == SECRET_URL
    assert load_settings(settings_file(tmp_path, {"url": SECRET_URL})).state_url == SECRET_URL
    monkeypatch.delenv("LOGINGEST_CONFIG", raising=False)
    assert settings_from_env().state_url == SECRET_URL


def test_a_different_url_in_the_file_is_an_error_not_a_choice(tmp_path, monkeypatch):
    monkeypatch.setenv(STATE_URL_ENV, SECRET_URL)
    with pytest.raises(SettingsError, match=r"'state.url' and \$LOGINGEST_STATE_URL"):
        load_settings(settings_file(tmp_path, {"url": "sqlite:////elsewhere.db"}))


def test_the_code_location_refers_to_the_variable_by_name(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv(STATE_URL_ENV, SECRET_URL)
    with caplog.at_level(logging.WARNING):
        resource = resource_from_settings(Settings(log_dirs=["/x"], state_url=SECRET_URL), "h")
    assert isinstance(resource.state_url, EnvVar)
    assert resource.state_url.env_var_name == STATE_URL_ENV
    assert not caplog.records  # nothing to warn about


def test_a_password_in_the_settings_file_is_refused_with_the_variable_to_use(monkeypatch):
    monkeypatch.delenv(STATE_URL_ENV, raising=False)
    with pytest.raises(SettingsError, match=r"password.*\$LOGINGEST_STATE_URL"):
        resource_from_settings(Settings(log_dirs=["/x"], state_url=SECRET_URL), "h")
    resource_from_settings(Settings(log_dirs=["/x"], state_url="sqlite:////tmp/o.db"), "h")


def test_a_cli_run_with_a_password_in_the_settings_file_fails_in_one_line(tmp_path, cli_env):
    cli_env.pop(STATE_URL_ENV, None)
    config = settings_file(tmp_path, {"url": SECRET_URL})
    result = logingest("run", "--config", config, "--home", str(tmp_path / "home"), env=cli_env)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert STATE_URL_ENV in result.stderr
    assert not (tmp_path / "dagster_home").exists()  # no run was created to store it


def test_a_cli_run_uses_the_variables_store_and_stores_only_its_name(tmp_path, cli_env):
    write_sample(tmp_path / "logs", lines_per_file=50)
    store = tmp_path / "elsewhere" / "offsets.db"
    store.parent.mkdir()
    url = f"sqlite:///{store}"
    env = cli_env | {STATE_URL_ENV: url}
    args = ["run", "--home", str(tmp_path / "home"), "--log-dir", str(tmp_path / "logs"), "--json"]
    first = logingest(*args, env=env)
    assert first.returncode == 0, first.stderr
    assert store.exists()
    assert not (tmp_path / "home" / "state").exists()  # not the default store
    again = logingest(*args, env=env)
    assert json.loads(again.stdout.splitlines()[-1])["files_read"] == 0  # its offsets were kept
    with DagsterInstance.from_config(cli_env["DAGSTER_HOME"]) as instance:
        runs = instance.get_runs()
    assert len(runs) == 2
    for run in runs:
        assert run.run_config["resources"]["logingest"]["config"]["state_url"] == {
            "env": STATE_URL_ENV
        }
        assert url not in json.dumps(run.run_config)
