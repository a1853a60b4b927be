"""The `logingest` command: run | scan | sample | state | reset | rebuild."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import signal
import sys
import time
from typing import Any

import click

from logingest_dagster import startup
from logingest_dagster.cli.dagster_home import set_dagster_home
from logingest_dagster.cli.executor import CHOICES as EXECUTOR_CHOICES
from logingest_dagster.cli.executor import IN_PROCESS, choose_executor
from logingest_dagster.engine.levels import LEVELS
from logingest_dagster.environment import CONFIG_ENV, HOME_ENV, RUN_CHILD_ENV
from logingest_dagster.settings import (
    Settings,
    SettingsError,
    check_directories,
    home_from_env,
    load_settings,
    refuse_stored_password,
    settings_from_env,
    validate,
)


class _Console:
    """A rich Console made on first use: importing rich is a quarter of
    `logingest scan`'s start-up, and `scan` prints plain JSON."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Any = None

    def __getattr__(self, name: str) -> Any:
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
        return getattr(self._console, name)


def Table(*columns: str, **options: Any) -> Any:  # noqa: N802 - rich's Table, imported late
    from rich.table import Table

    return Table(*columns, **options)


err = _Console(stderr=True)
out = _Console()


class _NoStatus:
    def update(self, _message: str) -> None:
        pass


def _status(message: str) -> Any:
    """rich's spinner on a terminal. Elsewhere (a script, a pipe) rich draws nothing of it: no
    need to import its live display and start its refresh thread."""
    if sys.stderr.isatty():
        return err.status(message)
    return contextlib.nullcontext(_NoStatus())


def _fail(message: str) -> None:
    """Bad settings or arguments: one clear line on stderr, exit 2, no traceback."""
    click.echo(f"logingest: error: {message}", err=True)
    sys.exit(2)


