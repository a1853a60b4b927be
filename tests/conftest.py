import os

import pytest


@pytest.fixture
def cli_env(tmp_path, monkeypatch):
    """Environment for running the `logingest` command in a subprocess, isolated in tmp_path.

    The test's own process gets the same DAGSTER_HOME: the project's dagster.yaml places the
    event log under it (`env: DAGSTER_HOME`), so an instance the test opens on that home needs it.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LOGINGEST_", "DAGSTER_"))}
    env["DAGSTER_HOME"] = str(tmp_path / "dagster_home")
    monkeypatch.setenv("DAGSTER_HOME", env["DAGSTER_HOME"])
    return env
