"""The `ingest_logs` job itself: in process, and under the multiprocess executor."""

from __future__ import annotations

import os
import socket

import pyarrow.parquet as pq
from dagster import DagsterEventType, execute_job, instance_for_test, reconstructable

from logingest_dagster.cli.run import build_ingest_job_default, run_config_for
from logingest_dagster.cli.sample import write_sample
from logingest_dagster.defs.jobs import build_ingest_job
from logingest_dagster.defs.orphaned_runs import HOST_TAG, PROCESS_TAG, process_tags
from logingest_dagster.defs.resources import LogIngestResource, resource_from_settings
from logingest_dagster.settings import Settings
from tests.helpers import (
    expected_totals,
    op_of,
    parquet_totals,
    published_events,
    read_history,
    restart_forkserver,
    run_summary_of,
    timeseries_sums,
)


def test_in_process_run_counts_every_record_and_writes_both_outputs(tmp_path):
    files = write_sample(tmp_path / "logs", lines_per_file=200)
    settings = Settings(log_dirs=[str(tmp_path / "logs")])
    job = build_ingest_job(1, resource=resource_from_settings(settings, str(tmp_path / "home")))
    result = job.execute_in_process()
    assert result.success
    summary = run_summary_of(result)
    assert summary["files_read"] == len(files)
    assert summary["totals"] == expected_totals(files)
    assert parquet_totals(tmp_path / "home") == expected_totals(files)
    stats = pq.read_table(tmp_path / "home" / "warehouse" / "file_stats.parquet").to_pylist()
    assert sorted(row["path"] for row in stats) == sorted(str(p.resolve()) for p in files)
    materialized = {
        e.asset_key.path[0] for e in result.get_asset_materialization_events() if e.asset_key
    }
    assert materialized == {
        "severity_totals",
        "file_stats",
        "severity_history",
        "events",
        "severity_timeseries",
        "templates",
    }
    warehouse = tmp_path / "home" / "warehouse"
    events = published_events(tmp_path / "home")
    totals = summary["totals"]
    assert len(events) == totals["WARN"] + totals["ERROR"] + totals["FATAL"] > 0
    # Every sample format writes its time in its lines.
    assert set(events["time_source"].to_pylist()) == {"logged"}
    assert timeseries_sums(tmp_path / "home") == totals
    [history] = read_history(warehouse / "severity_history").to_pylist()
    assert (history["run_id"], history["kind"], history["files"]) == (result.run_id, "run", 4)


def test_second_run_reads_nothing_new(tmp_path):
    write_sample(tmp_path / "logs", lines_per_file=50)
    resource = resource_from_settings(
        Settings(log_dirs=[str(tmp_path / "logs")]), str(tmp_path / "h")
    )
    job = build_ingest_job(1, resource=resource)
    first = run_summary_of(job.execute_in_process())
    second = run_summary_of(job.execute_in_process())
    assert first["files_read"] == 4 and first["bytes_read"] > 0
    assert (second["files_read"], second["files_unchanged"], second["bytes_read"]) == (0, 4, 0)
    assert second["totals"] == first["totals"]


def _ingest_steps(result) -> set[str]:
    return {
        e.step_key
        for e in result.all_events
        if e.event_type == DagsterEventType.STEP_SUCCESS and op_of(e.step_key) == "ingest_log_files"
    }