def _settings(config: str | None, log_dirs: tuple[str, ...], worker_count: int | None) -> Settings:
    settings = load_settings(config) if config else settings_from_env()
    changes = {}
    if log_dirs:
        changes["log_dirs"] = list(log_dirs)
    if worker_count is not None:
        changes["worker_count"] = worker_count
    return validate(dataclasses.replace(settings, **changes), "command line")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Incremental log ingestion with severity counts, as Dagster runs writing Parquet."""


@main.command()
@click.option("--config", type=click.Path(dir_okay=False), help="The seed's JSON settings file.")
@click.option(
    "--home", default=None, help=f"Holds warehouse/ and state/ (default ${HOME_ENV} or data/)."
)
@click.option(
    "--log-dir",
    "log_dirs",
    multiple=True,
    help="Directory to watch for .log files (repeatable); replaces walker.log_dirs.",
)
@click.option(
    "--worker-count",
    type=int,
    default=None,
    help="Concurrent ingestion steps (ingestion.worker_count); runs steps in processes.",
)
@click.option(
    "--executor",
    type=click.Choice(EXECUTOR_CHOICES),
    default="auto",
    show_default=True,
    help="Steps in this process, or one process per step (auto: in-process unless "
    "--worker-count is given).",
)
@click.option("--json", "as_json", is_flag=True, help="End with a one-line JSON summary.")
def run(config, home, log_dirs, worker_count, executor, as_json) -> None:
    """Run the `ingest_logs` job as a real Dagster run and print the totals."""
    home = home or home_from_env()
    try:
        settings = _settings(config, log_dirs, worker_count)
        warnings = check_directories(settings)
        refuse_stored_password(settings)
    except SettingsError as exc:
        _fail(str(exc))
    for warning in warnings:
        click.echo(f"logingest: warning: {warning}", err=True)
    if os.environ.get(RUN_CHILD_ENV) != "1":  # set: already the run's own process (tests)
        _continue_in_own_session()
    in_process = choose_executor(executor, worker_count) == IN_PROCESS
    set_dagster_home(home)  # before the forkserver starts: it and its steps inherit it
    if not in_process:
        from logingest_dagster.startup import forkserver

        # Preloads on the other core while Dagster is imported here.
        forkserver.start_early(job_module="logingest_dagster.cli.run")
    from logingest_dagster.cli.run import run_ingest  # Dagster loads only for commands that need it

    started = time.monotonic()
    with _status("starting run...") as status:

        def show(progress) -> None:
            total = "?" if progress.steps_total is None else progress.steps_total
            status.update(
                f"ingesting: {progress.steps_done}/{total} steps, {progress.files_done} files, "
                f"{progress.bytes_done / 1e6:.1f} MB"
            )

        def orphaned(run_ids: list[str]) -> None:
            err.print(
                f"marked {len(run_ids)} run(s) failed, left unfinished by a process that "
                f"died: {', '.join(run_ids)}"
            )

        try:
            run_id, status_, summary, progress = run_ingest(
                settings,
                home,
                settings.worker_count,
                on_progress=show,
                on_orphaned=orphaned,
                in_process=in_process,
                on_unlinked=lambda why: click.echo(
                    f"logingest: warning: the run is not linked to the code location's job, "
                    f"which does not load here: {why}",
                    err=True,
                ),
            )
        except KeyboardInterrupt:
            err.print("[yellow]interrupted[/yellow]")
            sys.exit(130)
        except SettingsError as exc:  # the code location's settings: its job is the one run
            _fail(f"{CONFIG_ENV}: {exc}")
        except Exception as exc:
            _fail_plainly(exc)
            raise
    seconds = time.monotonic() - started
    if summary is None or status_.value != "SUCCESS":  # a summary: it failed after its commit
        _report_failed_run(settings, home, run_id, status_.value, progress, as_json)
    _print_totals(summary["totals"], "all-time totals")
    err.print(
        f"run {run_id} {status_.value}: {summary['records_read']:,} records in "
        f"{summary['files_read']} files read, "
        f"{summary['files_unchanged']} unchanged, {summary['files_skipped']} skipped, "
        f"{summary['bytes_read'] / 1e6:.1f} MB in {seconds:.1f}s"
    )
    if as_json:
        keys = ("files_discovered", "files_read", "files_unchanged", "bytes_read", "totals")
        click.echo(
            json.dumps(
                {"run_id": run_id, "status": status_.value}
                | {k: summary[k] for k in keys}
                | {
                    "files_skipped": summary["files_skipped"],
                    "files_deferred": summary["files_deferred"],
                }
            )
        )
    _exit_now(0)


def _report_failed_run(settings, home, run_id, status: str, progress, as_json: bool) -> None:
    """A run that did not succeed: why (one line), what is stored now, and exit 1 (failed) or
    128 + the signal that canceled it."""
    from logingest_dagster.cli.run import committed_state

    totals, committed = committed_state(settings, home, run_id)
    if progress.failure:
        # The only line on stderr (issue 12 case 13): a failure after the commit says so
        # itself, and the tables and `--json` show whether anything was committed.
        click.echo(f"logingest: error: {progress.failure}", err=True)
    elif committed:  # failed after its commit: publishing, most likely
        err.print(f"run {run_id} ended {status} after committing its counts.")
    else:
        err.print(f"run {run_id} ended {status}; nothing committed.")
    if not committed:
        _print_totals(progress.counts, "counted before it stopped (not committed)")
    if totals is not None:
        _print_totals(totals, "all-time totals (committed)")
    if as_json:
        line = {"run_id": run_id, "status": status, "totals": totals}
        # What this run counted, under its own key: the committed figures if it got that far.
        line |= {"run_counts": progress.counts, "run_committed": committed}
        click.echo(json.dumps(line))
    # Canceled: 128 + the signal that canceled it, as a shell reports it (130 Ctrl+C, 143 TERM).
    _exit_now(1 if status != "CANCELED" else 128 + (progress.stopped_by or 2))


def _fail_plainly(exc: Exception) -> None:
    """A machine problem met in this process (a read-only home, a full disk): one line, exit 1."""
    from logingest_dagster.engine.problems import explain

    line = explain(exc)
    if line is not None:
        click.echo(f"logingest: error: {line}", err=True)
        _exit_now(1)


def _exit_now(code: int) -> None:
    """End the run's process without interpreter teardown.

    By now the offsets are committed, the Parquet files renamed into place and the run's events
    stored; what is left is unloading Dagster's modules and its atexit hooks, a real share of a
    small incremental run. The forkserver exits on its own
    when this process's end of its pipe closes.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--workers", type=int, default=None, help="Files scanned at once (default: all cores)."
)
def scan(paths, workers) -> None:
    """Count records per level with the engine alone (no Dagster, no state); prints JSON."""
    # The engine uses numpy but no BLAS; OpenBLAS would start a thread per core at import.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from logingest_dagster.engine.levels import add_counts, empty_counts
    from logingest_dagster.engine.scan import scan_paths

    startup.resume_collection()

    started = time.perf_counter()
    totals, files, lines, size, errors = empty_counts(), 0, 0, 0, []
    for result in scan_paths(list(paths), workers):
        files += 1
        if result.error:
            errors.append({"path": result.path, "error": result.error})
            continue
        add_counts(totals, result.counts)
        lines += result.lines
        size += result.bytes_read
    report = {
        "files": files,
        "lines": lines,
        "bytes": size,
        "seconds": round(time.perf_counter() - started, 4),
        "totals": totals,
    }
    if errors:
        report["skipped"] = errors
    click.echo(json.dumps(report))
    if sys.stdout is sys.__stdout__:  # the command itself, not a test runner capturing output
        _exit_now(0)  # unloading numpy and pyarrow at exit is a real share of a short scan


