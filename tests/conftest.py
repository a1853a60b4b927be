import os

import pytest


@pytest.fixture
def cli_env(tmp_path):
    """Environment for running the `logingest` command in a subprocess, isolated in tmp_path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LOGINGEST_", "DAGSTER_"))}
    env["DAGSTER_HOME"] = str(tmp_path / "dagster_home")
    return env
