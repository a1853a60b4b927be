"""The ingestion job's steps: discover -> ingest (mapped, one step per file or packed group) -> publish.

Each op is a Dagster wrapper around one step body of `engine.pipeline` (which says what each step
may touch and why): here are only what Dagster adds, the outputs, metadata, logs and events.
"""

import os
import re

from dagster import (
    AssetKey,
    AssetMaterialization,
    DynamicOut,
    DynamicOutput,
    MetadataValue,
    OpExecutionContext,
    Out,
    Output,
    op,
)

from logingest_dagster.defs.orphaned_runs import PROCESS_TAG, run_worker_tags
from logingest_dagster.defs.resources import LogIngestResource
from logingest_dagster.engine import pipeline
from logingest_dagster.engine.levels import LEVELS
from logingest_dagster.engine.pipeline import RunPlan
from logingest_dagster.engine.plan import ReadTask, pack_balanced
from logingest_dagster.engine.state import open_store

RUN_TAG_PREFIX = "logingest/"


@op(
    out={
        "tasks": DynamicOut(list, description="Read tasks: one file, or a byte-balanced group."),
        "plan": Out(RunPlan),
    },
    tags={"kind": "discovery"},
)
def discover_log_files(context: OpExecutionContext, logingest: LogIngestResource):
    """Scan the configured directories, compare with the offset store and plan what to read."""
    if PROCESS_TAG not in context.run.tags:  # a CLI run is tagged from its start
        # So that a sensor or schedule tick can end this run if its run worker dies.
        context.instance.add_run_tags(context.run_id, run_worker_tags())
    settings = logingest.settings()
    with open_store(logingest.home, settings.state_url) as store:
        found = pipeline.discover(settings, store)
    for warning in found.warnings:
        context.log.warning(warning)
    tasks, plan = found.tasks, found.plan
    if len(tasks) <= settings.fan_out_limit:
        groups = [[task] for task in tasks]
    else:
        groups = pack_balanced(tasks, _group_count(context), weight=lambda t: t.planned_bytes)
    context.log.info(
        f"{plan.files_discovered} files discovered: {len(tasks)} to read in {len(groups)} "
        f"steps, {plan.files_unchanged} unchanged, {plan.files_deferred} deferred to the next run"
    )
    yield Output(
        plan,
        output_name="plan",
        metadata={"files_discovered": plan.files_discovered, "files_to_read": len(tasks)},
    )
    for index, group in enumerate(groups):
        yield DynamicOutput(group, output_name="tasks", mapping_key=_mapping_key(index, group))


@op(tags={"kind": "ingestion"})
def ingest_log_files(
    context: OpExecutionContext, logingest: LogIngestResource, tasks: list
) -> list:
    """Read each task's byte range and count its records, on every core. Never writes state."""

    def skipped(_index: int, _task: ReadTask, result) -> None:
        if result.error:
            context.log.warning(f"skipped {result.path}: {result.error}")

    def interrupted(partial: dict[str, int]) -> None:
        context.log.warning(
            f"interrupted: counted {sum(partial.values())} records so far in this step "
            f"({_fmt_counts(partial)}); nothing is committed, the next run reads them again"
        )

    done = pipeline.ingest(
        tasks, logingest.scan_options_for, on_result=skipped, on_interrupted=interrupted
    )
    counts = pipeline.sum_counts([r for _, r in done])
    context.add_output_metadata(
        {
            "files": len(done),
            "bytes_read": sum(r.bytes_read for _, r in done),
            "skipped": sum(1 for _, r in done if r.error),
            **{level.lower(): counts[level] for level in LEVELS},
        }
    )
    return done


@op(tags={"kind": "aggregation"})
def publish_results(
    context: OpExecutionContext, logingest: LogIngestResource, plan: RunPlan, results: list
) -> dict:
    """Commit offsets with the counts they produced, then derive the Parquet outputs from state."""
    from logingest_dagster.defs.alert_checks import alert_after_run
    from logingest_dagster.defs.checks import evaluations

    settings = logingest.settings()
    read = [pair for group in results for pair in group]
    with open_store(logingest.home, settings.state_url) as store:
        committed = pipeline.commit(store, context.run_id, plan, read)
        published = pipeline.publish(store, logingest.home)
        # After the commit: the alerts' webhook can delay the run (to its deadline), never a count.
        problems = plan.problems + [f"skipped {r.path}: {r.error}" for _, r in read if r.error]
        alerts = alert_after_run(context, store, settings, problems)
    commit, totals = committed.commit, published.totals
    summary = committed.figures | {"totals": dict(totals)}
    if commit.already_committed:
        context.log.info("this run had already committed; outputs rebuilt from state")
    if summary["files_conflicted"]:
        context.log.warning(
            f"{summary['files_conflicted']} results dropped: their files changed since planning "
            "(another run committed them); they are read again next run"
        )
    context.instance.add_run_tags(
        context.run_id,
        {
            RUN_TAG_PREFIX + key: str(summary[key])
            for key in (
                "files_discovered",
                "files_read",
                "files_unchanged",
                "files_skipped",
                "files_deferred",
                "files_conflicted",
                "bytes_read",
                "directory_problems",
            )
        },
    )
    this_run = {
        "severity_totals": {level.lower(): int(totals.get(level, 0)) for level in LEVELS}
        | {"records_this_run": summary["records_read"]},
        "file_stats": {
            "files_read_this_run": summary["files_read"],
            "bytes_read_this_run": summary["bytes_read"],
            "files_skipped": summary["files_skipped"],
        },
        "severity_history": {},
        "error_events": {
            "events_this_run": commit.events,
            "events_not_kept_this_run": commit.events_dropped,
        },
    }
    for name, path in published.paths.items():
        metadata = {"path": MetadataValue.path(str(path)), "row_count": published.rows[name]}
        yield AssetMaterialization(asset_key=AssetKey(name), metadata=metadata | this_run[name])
    for evaluation in evaluations(logingest.home):
        context.log_event(evaluation)
        if not evaluation.passed:
            context.log.error(
                f"check {evaluation.check_name} of {evaluation.asset_key.path[0]} "
                f"failed: {evaluation.description}"
            )
    for evaluation in alerts:
        context.log_event(evaluation)
    context.log.info(f"committed {summary['files_read']} files; totals {_fmt_counts(totals)}")
    yield Output(summary, metadata={k: v for k, v in summary.items() if isinstance(v, int)})


def _group_count(context: OpExecutionContext) -> int:
    """How many packed groups: one per step that can run at once, and no more than the cores.

    The bound is the run's `execution.config.multiprocess.max_concurrent` (the seed's
    worker_count). Each group's step already scans on every core with threads, so steps beyond
    the core count would only add process start-up (measured: 5 groups on 2 cores run slower
    than 2).
    """
    from logingest_dagster.engine.scan import default_workers

    cores = default_workers()
    execution = (context.run_config or {}).get("execution") or {}
    multiprocess = (execution.get("config") or {}).get("multiprocess")
    if multiprocess is None:  # in-process execution: one group, scanned on all cores
        return 1 if "in_process" in (execution.get("config") or {}) else cores
    return max(1, min(int(multiprocess.get("max_concurrent") or cores), cores))


def _mapping_key(index: int, group: list[ReadTask]) -> str:
    if len(group) == 1:
        name = re.sub(r"[^A-Za-z0-9_]", "_", os.path.basename(group[0].path))[:60]
        return f"f{index}_{name}"
    return f"group_{index}"


def _fmt_counts(counts) -> str:
    return ", ".join(f"{level} {counts.get(level, 0)}" for level in LEVELS if counts.get(level, 0))
