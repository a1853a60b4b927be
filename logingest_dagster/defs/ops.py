"""The ingestion job's steps: discover -> ingest (mapped, one step per file or packed group) -> publish.

Ingestion steps are pure functions of (file, start offset): they read and count, and never touch the
offset store. Only `discover_log_files` reads the store and only `publish_results` writes it, in one
transaction with the counts, which is what makes a run safe to kill at any moment.
"""

import os
import re
import time
from dataclasses import dataclass, field

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
from logingest_dagster.engine.discover.listing import discover
from logingest_dagster.engine.levels import LEVELS, add_counts, empty_counts
from logingest_dagster.engine.plan.packing import pack_balanced
from logingest_dagster.engine.plan.planner import plan_reads
from logingest_dagster.engine.plan.read_plan import ReadTask
from logingest_dagster.engine.scan.result import ScanResult
from logingest_dagster.engine.state.store import open_store

# The scanner (numpy, pyarrow) and the Parquet writer are imported inside the ops that use them:
# the process that launches a run loads this module to build the job, and never scans. Step
# processes find them already loaded by the forkserver's preload.

RUN_TAG_PREFIX = "logingest/"


@dataclass
class RunPlan:
    """What discovery decided, handed to the publish step alongside the ingestion results."""

    files_discovered: int
    files_unchanged: int
    files_deferred: int
    forgotten: list = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


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
    found = discover(settings.log_dirs, settings.max_discovery_workers)
    for problem in found.problems:
        context.log.warning(problem)
    with open_store(logingest.home, settings.state_url) as store:
        plan = plan_reads(
            store,
            found.entries,
            now=time.time(),
            partial_line_grace_seconds=settings.partial_line_grace_seconds,
            rotate_wait_seconds=settings.rotate_wait_seconds,
            max_files=settings.discovered_files_channel_size,
        )
    for note in plan.notes:
        context.log.warning(note)
    tasks = plan.tasks
    if len(tasks) <= settings.fan_out_limit:
        groups = [[task] for task in tasks]
    else:
        groups = pack_balanced(tasks, _group_count(context), weight=lambda t: t.planned_bytes)
    context.log.info(
        f"{len(found.entries)} files discovered: {len(tasks)} to read in {len(groups)} steps, "
        f"{plan.files_unchanged} unchanged, {plan.files_deferred} deferred to the next run"
    )
    yield Output(
        RunPlan(
            files_discovered=len(found.entries),
            files_unchanged=plan.files_unchanged,
            files_deferred=plan.files_deferred,
            forgotten=list(plan.forgotten),
            problems=list(found.problems),
        ),
        output_name="plan",
        metadata={"files_discovered": len(found.entries), "files_to_read": len(tasks)},
    )
    for index, group in enumerate(groups):
        yield DynamicOutput(group, output_name="tasks", mapping_key=_mapping_key(index, group))


@op(tags={"kind": "ingestion"})
def ingest_log_files(
    context: OpExecutionContext, logingest: LogIngestResource, tasks: list
) -> list:
    """Read each task's byte range and count its records, on every core. Never writes state."""
    from logingest_dagster.engine.scan.batch import BatchScan, ScanRequest

    by_range = {(t.path, t.start): t for t in tasks}
    requests = [
        ScanRequest(
            t.path, t.start, t.stop, final=t.final, compressed=t.compressed, format=t.format
        )
        for t in tasks
    ]
    done: list[tuple[ReadTask, ScanResult]] = []
    batch = BatchScan(requests, options_for=logingest.scan_options_for)
    try:
        for result in batch:
            if result.error:
                context.log.warning(f"skipped {result.path}: {result.error}")
            done.append((by_range[(result.path, result.start)], result))
    except BaseException:
        # Terminated (DagsterExecutionInterruptedError): the running scans stop within a chunk;
        # report what was counted, commit nothing; the next run reads it all again, once.
        batch.cancel()
        batch.close()
        partial = _sum_counts([r for _, r in done] + batch.stopped)
        context.log.warning(
            f"interrupted: counted {sum(partial.values())} records so far in this step "
            f"({_fmt_counts(partial)}); nothing is committed, the next run reads them again"
        )
        raise
    counts = _sum_counts([r for _, r in done])
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
    from logingest_dagster.defs.checks import evaluations
    from logingest_dagster.defs.published import appended_metadata
    from logingest_dagster.engine.warehouse.writers import publish

    completed = [pair for group in results for pair in group]
    read = [(task, result) for task, result in completed if not result.error]
    skipped = [result for _, result in completed if result.error]
    settings = logingest.settings()
    with open_store(logingest.home, settings.state_url) as store:
        commit = store.commit(context.run_id, read, plan.forgotten)
        published = publish(logingest.home, store, settings.retention_days)
    totals = published.totals
    summary = {
        "files_discovered": plan.files_discovered,
        # What this run read and committed; results dropped by the compare-and-set (another run
        # got there first) are read again next run and counted there, once.
        "files_read": commit.files,
        "files_unchanged": plan.files_unchanged,
        "files_deferred": plan.files_deferred,
        "files_skipped": len(skipped),
        "files_conflicted": commit.conflicts + commit.incomplete,
        "bytes_read": commit.bytes,
        "records_read": sum(commit.counts.values()),
        "run_counts": dict(commit.counts),
        "totals": dict(totals),
        "directory_problems": len(plan.problems),
    }
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
        **appended_metadata(published.appended),
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
    context.log.info(f"committed {summary['files_read']} files; totals {_fmt_counts(totals)}")
    yield Output(summary, metadata={k: v for k, v in summary.items() if isinstance(v, int)})


def _group_count(context: OpExecutionContext) -> int:
    """How many packed groups: one per step that can run at once, and no more than the cores.

    The bound is the run's `execution.config.multiprocess.max_concurrent` (the seed's
    worker_count). Each group's step already scans on every core with threads, so steps beyond
    the core count would only add process start-up (measured: 5 groups on 2 cores run slower
    than 2).
    """
    from logingest_dagster.engine.scan.batch import default_workers

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


def _sum_counts(results: list[ScanResult]) -> dict[str, int]:
    total = empty_counts()
    for result in results:
        add_counts(total, result.counts)
    return total


def _fmt_counts(counts) -> str:
    return ", ".join(f"{level} {counts.get(level, 0)}" for level in LEVELS if counts.get(level, 0))
