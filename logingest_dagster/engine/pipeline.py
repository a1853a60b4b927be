"""The three step bodies of every run: discover -> ingest (per task group) -> commit and publish.

The Dagster ops (`defs/ops.py`) wrap these functions and nothing else decides what a run does; the
lifecycle tests drive the same functions without Dagster, so the exactly-once tests run the code a
real run runs. Only `discover` reads the offset store and only `commit` writes it, in one
transaction with the counts: ingestion is a pure function of (file, start offset), which is what
makes a run safe to kill at any moment.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from logingest_dagster.engine.discover import discover as list_log_files
from logingest_dagster.engine.discover import fingerprint
from logingest_dagster.engine.levels import add_counts, empty_counts
from logingest_dagster.engine.plan import Forget, ReadTask, plan_reads
from logingest_dagster.engine.state import CommitSummary, OffsetStore
from logingest_dagster.settings import Settings

# The scanner (numpy, pyarrow) and the Parquet writer are imported inside the functions that use
# them: the process that launches a run loads this module to build the job, and never scans.
if TYPE_CHECKING:
    from logingest_dagster.engine.scan import ScanOptions, ScanResult
    from logingest_dagster.engine.warehouse import Published

ReadResult = tuple[ReadTask, "ScanResult"]


@dataclass
class RunPlan:
    """What discovery decided, handed to the commit alongside the ingestion results."""

    files_discovered: int
    files_unchanged: int
    files_deferred: int
    forgotten: list[Forget] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    fingerprint: str = ""  # of the listing this plan was made from (`discover.fingerprint`)


@dataclass
class Discovered:
    plan: RunPlan
    tasks: list[ReadTask]
    warnings: list[str]  # unreadable directories and files, planner notes: for the run's log


def discover(
    settings: Settings,
    store: OffsetStore,
    now: float | None = None,
    home: str | os.PathLike[str] | None = None,
) -> Discovered:
    """List the configured directories (stat only) and plan what to read against the store; a
    new store beside `home`'s existing warehouse is warned of (every file is read again)."""
    from logingest_dagster.engine.warehouse.lost_state import lost_store_warning

    lost = lost_store_warning(home, store) if home is not None else None
    found = list_log_files(settings.log_dirs, settings.max_discovery_workers, settings.symlinks)
    plan = plan_reads(
        store,
        found.entries,
        now=time.time() if now is None else now,
        partial_line_grace_seconds=settings.partial_line_grace_seconds,
        rotate_wait_seconds=settings.rotate_wait_seconds,
        max_files=settings.discovered_files_channel_size,
    )
    run_plan = RunPlan(
        files_discovered=len(found.entries),
        files_unchanged=plan.files_unchanged,
        files_deferred=plan.files_deferred,
        forgotten=list(plan.forgotten),
        problems=list(found.problems),
        fingerprint=fingerprint(found.entries),
    )
    warnings = ([lost] if lost else []) + list(found.problems) + list(plan.notes)
    return Discovered(run_plan, list(plan.tasks), warnings)


def ingest(
    tasks: Sequence[ReadTask],
    options_for: Callable[[str], ScanOptions | None],
    *,
    on_result: Callable[[int, ReadTask, ScanResult], None] | None = None,
    on_interrupted: Callable[[dict[str, int]], None] | None = None,
) -> list[ReadResult]:
    """Read each task's byte range and count its records, on every core. Never writes state.

    `on_result(index, task, result)` hears each result as it completes (a skipped file has
    `result.error`). Interrupted (a terminated run raises a BaseException into the step), the
    running scans stop within a chunk, `on_interrupted` gets what was counted so far, and the
    exception goes on: nothing is committed, the next run reads it all again, once.
    """
    from logingest_dagster.engine.scan import BatchScan, ScanRequest

    index_of = {(t.path, t.start): i for i, t in enumerate(tasks)}
    requests = [
        ScanRequest(
            t.path, t.start, t.stop, final=t.final, compressed=t.compressed, format_key=t.format_key
        )
        for t in tasks
    ]
    done: list[ReadResult] = []
    batch = BatchScan(requests, options_for=options_for)
    try:
        for result in batch:
            index = index_of[(result.path, result.start)]
            done.append((tasks[index], result))
            if on_result is not None:
                on_result(index, tasks[index], result)
    except BaseException:
        batch.cancel()
        batch.close()
        if on_interrupted is not None:
            on_interrupted(sum_counts([r for _, r in done] + batch.stopped))
        raise
    return done


@dataclass
class Committed:
    """What `commit` did: the store's summary, and the run's figures as the run reports them."""

    commit: CommitSummary
    figures: dict  # files_*, bytes_read, records_read, run_counts, directory_problems


def commit(
    store: OffsetStore,
    run_id: str,
    plan: RunPlan,
    results: Sequence[ReadResult],
    mine_templates: bool = True,
) -> Committed:
    """Commit the offsets with the counts they produced, in one transaction (idempotent per run);
    with `mine_templates`, the run's events get their message templates in that transaction."""
    read = [(task, result) for task, result in results if not result.error]
    skipped = sum(1 for _, result in results if result.error)
    summary = store.commit(run_id, read, plan.forgotten, mine_templates)
    figures = {
        "files_discovered": plan.files_discovered,
        # What this run read and committed; results dropped by the compare-and-set (another run
        # got there first) are read again next run and counted there, once.
        "files_read": summary.files,
        "files_unchanged": plan.files_unchanged,
        "files_deferred": plan.files_deferred,
        "files_skipped": skipped,
        "files_conflicted": summary.conflicts + summary.incomplete,
        "bytes_read": summary.bytes,
        "records_read": sum(summary.counts.values()),
        "run_counts": dict(summary.counts),
        "directory_problems": len(plan.problems),
        "files_forgotten": summary.forgotten,
        "events_stored": summary.events,
        "events_not_kept": summary.events_dropped,
    }
    return Committed(summary, figures)


def publish(store: OffsetStore, home: str | os.PathLike[str], retention_days: int) -> Published:
    """Derive the Parquet outputs from committed state (each file written atomically): the
    summaries rewritten, the growing datasets appended, days older than `retention_days` gone."""
    from logingest_dagster.engine.problems import PublishFailed, explain
    from logingest_dagster.engine.warehouse import publish as write_warehouse
    from logingest_dagster.engine.warehouse.current import mark_current

    try:
        published = write_warehouse(home, store, retention_days)
        mark_current(home, retention_days)
        return published
    except Exception as exc:
        # The commit is already visible: saying "nothing committed" would be false. Its events
        # stay pending in the store and the summaries derive from state, so the next publish
        # writes all of it.
        raise PublishFailed(
            f"counts and offsets were committed, but the warehouse could not be written "
            f"({explain(exc) or repr(exc)}); the next successful run rewrites the Parquet outputs"
        ) from exc


def is_published(
    store: OffsetStore, home: str | os.PathLike[str], committed: Committed, retention_days: int
) -> bool:
    """Whether `committed` changed nothing and the warehouse already holds every other commit:
    then publishing would write nothing new (`warehouse/current.py`)."""
    from logingest_dagster.engine.warehouse.current import is_current

    commit, figures = committed.commit, committed.figures
    if commit.already_committed or commit.files or commit.forgotten or commit.events:
        return False
    if figures["records_read"]:
        return False
    return is_current(home, store, commit.run_id, retention_days)


def sum_counts(results: Sequence[ScanResult]) -> dict[str, int]:
    total = empty_counts()
    for result in results:
        add_counts(total, result.counts)
    return total
