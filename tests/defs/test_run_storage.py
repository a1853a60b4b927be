"""What a run leaves in the Dagster instance (the project's dagster.yaml): its events, once."""

from __future__ import annotations

from pathlib import Path

from dagster import DagsterEventType, materialize

from logingest_dagster.cli.sample import write_sample
from logingest_dagster.defs.assets import ASSETS
from logingest_dagster.defs.outputs import OUTPUT_NAMES
from logingest_dagster.defs.resources import resource_from_settings
from logingest_dagster.settings import Settings

LINE = "2026-11-26 12:00:00,000 INFO [main] com.acme.App - request served\n"


def _materialize_all(instance, tmp_path: Path):
    resource = resource_from_settings(Settings(log_dirs=[str(tmp_path / "logs")]), str(tmp_path))
    result = materialize(ASSETS, selection=OUTPUT_NAMES, resources={"logingest": resource},
                         instance=instance)  # fmt: skip
    assert result.success
    return result


def _databases(root: Path) -> set[Path]:
    return {p.relative_to(root) for p in root.rglob("*.db")}


def test_an_outputs_metadata_is_stored_on_its_materialization_not_again_on_its_step_output(
    instance, tmp_path
):
    write_sample(tmp_path / "logs", lines_per_file=50)
    run_id = _materialize_all(instance, tmp_path).run_id
    records = instance.get_records_for_run(run_id, of_type=DagsterEventType.STEP_OUTPUT).records
    outputs = {
        r.event_log_entry.dagster_event.step_output_data.output_name: r.event_log_entry
        for r in records
    }
    for name in OUTPUT_NAMES:
        assert outputs[name].dagster_event.step_output_data.metadata == {}, name
    materializations = instance.get_records_for_run(
        run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION
    ).records
    assert len(materializations) == len(OUTPUT_NAMES)
    for record in materializations:
        assert "dagster/column_schema" in record.asset_materialization.metadata


def test_a_run_adds_no_database_of_its_own_to_the_instance(instance, tmp_path):
    logs = tmp_path / "logs"
    write_sample(logs, lines_per_file=50)
    root = Path(instance.root_directory)
    _materialize_all(instance, tmp_path)
    after_one = _databases(root)
    with (logs / "app.log").open("a") as f:
        f.write(LINE * 10)
    second = _materialize_all(instance, tmp_path)
    # Dagster's default event log would add history/runs/<run_id>.db, ~110 KB of empty tables
    # and indexes before the run's first event.
    assert _databases(root) == after_one
    assert len(instance.all_logs(second.run_id)) > 0
