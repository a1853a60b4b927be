"""The warehouse outputs as materializable assets, against a real instance and real files."""

from __future__ import annotations

import pyarrow.dataset as ds
import pytest
from dagster import AssetCheckSeverity, AssetKey, materialize

from logingest_dagster.cli.sample import write_sample
from logingest_dagster.definitions import defs
from logingest_dagster.defs.assets import ASSETS
from logingest_dagster.defs.directories import EXIST_CHECK, LOG_DIRECTORIES
from logingest_dagster.defs.job_tag import JOB_TAG
from logingest_dagster.defs.orphaned_runs import HOST_TAG, PROCESS_TAG
from logingest_dagster.defs.outputs import OUTPUT_NAMES
from logingest_dagster.defs.resources import resource_from_settings
from logingest_dagster.defs.run_summary import COMMITTED_TAG, last_run_fingerprint
from logingest_dagster.engine.discover import discover, fingerprint
from logingest_dagster.settings import Settings
from tests.helpers import expected_totals, parquet_totals, run_summary_of

LINE = "2026-11-26 12:00:00,000 INFO [main] com.acme.App - started\n"


def materialize_outputs(instance, tmp_path, log_dirs, selection=OUTPUT_NAMES):
    resource = resource_from_settings(
        Settings(log_dirs=[str(d) for d in log_dirs]), str(tmp_path / "home")
    )
    return materialize(
        ASSETS, selection=list(selection), resources={"logingest": resource}, instance=instance
    )


def materialized(result) -> set[str]:
    return {event.asset_key.path[0] for event in result.get_asset_materialization_events()}


def test_the_code_location_has_the_outputs_downstream_of_the_log_directories():
    graph = defs.resolve_asset_graph()
    for name in OUTPUT_NAMES:
        node = graph.get(AssetKey(name))
        assert node.is_materializable, name
        assert node.parent_keys == {LOG_DIRECTORIES}
    assert graph.get(LOG_DIRECTORIES).is_observable
    job = defs.resolve_job_def("ingest_logs")
    assert job.asset_layer.executable_asset_keys >= {AssetKey(n) for n in OUTPUT_NAMES}


@pytest.mark.parametrize("name", OUTPUT_NAMES)
def test_materializing_one_output_runs_the_graph_and_records_only_it(instance, tmp_path, name):
    files = write_sample(tmp_path / "logs", lines_per_file=50)
    result = materialize_outputs(instance, tmp_path, [tmp_path / "logs"], selection=[name])
    assert result.success
    assert materialized(result) == {name}
    # The whole graph ran: everything was read and committed, once.
    assert run_summary_of(result)["run_counts"] == expected_totals(files)
    assert (tmp_path / "home" / "warehouse").is_dir()


def test_materializing_all_then_nothing_new_records_no_new_materialization(instance, tmp_path):
    logs = tmp_path / "logs"
    files = write_sample(logs, lines_per_file=50)
    first = materialize_outputs(instance, tmp_path, [logs])
    assert materialized(first) == set(OUTPUT_NAMES)
    assert parquet_totals(tmp_path / "home") == expected_totals(files)

    unchanged = materialize_outputs(instance, tmp_path, [logs])
    assert unchanged.success and materialized(unchanged) == set()
    assert run_summary_of(unchanged)["files_read"] == 0
    # Nor a new evaluation of their checks: only the directories' own.
    assert {e.check_name for e in unchanged.get_asset_check_evaluations()} == {EXIST_CHECK}

    with (logs / "app.log").open("a") as f:
        f.write(LINE)  # an INFO line: no error event
    appended = materialize_outputs(instance, tmp_path, [logs])
    assert materialized(appended) == {
        "severity_totals",
        "file_stats",
        "severity_history",
        "severity_timeseries",  # every level, per minute; the line is below events.min_level
    }


def test_materializations_carry_row_count_column_schema_and_the_runs_figures(instance, tmp_path):
    write_sample(tmp_path / "logs", lines_per_file=50)
    result = materialize_outputs(instance, tmp_path, [tmp_path / "logs"])
    warehouse = tmp_path / "home" / "warehouse"
    for event in result.get_asset_materialization_events():
        metadata = event.materialization.metadata
        path = metadata["path"].value
        # A dataset directory as an analyst reads it: hive partitions, `date` a string column.
        table = ds.dataset(path, format="parquet", partitioning="hive").to_table()
        columns = metadata["dagster/column_schema"].value.columns
        assert [(c.name, c.type) for c in columns] == [(f.name, str(f.type)) for f in table.schema]
        assert metadata["dagster/row_count"].value == table.num_rows
        assert metadata["files_read"].value == 4
        assert path.startswith(str(warehouse))
    totals = {
        e.asset_key.path[0]: e.materialization.metadata
        for e in result.get_asset_materialization_events()
    }["severity_totals"]
    assert totals["dagster/row_count"].value == 8


def test_a_run_records_what_its_discovery_saw_as_the_directories_data_version(instance, tmp_path):
    logs = tmp_path / "logs"
    write_sample(logs, lines_per_file=20)
    result = materialize_outputs(instance, tmp_path, [logs])
    seen = fingerprint(discover([str(logs)], 1).entries)
    assert last_run_fingerprint(instance) == seen
    assert instance.get_run_by_id(result.run_id).tags[COMMITTED_TAG] == "true"


def test_runs_carry_a_handful_of_tags_not_their_counts(instance, tmp_path):
    write_sample(tmp_path / "logs", lines_per_file=20)
    result = materialize_outputs(instance, tmp_path, [tmp_path / "logs"])
    tags = instance.get_run_by_id(result.run_id).tags
    ours = {t for t in tags if t.startswith("logingest/")}
    # The run queue's tag (a Materialize run gets it as it starts), which process runs it
    # (orphaned runs) and that it committed; the counts are metadata.
    assert ours == {JOB_TAG, HOST_TAG, PROCESS_TAG, COMMITTED_TAG}
    assert len(tags) <= 6


@pytest.mark.parametrize(
    ("existing", "passed", "severity"),
    [(2, True, None), (1, False, AssetCheckSeverity.WARN), (0, False, AssetCheckSeverity.ERROR)],
)
def test_missing_directories_fail_their_check_with_a_severity(
    instance, tmp_path, existing, passed, severity
):
    dirs = [tmp_path / "a", tmp_path / "b"]
    for directory in dirs[:existing]:
        directory.mkdir()
        (directory / "x.log").write_text(LINE)
    result = materialize_outputs(instance, tmp_path, dirs)
    [evaluation] = [e for e in result.get_asset_check_evaluations() if e.check_name == EXIST_CHECK]
    assert evaluation.asset_key == LOG_DIRECTORIES
    assert evaluation.passed is passed
    if severity is not None:
        assert evaluation.severity == severity
