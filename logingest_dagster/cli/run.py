"""`logingest run`: the ingestion job as a real Dagster run, recorded in an instance.

The run uses the same job and executor as the UI, so it shows in the run list later. Progress comes
from the run's own event log, polled from a side thread while the job executes here.
"""

from __future__ import annotations

import fcntl
import json
import logging
import re
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from dagster import (
    DagsterEventType,
    DagsterInstance,
    DagsterRunStatus,
    reconstructable,
)
from dagster._core.execution.api import execute_run  # private: pinned Dagster version

from logingest_dagster import startup
from logingest_dagster.cli.code_location_job import code_location_job, code_location_origin
from logingest_dagster.cli.dagster_home import set_dagster_home
from logingest_dagster.cli.executor import in_process_execution
from logingest_dagster.cli.thread_interrupt import interrupt_thread
from logingest_dagster.defs.jobs import build_ingest_job, execution_config
from logingest_dagster.defs.orphaned_runs import fail_orphaned_runs, process_tags
from logingest_dagster.defs.resources import LogIngestResource, resource_from_settings
from logingest_dagster.defs.run_summary import run_summary
from logingest_dagster.engine.levels import LEVELS, add_counts, empty_counts
from logingest_dagster.environment import STATE_URL_ENV
from logingest_dagster.settings import Settings, state_url_is_from_env
from logingest_dagster.startup import alembic_cache, sqlite_sync, storage_engines

# The instance settings a new instance starts from: the project's dagster.yaml.
PROJECT_INSTANCE_YAML = Path(__file__).resolve().parents[2] / "dagster.yaml"
# Step keys of the graph-backed assets: `<graph>.<op>`, mapped steps with `[key]` after.
DISCOVER_OP = "discover_log_files"
INGEST_OP = "ingest_log_files"
CANCEL_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@dataclass
class Progress:
    """What the run has done so far, read from its event log."""

    steps_total: int | None = None
    steps_done: int = 0
    files_done: int = 0
    bytes_done: int = 0
    counts: dict[str, int] = field(default_factory=empty_counts)
    cursor: str | None = None  # event log position read so far
    stopped_by: int | None = None  # the signal (SIGINT, SIGTERM) that canceled the run, if one did
    failure: str | None = None  # a failed run: why, in one line


def instance_yaml(dagster_home: str) -> str:
    """The project's dagster.yaml for an instance in `dagster_home`: its event log's directory
    written out, where the project's file names it through `env: DAGSTER_HOME`, so any process
    (a script's `DagsterInstance.from_config`, a benchmark) opens this instance's event log
    whatever its own environment says."""
    text = PROJECT_INSTANCE_YAML.read_text()
    return re.sub(
        r"base_dir:\s*\n\s*env: DAGSTER_HOME", f"base_dir: {json.dumps(dagster_home)}", text
    )