def test_small_files_beyond_the_fan_out_limit_share_one_step(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    for i in range(12):
        (logs / f"f{i}.log").write_text("2026-11-26 12:00:00,000 INFO x\n" * (i + 1))
    settings = Settings(log_dirs=[str(logs)], fan_out_limit=4)
    job = build_ingest_job(2, resource=resource_from_settings(settings, str(tmp_path / "h")))
    result = job.execute_in_process()
    # A few KB in all is worth less than one step's cost: one step, whatever max_concurrent is.
    assert len(_ingest_steps(result)) == 1
    assert run_summary_of(result)["totals"]["INFO"] == sum(range(1, 13))


def test_fan_out_limit_set_by_the_user_gives_each_file_a_step(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    for i in range(5):
        (logs / f"f{i}.log").write_text("2026-11-26 12:00:00,000 INFO x\n" * (i + 1))
    settings = Settings(log_dirs=[str(logs)], fan_out_limit=5)
    job = build_ingest_job(1, resource=resource_from_settings(settings, str(tmp_path / "h")))
    result = job.execute_in_process()
    assert len(_ingest_steps(result)) == 5
    assert run_summary_of(result)["totals"]["INFO"] == sum(range(1, 6))


def test_multiprocess_run_honours_max_concurrent_from_run_config(tmp_path):
    logs = tmp_path / "logs"
    files = write_sample(logs, lines_per_file=100)
    # One step per file (the user's fan_out_limit), so that steps can run at once.
    settings = Settings(log_dirs=[str(logs)], fan_out_limit=len(files))
    home = str(tmp_path / "home")
    (tmp_path / "dagster_home").mkdir()
    with instance_for_test(temp_dir=str(tmp_path / "dagster_home")) as instance:
        with execute_job(
            reconstructable(build_ingest_job_default),
            instance=instance,
            run_config=run_config_for(settings, home, worker_count=2),
        ) as result:
            assert result.success
            assert run_summary_of(result)["totals"] == expected_totals(files)
        events = instance.all_logs(result.run_id)
    running, peak = 0, 0
    for record in sorted(events, key=lambda r: r.timestamp):
        event = record.dagster_event
        if event is None or op_of(event.step_key or "") != "ingest_log_files":
            continue
        if event.event_type == DagsterEventType.STEP_START:
            running += 1
            peak = max(peak, running)
        elif event.event_type in (DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE):
            running -= 1
    assert 1 <= peak <= 2
    assert (
        len(
            [
                e
                for e in events
                if e.dagster_event and e.dagster_event.event_type == DagsterEventType.STEP_START
            ]
        )
        == len(files) + 2
    )


def test_a_run_is_tagged_with_its_run_worker_not_a_step_process(tmp_path):
    # execute_job orchestrates in this process, as the run worker does in a launched run; the
    # first step, a child process, names this process, so a dead run worker can be detected.
    write_sample(tmp_path / "logs", lines_per_file=20)
    settings = Settings(log_dirs=[str(tmp_path / "logs")])
    (tmp_path / "dagster_home").mkdir()
    with instance_for_test(temp_dir=str(tmp_path / "dagster_home")) as instance:
        with execute_job(
            reconstructable(build_ingest_job_default),
            instance=instance,
            run_config=run_config_for(settings, str(tmp_path / "home"), worker_count=1),
        ) as result:
            assert result.success
            steps = {
                e.pid for e in result.all_events if e.event_type == DagsterEventType.STEP_START
            }
        tags = instance.get_run_by_id(result.run_id).tags
    assert os.getpid() not in steps  # the steps ran in other processes
    assert tags[PROCESS_TAG] == process_tags()[PROCESS_TAG]
    assert tags[PROCESS_TAG].startswith(f"{os.getpid()}:")
    assert tags[HOST_TAG] == socket.gethostname()


def test_launchpad_default_config_carries_worker_count():
    job = build_ingest_job(7, resource=LogIngestResource(home="/h", log_dirs=["/x"]))
    multiprocess = job.run_config["execution"]["config"]["multiprocess"]
    assert multiprocess["max_concurrent"] == 7
    assert "forkserver" in multiprocess["start_method"]


def test_cli_progress_is_read_from_the_runs_own_events(tmp_path, monkeypatch):
    from logingest_dagster.cli.run import run_ingest

    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    restart_forkserver()
    files = write_sample(tmp_path / "logs", lines_per_file=60)
    settings = Settings(log_dirs=[str(tmp_path / "logs")], fan_out_limit=len(files))
    _, status, summary, progress = run_ingest(settings, str(tmp_path / "home"), worker_count=2)
    assert status.value == "SUCCESS"
    assert (progress.steps_total, progress.steps_done, progress.files_done) == (4, 4, 4)
    assert progress.counts == summary["run_counts"] == expected_totals(files)


def test_an_execution_block_with_only_max_concurrent_keeps_the_forkserver_preload():
    from dagster._core.system_config.objects import ResolvedRunConfig

    from logingest_dagster.definitions import defs
    from logingest_dagster.startup.forkserver import preload_modules

    job = defs.resolve_job_def("ingest_logs")
    launchpad = {"execution": {"config": {"multiprocess": {"max_concurrent": 1}}}}
    resolved = ResolvedRunConfig.build(job, launchpad).execution.execution_engine_config
    assert resolved["multiprocess"]["max_concurrent"] == 1
    assert resolved["multiprocess"]["start_method"] == {
        "forkserver": {"preload_modules": preload_modules("logingest_dagster.definitions")}
    }
    # No execution block at all: the same default.
    bare = ResolvedRunConfig.build(job, {}).execution.execution_engine_config
    assert bare["multiprocess"]["start_method"] == resolved["multiprocess"]["start_method"]
