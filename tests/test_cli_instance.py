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
        written, project = (yaml.safe_load(p.read_text()) for p in (copied, REPO / "dagster.yaml"))
        # The event log's directory is written out: a process without DAGSTER_HOME (a script
        # opening this instance with from_config) finds the same event log.
        assert written["event_log_storage"]["config"] == {
            "base_dir": str(tmp_path / "home" / "dagster_home")
        }
        del written["event_log_storage"]["config"], project["event_log_storage"]["config"]
        assert written == project
        # Without it, each step process pays for a compute-log capture (seconds a run).
        assert type(instance.compute_log_manager).__name__ == "NoOpComputeLogManager"
    finally:
        instance.dispose()
