"""`log_dirs_changed`: a run of `ingest_logs` whenever the configured directories change.

Each tick lists the `.log` files with the job's own discovery (stat only, no file is opened) and
hashes every file's path, size, mtime, device and inode. The cursor keeps that hash and a count of
changes, not the listing, so it stays under 100 bytes however many files there are. A state the
last committed run already saw (its observation of `log_directories`) requests nothing either,
so turning the sensor on with nothing changed since the last run starts no run.
"""

import os
from dataclasses import dataclass, field

from dagster import (
    DefaultSensorStatus,
    JobDefinition,
    RunRequest,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)
from dagster._core.definitions.unresolved_asset_job_definition import (  # the asset job's type
    UnresolvedAssetJobDefinition,
)

from logingest_dagster.defs.jobs import default_run_config
from logingest_dagster.defs.resources import LogIngestResource
from logingest_dagster.defs.run_summary import last_run_fingerprint
from logingest_dagster.defs.runs_in_flight import (
    RUNNING,
    WAITING,
    describe,
    end_orphaned_runs,
    run_in_flight,
)
from logingest_dagster.engine.discover import discover, fingerprint
from logingest_dagster.environment import SENSOR_INTERVAL_ENV as INTERVAL_ENV
from logingest_dagster.settings import SettingsError

SENSOR_NAME = "log_dirs_changed"
DEFAULT_INTERVAL_SECONDS = 30


@dataclass(frozen=True)
class DirFingerprint:
    digest: str  # sha256 hex of every .log file's stat
    files: int
    problems: list[str] = field(default_factory=list)


def fingerprint_dirs(
    log_dirs: list[str], max_workers: int, symlinks: str = "inside"
) -> DirFingerprint:
    """A hash of what discovery sees: any append, rewrite, rotation, new or deleted file moves it."""
    found = discover(log_dirs, max_workers, symlinks)
    return DirFingerprint(fingerprint(found.entries), len(found.entries), list(found.problems))


def sensor_interval_from_env() -> int:
    """`LOGINGEST_SENSOR_INTERVAL_SECONDS`, or 30: the least time between two ticks."""
    raw = os.environ.get(INTERVAL_ENV, "").strip()
    if not raw:
        return DEFAULT_INTERVAL_SECONDS
    if not raw.isdigit() or int(raw) < 1:
        raise SettingsError(f"{INTERVAL_ENV} must be a whole number of seconds >= 1, got {raw!r}")
    return int(raw)


def build_log_dirs_sensor(
    job: JobDefinition | UnresolvedAssetJobDefinition,
    minimum_interval_seconds: int = DEFAULT_INTERVAL_SECONDS,
) -> SensorDefinition:
    """The sensor on `job`; its runs use the job's default run config, as the launchpad does."""

    @sensor(
        name=SENSOR_NAME,
        # By name: given the job itself, Definitions copies the sensor to bind the job's
        # resources, and Dagster 1.13's copy warns that `owners` (never set here) is beta.
        job_name=job.name,
        minimum_interval_seconds=minimum_interval_seconds,
        # Off until someone turns it on in the UI: a new deployment should not start ingesting
        # (and writing the warehouse) before its directories are checked.
        default_status=DefaultSensorStatus.STOPPED,
        description="Runs ingest_logs when a .log file in the configured directories changes.",
    )
    def log_dirs_changed(context: SensorEvaluationContext, logingest: LogIngestResource):
        end_orphaned_runs(context.instance, context.log)
        # Checked before the cursor moves: the change stays pending and a later tick requests it,
        # once, instead of a queue of runs that would each find the work already done.
        busy = run_in_flight(context.instance, WAITING + RUNNING)
        if busy is not None:
            return SkipReason(f"{describe(busy)}; changes are looked for once it ends")
        settings = logingest.settings()
        current = fingerprint_dirs(
            settings.log_dirs, settings.max_discovery_workers, settings.symlinks
        )
        for problem in current.problems:
            context.log.warning(problem)
        changes, previous = _parse_cursor(context.cursor)
        if current.digest in (previous, last_run_fingerprint(context.instance)):
            seen = f"{current.files} .log files in {len(settings.log_dirs)} directories"
            problems = "".join(f"; {p}" for p in current.problems)
            return SensorResult(
                skip_reason=f"no change since the last run request or run: {seen}{problems}",
                cursor=f"{changes}:{current.digest}",
            )
        changes += 1
        return SensorResult(
            # The change count keeps the key unique when a state comes back (a directory
            # unmounted and mounted again): Dagster never launches a run key twice.
            run_requests=[
                RunRequest(
                    run_key=f"{changes}-{current.digest[:16]}", run_config=default_run_config(job)
                )
            ],
            cursor=f"{changes}:{current.digest}",
        )

    return log_dirs_changed


def _parse_cursor(cursor: str | None) -> tuple[int, str | None]:
    """(changes so far, digest); a cursor set by hand that does not parse counts as none."""
    changes, _, digest = (cursor or "").partition(":")
    return (int(changes), digest) if changes.isdigit() and digest else (0, None)
