"""The ingestion job's steps: discover -> ingest (mapped, one step per file or packed group) -> publish.

Each op is a Dagster wrapper around one step body of `engine.pipeline` (which says what each step
may touch and why): here are only what Dagster adds, the outputs, metadata, logs and events.
"""

import os
import re

from dagster import (
    AssetExecutionContext,
    AssetKey,
    DynamicOut,
    DynamicOutput,
    In,
    MetadataValue,
    Nothing,
    OpExecutionContext,
    Out,
    Output,
    op,
)

from logingest_dagster.defs.directories import directories_evaluation
from logingest_dagster.defs.job_tag import JOB_NAME, JOB_TAG
from logingest_dagster.defs.orphaned_runs import PROCESS_TAG, run_worker_tags
from logingest_dagster.defs.outputs import OUTPUTS
from logingest_dagster.defs.plain_failures import plainly
from logingest_dagster.defs.resources import LogIngestResource
from logingest_dagster.defs.run_summary import COMMITTED_TAG, run_observation
from logingest_dagster.defs.table_schema import parquet_table_schema
from logingest_dagster.engine import pipeline
from logingest_dagster.engine.levels import LEVELS
from logingest_dagster.engine.pipeline import RunPlan
from logingest_dagster.engine.plan import ReadTask, plan_steps
from logingest_dagster.engine.state import open_store


@op(
    # Nothing flows in: the input places the log directories upstream of the outputs (lineage).
    ins={"log_directories": In(Nothing)},
    out={
        "tasks": DynamicOut(list, description="Read tasks: one file, or a byte-balanced group."),
        "plan": Out(RunPlan),
    },
    tags={"kind": "discovery"},
)
def discover_log_files(context: OpExecutionContext, logingest: LogIngestResource):
    """Scan the configured directories, compare with the offset store and plan what to read."""
    added = {} if JOB_TAG in context.run.tags else {JOB_TAG: JOB_NAME}  # a Materialize run
    if PROCESS_TAG not in context.run.tags:  # a CLI run is tagged from its start
        # So that a sensor or schedule tick can end this run if its run worker dies.
        added |= run_worker_tags()
    if added:
        context.instance.add_run_tags(context.run_id, added)
    settings = logingest.settings()
    with plainly(), open_store(logingest.home, settings.state_url) as store:
        found = pipeline.discover(settings, store, home=logingest.home)
    for warning in found.warnings:
        context.log.warning(warning)
    context.log_event(directories_evaluation(settings.log_dirs))
    tasks, plan = found.tasks, found.plan
    groups = plan_steps(
        tasks,
        slots=_group_count(context),
        weight=lambda t: t.planned_bytes,
        one_step_per_file_up_to=settings.fan_out_limit,
    )
    context.log.info(
        f"{plan.files_discovered} files discovered: {len(tasks)} to read in {len(groups)} "
        f"steps, {plan.files_unchanged} unchanged, {plan.files_deferred} deferred to the next run"
    )
    yield Output(plan, output_name="plan")
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