@main.command()
@click.option("--home", default=None, help=f"Writes <home>/sample/ (default ${HOME_ENV} or data/).")
def sample(home) -> None:
    """Write the bundled sample logs."""
    from pathlib import Path

    from logingest_dagster.cli.sample import write_sample

    target = Path(home or home_from_env()) / "sample"
    for path in write_sample(target):
        err.print(f"wrote {path}")


@main.command()
@click.option("--home", default=None)
@click.option("--config", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per tracked file.")
def state(home, config, as_json) -> None:
    """List tracked files with offset, size and unread bytes."""
    from logingest_dagster.engine.state import open_store

    settings = _settings_or_fail(config)
    with open_store(home or home_from_env(), settings.state_url) as store:
        rows = store.tracked()
    if as_json:
        for row in rows:
            click.echo(json.dumps(row))
        return
    table = Table("path", "offset", "size", "unread", "status", "format", title="tracked files")
    for row in rows:
        table.add_row(
            str(row["path"]),
            f"{row['offset']:,}",
            f"{row['size']:,}",
            f"{row['unread']:,}",
            str(row["status"]),
            row["format"] or "(detected each read)",
        )
    out.print(table)


@main.command()
@click.argument("paths", nargs=-1)
@click.option("--home", default=None)
@click.option("--config", type=click.Path(dir_okay=False))
def reset(paths, home, config) -> None:
    """Forget offsets (of PATHS, or of every file) so they are read again."""
    from logingest_dagster.engine.state import open_store

    settings = _settings_or_fail(config)
    with open_store(home or home_from_env(), settings.state_url) as store:
        forgotten = store.reset(list(paths) or None)
    err.print(f"forgot {forgotten} tracked files")


@main.command()
@click.option("--home", default=None)
@click.option("--config", type=click.Path(dir_okay=False))
def rebuild(home, config) -> None:
    """Rewrite the Parquet outputs from committed state."""
    from logingest_dagster.engine.state import open_store
    from logingest_dagster.engine.warehouse import publish

    home = home or home_from_env()
    settings = _settings_or_fail(config)
    with open_store(home, settings.state_url) as store:
        written = publish(home, store).paths
    for path in written.values():
        err.print(f"wrote {path}")


def _continue_in_own_session() -> None:
    """Go on with the run in a forked child of its own session. The parent stays behind only to
    forward Ctrl+C to that child, and exits with its status: only the child returns from here.

    A terminal's Ctrl+C signals the whole foreground process group: Dagster's forkserver and step
    processes would each be interrupted on their own, before the run could be marked canceled and
    before a step could report what it had counted. Here only the run's own process gets the
    signal, and it stops its steps the way the UI's Terminate does. A fork rather than a new
    interpreter: the child already has the parsed command line and settings (no second start-up).
    """
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        os.setsid()
        return

    def forward(signo, _frame) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signo)

    for signo in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signo, forward)
    _, status = os.waitpid(pid, 0)  # retried by Python when a forwarded signal interrupts it
    code = os.waitstatus_to_exitcode(status)
    sys.exit(code if code >= 0 else 128 - code)  # killed by signal N: 128 + N, as a shell says


def _settings_or_fail(config: str | None) -> Settings:
    try:
        return load_settings(config) if config else settings_from_env()
    except SettingsError as exc:
        _fail(str(exc))
        raise


def _print_totals(totals: dict, title: str) -> None:
    table = Table("level", "count", title=title)
    for level in LEVELS:
        table.add_row(level, f"{int(totals.get(level, 0)):,}")
    out.print(table)


if __name__ == "__main__":
    main()