def ensure_instance(home: str) -> DagsterInstance:
    """DAGSTER_HOME if set, else `<home>/dagster_home` with the project's dagster.yaml."""
    dagster_home = set_dagster_home(home)
    Path(dagster_home).mkdir(parents=True, exist_ok=True)
    alembic_cache.install()
    sqlite_sync.install(dagster_home)
    storage_engines.install(dagster_home)
    # Dagster's SQLite storage is not safe to create from two processes at once (both stamp the
    # schema version: "more than one head present"), which two `logingest run`s on a new home
    # would do. One at a time creates or opens it; later runs find it ready.
    with open(Path(dagster_home) / ".logingest-instance.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        target = Path(dagster_home) / "dagster.yaml"
        if not target.exists() and PROJECT_INSTANCE_YAML.exists():
            target.write_text(instance_yaml(dagster_home))
        return DagsterInstance.get()


def run_config_for(
    settings: Settings, home: str, worker_count: int, in_process: bool = False
) -> dict:
    """The run's config: the settings as the resource's, and the executor (step processes, at
    most `worker_count` at once, unless `in_process`)."""
    resource = resource_from_settings(settings, home).model_dump(exclude_none=True)
    if state_url_is_from_env(settings):  # the variable's name, never its value (a password)
        resource["state_url"] = {"env": STATE_URL_ENV}
    return {
        "resources": {"logingest": {"config": resource}},
        "execution": in_process_execution()
        if in_process
        else execution_config(worker_count, job_module=__name__),
        # The terminal shows progress and the totals; Dagster's own events stay in the instance
        # (and the UI), and only the ops' warnings (skipped files, missing directories) and
        # errors reach stderr, a line each (`defs/terminal_logger.py`).
        "loggers": {"terminal": {"config": {"log_level": "WARNING"}}},
    }


def run_ingest(
    settings: Settings,
    home: str,
    worker_count: int,
    on_progress: Callable[[Progress], None] | None = None,
    on_orphaned: Callable[[list[str]], None] | None = None,
    in_process: bool = False,
    on_unlinked: Callable[[str], None] | None = None,
) -> tuple[str, DagsterRunStatus, dict | None, Progress]:
    """Execute `ingest_logs`; returns (run_id, status, publish summary or None, progress).

    Ctrl+C (SIGINT) or SIGTERM (`kill`, systemd, a container stopping) cancels the run the way the
    UI's Terminate does: the run is marked CANCELING, the executor stops its step processes (each
    reports what it had counted), and the run ends CANCELED with nothing committed. A second
    signal stops waiting at once.

    First, runs left unfinished by a process of this host that died are marked failed
    (`orphaned_runs`); `on_orphaned` gets their ids. If the code location does not load here,
    the run has a job of its own, not linked to the code location's, and `on_unlinked` gets why.
    """
    # Engine events the executor logs in this process (step workers starting) are debug detail here.
    logging.getLogger("dagster").setLevel(logging.WARNING)
    linked = code_location_job()  # a bad LOGINGEST_CONFIG raises here, before there is a run
    if isinstance(linked, str) and on_unlinked:
        on_unlinked(linked)
    instance = ensure_instance(home)
    startup.resume_collection()  # paused by the command line while Dagster loaded
    orphaned = fail_orphaned_runs(instance)
    if orphaned and on_orphaned:
        on_orphaned(orphaned)
    progress = Progress()
    outcome: dict = {}
    job = reconstructable(build_ingest_job_default)
    definition = job.get_definition()
    run_id = instance.create_run_for_job(
        definition,
        run_config=run_config_for(settings, home, worker_count, in_process),
        tags={**definition.run_tags, **process_tags()},
        job_code_origin=job.get_python_origin(),
        remote_job_origin=None if isinstance(linked, str) else code_location_origin(),
    ).run_id

    def execute() -> None:
        try:
            run = instance.get_run_by_id(run_id)
            if run.status == DagsterRunStatus.CANCELED:  # by a signal before it started
                outcome["summary"], outcome["status"] = None, run.status
                return
            # Not entered as a context: that would start the run's resources again, only to read
            # outputs that the run's summary event already holds.
            result = execute_run(job, run, instance)
            # Present whenever the run committed, even if it was cancelled afterwards.
            outcome["summary"] = run_summary(instance, run_id)
            outcome["status"] = result.dagster_run.status
        except BaseException as exc:  # surfaced in the main thread below
            outcome["error"] = exc

    # The job runs off the main thread so that this thread, not Dagster's handler, receives the
    # signals and can record a cancel request before the executor stops (else the run ends
    # FAILURE; SIGTERM's default action left it STARTED until the next run noticed).
    worker = threading.Thread(target=execute, name="logingest-run", daemon=True)
    interrupts = {"count": 0, "handled": 0}

    def on_interrupt(signo, _frame) -> None:
        # Only flags here: the handler runs between any two bytecodes of this thread, maybe
        # inside the instance's storage code, and calling that again from here could deadlock
        # on its lock (a CLI that hung after Ctrl+C, once). The loop below does the work.
        interrupts["count"] += 1
        progress.stopped_by = progress.stopped_by or signo
        if interrupts["count"] > 1:
            raise KeyboardInterrupt

    def cancel(run_id: str) -> None:
        """Record the cancel request, then stop the executor: in that order, else the run ends
        FAILURE rather than CANCELED."""
        run = instance.get_run_by_id(run_id)
        how = "Ctrl+C" if progress.stopped_by == signal.SIGINT else "SIGTERM"
        if run.status == DagsterRunStatus.NOT_STARTED:  # nothing to stop yet
            instance.report_run_canceled(run, message=f"Canceled with {how} before it started.")
            return
        if not run.is_finished:
            instance.report_run_canceling(run, message=f"Canceled with {how} in `logingest run`.")
        if in_process:  # the steps run on the worker thread, which no signal reaches
            interrupt_thread(worker)
        else:
            request_executor_interrupt()

    previous = {signo: signal.signal(signo, on_interrupt) for signo in CANCEL_SIGNALS}
    worker.start()
    try:
        while worker.is_alive():
            if interrupts["count"] > interrupts["handled"]:
                interrupts["handled"] = interrupts["count"]
                cancel(run_id)
            worker.join(0.25)
            if _poll(instance, run_id, progress) and on_progress:
                on_progress(progress)
    finally:
        for signo, handler in previous.items():
            signal.signal(signo, handler)
    if "error" in outcome:
        raise outcome["error"]
    _poll(instance, run_id, progress)
    if outcome["status"] == DagsterRunStatus.FAILURE:
        progress.failure = failure_line(instance, run_id)
    return run_id, outcome["status"], outcome["summary"], progress


def failure_line(instance: DagsterInstance, run_id: str) -> str | None:
    """Why the run failed, one line: a step's `Failure` description (a machine problem, said
    plainly by `defs/plain_failures.py`), else the innermost error's first line."""
    for record in instance.all_logs(run_id, of_type=DagsterEventType.STEP_FAILURE):
        event = record.dagster_event
        data = event.step_failure_data
        if data.user_failure_data is not None and data.user_failure_data.description:
            return f"{event.step_key}: {data.user_failure_data.description}"
        error = data.error
        while error is not None and error.cause is not None:
            error = error.cause
        if error is not None:
            message = error.message.strip().splitlines()[0] if error.message.strip() else ""
            return f"{event.step_key}: {message} (the traceback is in the run's event log)"
    return None


def committed_state(settings: Settings, home: str, run_id: str) -> tuple[dict | None, bool]:
    """(all-time totals from the store, whether run `run_id` committed): what a failed run
    leaves stored. (None, False) if the store cannot be read (the failure has said why)."""
    from logingest_dagster.engine.state import open_store

    try:
        with open_store(home, settings.state_url) as store:
            return store.totals(), store.has_committed(run_id)
    except Exception:
        return None, False


def request_executor_interrupt() -> None:
    """Tell the multiprocess executor to stop its steps, as its own SIGINT handler would.

    Dagster only installs that handler when the job runs on the main thread; this sets the flag
    it would have set (`dagster._utils.interrupts`, private: pinned Dagster version).
    """
    from dagster._utils import interrupts

    interrupts._received_interrupt["received"] = True


def build_ingest_job_default():
    """Module-level, so `reconstructable` can rebuild the job in each step process: the code
    location's `ingest_logs` (`code_location_job`), run with the command line's settings in run
    config; a job of its own if the code location does not load."""
    job = code_location_job()
    if isinstance(job, str):
        return build_ingest_job(worker_count=None, resource=LogIngestResource.configure_at_launch())
    return job


def _poll(instance: DagsterInstance, run_id: str | None, progress: Progress) -> bool:
    """Fold the run's step outputs since the last poll into `progress`; True if any arrived."""
    if run_id is None:
        return False
    page = instance.get_records_for_run(
        run_id, cursor=progress.cursor, of_type=DagsterEventType.STEP_OUTPUT
    )
    progress.cursor = page.cursor
    for record in page.records:
        event = record.event_log_entry.dagster_event
        data = event.step_output_data
        op_name = event.step_key.partition("[")[0].rpartition(".")[2]
        if op_name == DISCOVER_OP and data.output_name == "tasks":
            progress.steps_total = (progress.steps_total or 0) + 1
        elif op_name == INGEST_OP:
            meta = {k: v.value for k, v in data.metadata.items()}
            progress.steps_done += 1
            progress.files_done += int(meta.get("files", 0))
            progress.bytes_done += int(meta.get("bytes_read", 0))
            add_counts(progress.counts, {lv: int(meta.get(lv.lower(), 0)) for lv in LEVELS})
    return bool(page.records)
