"""Where `logingest run` keeps its Dagster instance, without importing Dagster."""

from __future__ import annotations

import os
from pathlib import Path


def set_dagster_home(home: str) -> str:
    """DAGSTER_HOME if set, else `<home>/dagster_home`, set in this process's environment.

    Set before any process of the run starts: the instance's dagster.yaml names its event log's
    directory through `env: DAGSTER_HOME`, and the forkserver and its step processes read it
    from the environment they inherited."""
    dagster_home = os.environ.get("DAGSTER_HOME")
    if not dagster_home:
        dagster_home = str(Path(home).resolve() / "dagster_home")
        os.environ["DAGSTER_HOME"] = dagster_home
    return dagster_home
