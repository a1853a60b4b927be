"""Test helper: the whole pipeline without Dagster, in-process or as a process to SIGKILL.

discover -> ingest -> commit -> publish through `engine.pipeline`, the step bodies the Dagster ops
run, so the lifecycle, model and kill tests exercise the production code. A `KillSwitch` stops the
run at a named point: in-process it raises `Killed` (a rolled-back transaction is what a kill
leaves behind), and in a subprocess (`python lifecycle_driver.py ... --kill-at POINT`) it sends
itself SIGKILL, so nothing gets to clean up.

Kill points: discovering (after the first directory), planned, scanning:K (in the middle of the
K-th task), scanned:K (after it), commit:N (after the N-th SQL statement of the commit, inside its
transaction), before-commit (all written, COMMIT not sent), committed, published.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # when run as a script

from logingest_dagster.engine import pipeline  # noqa: E402
from logingest_dagster.engine.discover import listing as discovery  # noqa: E402
from logingest_dagster.engine.levels import LEVELS as ALL_LEVELS  # noqa: E402
from logingest_dagster.engine.pipeline import RunPlan  # noqa: E402
from logingest_dagster.engine.plan import ReadTask  # noqa: E402
from logingest_dagster.engine.scan import ScanOptions, ScanResult  # noqa: E402
from logingest_dagster.engine.state import CommitSummary, open_store  # noqa: E402
from logingest_dagster.settings import Settings  # noqa: E402

# Small chunks, so a mid-scan kill lands between chunks of even a modest file; every event, and
# the minute counts.
SCAN_OPTIONS = ScanOptions(chunk_size=4096, max_events=100_000, minute_counts=True)


def settings_for(
    log_dirs: list,
    grace: float,
    rotate_wait: float | None = None,
    max_files: int | None = None,
    symlinks: str = "inside",
) -> Settings:
    """The settings these runs use: `rotate_wait` defaults to the grace period."""
    return Settings(
        symlinks=symlinks,
        log_dirs=[str(d) for d in log_dirs],
        max_discovery_workers=4,
        partial_line_grace_seconds=grace,
        rotate_wait_seconds=grace if rotate_wait is None else rotate_wait,
        discovered_files_channel_size=max_files or 1 << 40,  # None: no bound
    )


def ingest(tasks: list[ReadTask], on_result=None) -> list[tuple[ReadTask, ScanResult]]:
    """The ingestion step these runs perform (small chunks, every error event)."""
    return pipeline.ingest(tasks, lambda _path: SCAN_OPTIONS, on_result=on_result)


class Killed(Exception):
    """An in-process stand-in for SIGKILL."""


class KillSwitch:
    def __init__(self, at: str | None = None, *, sigkill: bool = False) -> None:
        self.at, self.sigkill = at, sigkill
        self._statements = 0
        self._in_commit = False

    def point(self, name: str) -> None:
        if name == self.at:
            self.die()

    def die(self) -> None:
        if self.sigkill:
            os.kill(os.getpid(), signal.SIGKILL)
            time.sleep(10)  # SIGKILL is asynchronous; never run past the kill point
        raise Killed(self.at)

    def watch_discovery(self) -> Callable[[], None]:
        """Kill once the first directory is listed; returns what undoes the patch."""
        original = discovery.list_dir
        if self.at != "discovering":
            return lambda: None

        def list_then_die(directory: str, *args, **kwargs):
            result = original(directory, *args, **kwargs)
            self.die()
            return result

        discovery.list_dir = list_then_die  # type: ignore[assignment]

        def restore() -> None:
            discovery.list_dir = original  # type: ignore[assignment]

        return restore

    def watch_commit(self, engine: sa.Engine) -> None:
        if not self.at or not self.at.startswith(("commit:", "before-commit")):
            return

        @sa.event.listens_for(engine, "after_cursor_execute")
        def count(conn, cursor, statement, parameters, context, executemany):
            if self._in_commit:
                self._statements += 1
                self.point(f"commit:{self._statements}")

        @sa.event.listens_for(engine, "commit")
        def before_commit(conn):
            if self._in_commit:
                self.point("before-commit")

    def on_result(self, index: int, _task: ReadTask, _result: ScanResult) -> None:
        """Called as task `index` (from 1) completes: dying there, or in the middle of its scan,
        loses the same thing, since a scan never writes state."""
        self.point(f"scanning:{index}")
        self.point(f"scanned:{index}")


class LogWriter:
    """Appends numbered log lines and remembers what a correct ingestion must count, once each."""

    LEVELS = ("INFO", "ERROR", "WARN", "DEBUG", "INFO", "FATAL", "TRACE", "INFO", "NOTICE")

    def __init__(self) -> None:
        self.written = 0
        self.expected: dict[str, int] = {}

    def line(self) -> bytes:
        level = self.LEVELS[self.written % len(self.LEVELS)]
        self.written += 1
        self.expected[level] = self.expected.get(level, 0) + 1
        stamp = f"2024-01-01 12:{self.written // 60000 % 60:02d}:{self.written // 1000 % 60:02d}"
        return (
            f"{stamp},{self.written % 1000:03d} {level} app.worker: event {self.written}\n".encode()
        )

    def append(self, path: str | os.PathLike[str], n: int = 1) -> None:
        with open(path, "ab") as f:
            f.write(b"".join(self.line() for _ in range(n)))

    def append_partial(self, path: str | os.PathLike[str]) -> bytes:
        """Write a line without its newline (counted now: it must be counted once, eventually)."""
        line = self.line()
        with open(path, "ab") as f:
            f.write(line[:-1])
        return line

    def totals(self) -> dict[str, int]:
        return {level: self.expected.get(level, 0) for level in ALL_LEVELS}


def store_totals(home: str | os.PathLike[str]) -> dict[str, int]:
    with open_store(home) as store:
        return store.totals()


@dataclass
class Outcome:
    plan: RunPlan
    tasks: list[ReadTask]
    summary: CommitSummary
    results: list[tuple[ReadTask, ScanResult]]


def run_pipeline(
    home: str | os.PathLike[str],
    log_dirs: list[str],
    *,
    run_id: str | None = None,
    now: float | None = None,
    grace: float = 60.0,
    rotate_wait: float | None = None,  # default: the grace period
    max_files: int | None = None,
    kill: KillSwitch | None = None,
    write_parquet: bool = False,
    symlinks: str = "inside",
) -> Outcome:
    kill = kill or KillSwitch()
    settings = settings_for(log_dirs, grace, rotate_wait, max_files, symlinks)
    with open_store(home) as store:
        restore = kill.watch_discovery()
        try:
            found = pipeline.discover(settings, store, now=now)
        finally:
            restore()
        kill.point("planned")
        results = ingest(found.tasks, on_result=lambda i, t, r: kill.on_result(i + 1, t, r))
        kill.watch_commit(store.engine)
        kill._in_commit = True
        committed = pipeline.commit(store, run_id or uuid.uuid4().hex, found.plan, results)
        kill._in_commit = False
        kill.point("committed")
        if write_parquet:
            pipeline.publish(store, home, retention_days=0)  # its 2024 lines: keep them all
        kill.point("published")
    return Outcome(found.plan, found.tasks, committed.commit, results)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--home", required=True)
    parser.add_argument("--log-dir", action="append", required=True)
    parser.add_argument("--kill-at")
    parser.add_argument("--grace", type=float, default=60.0)
    args = parser.parse_args()
    print("started", flush=True)
    outcome = run_pipeline(
        args.home,
        args.log_dir,
        grace=args.grace,
        kill=KillSwitch(args.kill_at, sigkill=True),
        write_parquet=True,
    )
    print(json.dumps({"files": outcome.summary.files, "lines": outcome.summary.lines}), flush=True)


if __name__ == "__main__":
    main()