@op(
    out={
        output.name: Out(Nothing, is_required=False, description=output.description)
        for output in OUTPUTS
    },
    tags={"kind": "aggregation"},
)
def publish_results(
    context: OpExecutionContext, logingest: LogIngestResource, plan: RunPlan, results: list
):
    """Commit offsets with the counts they produced, then derive the Parquet outputs from state.

    Materializes each selected output this run changed (or never materialized before), with its
    row count, column schema and the run's figures; the figures and totals also go, once, on an
    observation of the log directories whose data version is what discovery saw (`run_summary`).
    """
    from logingest_dagster.defs.alert_checks import alert_after_run, committed_alert_counts
    from logingest_dagster.defs.checks import evaluations
    from logingest_dagster.defs.published import appended_metadata, published_changes

    settings = logingest.settings()
    with plainly(), open_store(logingest.home, settings.state_url) as store:
        read = [p for g in results for p in g]
        committed = pipeline.commit(store, context.run_id, plan, read, settings.mine_templates)
        summary = committed.figures | {"totals": store.totals()}
        # Recorded the moment the commit returns, before publishing: a run cancelled from here
        # on says it committed (its tag, and the summary `logingest run` prints).
        context.instance.add_run_tags(context.run_id, {COMMITTED_TAG: "true"})
        context.log_event(run_observation(plan.fingerprint, summary))
        # Before publishing, which hands the run's pending minute counts over to the warehouse.
        alert_counts = committed_alert_counts(context, store, logingest.home)
        selected = [o for o in OUTPUTS if o.name in context.selected_output_names]
        never = _never_materialized(context, selected)
        published = (
            None  # nothing new to write: no output changes, none is recorded or checked
            if not never
            and pipeline.is_published(store, logingest.home, committed, settings.retention_days)
            else pipeline.publish(store, logingest.home, settings.retention_days)
        )
        # After the commit: the alerts' webhook can delay the run (to its deadline), never a count.
        problems = plan.problems + [f"skipped {r.path}: {r.error}" for _, r in read if r.error]
        alerts = alert_after_run(context, store, settings, problems, alert_counts)
    commit, totals = committed.commit, summary["totals"]
    if commit.already_committed:
        context.log.info("this run had already committed; outputs rebuilt from state")
    if summary["files_conflicted"]:
        context.log.warning(
            f"{summary['files_conflicted']} results dropped: their files changed since planning "
            "(another run committed them); they are read again next run"
        )
    # The figures are metadata; tags only flag, filterably, a run whose input had problems.
    problems = {k: str(summary[k]) for k in PROBLEM_FIGURES if summary[k]}
    if problems:
        context.instance.add_run_tags(
            context.run_id, {f"logingest/{k}": v for k, v in problems.items()}
        )
    # The run's headline figures; all of them are on the run's one observation (run_summary):
    # repeated on every materialization they would be stored N times.
    figures = {k: summary[k] for k in MATERIALIZATION_FIGURES}
    appended = appended_metadata(published.appended) if published else {}
    changes = summary | published_changes(published.appended) if published else summary
    recorded = []
    for output in selected if published else []:
        if not output.changed(changes) and output.name not in never:
            continue
        path = published.paths[output.name]
        metadata = {
            "path": MetadataValue.path(str(path)),
            "dagster/row_count": published.rows[output.name],
            "dagster/column_schema": parquet_table_schema(path),
        } | appended.get(output.name, {})
        # On the materialization only: an Output's own metadata is stored on its step-output
        # event as well, which would double the largest events of a run.
        AssetExecutionContext(context).add_asset_metadata(metadata | figures, asset_key=output.name)
        yield Output(None, output_name=output.name)
        recorded.append(output.name)
    # Checked with each materialization; an output not recorded again keeps its last evaluation
    # (and the check_warehouse job checks every file on demand).
    for evaluation in evaluations(logingest.home, recorded):
        context.log_event(evaluation)
        if not evaluation.passed:
            context.log.error(
                f"check {evaluation.check_name} of {evaluation.asset_key.path[0]} "
                f"failed: {evaluation.description}"
            )
    # Like the warehouse checks: reported with a severity_timeseries materialization, else kept
    # as last evaluated, unless this run found an alert or a problem.
    for evaluation in alerts:
        if evaluation.asset_key.path[0] in recorded or not evaluation.passed:
            context.log_event(evaluation)
    context.log.info(f"committed {summary['files_read']} files; totals {_fmt_counts(totals)}")


PROBLEM_FIGURES = ("files_skipped", "directory_problems")
MATERIALIZATION_FIGURES = ("files_read", "records_read", "bytes_read")


def _never_materialized(context: OpExecutionContext, outputs: list) -> set[str]:
    """The names of `outputs` never materialized before (one query; the answer may leave such
    an asset out or map it to None)."""
    latest = context.instance.get_latest_materialization_events([AssetKey(o.name) for o in outputs])
    return {o.name for o in outputs if latest.get(AssetKey(o.name)) is None}


def _group_count(context: OpExecutionContext) -> int:
    """How many packed groups: one per step that can run at once, and no more than the cores.

    The bound is the run's `execution.config.multiprocess.max_concurrent` (the seed's
    worker_count). Each group's step already scans on every core with threads, so steps beyond
    the core count would only add process start-up.
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
