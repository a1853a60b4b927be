"""`logingest run` on a new home creates its Dagster instance with the project's dagster.yaml."""

from pathlib import Path

import yaml

from logingest_dagster.cli.run import ensure_instance

REPO = Path(__file__).resolve().parents[1]


def test_a_new_home_gets_the_projects_instance_config(tmp_path, monkeypatch):
    # ensure_instance sets DAGSTER_HOME itself: setenv first, so the test restores it after.
    monkeypatch.setenv("DAGSTER_HOME", "")
    monkeypatch.delenv("DAGSTER_HOME")
    instance = ensure_instance(str(tmp_path / "home"))
    try:
        copied = tmp_path / "home" / "dagster_home" / "dagster.yaml"
        assert yaml.safe_load(copied.read_text()) == yaml.safe_load(
            (REPO / "dagster.yaml").read_text()
        )
        # Without it, each step process pays for a compute-log capture (seconds a run).
        assert type(instance.compute_log_manager).__name__ == "NoOpComputeLogManager"
    finally:
        instance.dispose()
