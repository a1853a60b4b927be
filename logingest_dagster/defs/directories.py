"""`log_directories`: the configured directories as an observable source asset, upstream of every
warehouse output, and the check that they exist.

Observing them is discovery's listing (stat only) hashed into a data version (`fingerprint`); a
run records the version its own discovery saw (`run_summary`), which the sensor compares with.
"""

from __future__ import annotations

import os
import warnings

from dagster import (
    AssetCheckEvaluation,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetKey,
    AssetSpec,
    BetaWarning,
    DataVersion,
    ObserveResult,
    asset_check,
    multi_observable_source_asset,
)

from logingest_dagster.defs.outputs import GROUP
from logingest_dagster.defs.resources import LogIngestResource
from logingest_dagster.engine.discover import discover, fingerprint

LOG_DIRECTORIES = AssetKey("log_directories")
EXIST_CHECK = "configured_directories_exist"


def _observe(logingest: LogIngestResource) -> ObserveResult:
    settings = logingest.settings()
    found = discover(settings.log_dirs, settings.max_discovery_workers)
    return ObserveResult(
        asset_key=LOG_DIRECTORIES,
        data_version=DataVersion(fingerprint(found.entries)),
        metadata={"files": len(found.entries), "problems": len(found.problems)},
    )


# The only observable source asset that is not a deprecated SourceAsset underneath (which warns
# on every load) is beta in Dagster 1.13; its beta warning would greet every `dagster dev`.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", BetaWarning)
    log_directories = multi_observable_source_asset(
        name="observe_log_directories",
        specs=[
            AssetSpec(
                LOG_DIRECTORIES,
                group_name=GROUP,
                description="The configured log directories (walker.log_dirs): their `.log` "
                "files, stat-ed only; the data version moves with any append, rewrite, rotation, "
                "new or deleted file.",
            )
        ],
    )(_observe)


def _outcome(log_dirs: list[str]) -> dict:
    """Passed when every configured directory exists; a WARN when some do not, an ERROR when
    none does (the run then reads nothing, which would otherwise look like a quiet day)."""
    missing = [d for d in log_dirs if not os.path.isdir(d)]
    if not missing:
        description = f"all {len(log_dirs)} configured directories exist"
    else:
        description = f"{len(missing)} of {len(log_dirs)} configured directories do not exist: "
        description += ", ".join(missing)
    none_exists = len(missing) == len(log_dirs)
    return {
        "passed": not missing,
        "severity": AssetCheckSeverity.ERROR if none_exists else AssetCheckSeverity.WARN,
        "description": description,
        "metadata": {"configured": len(log_dirs), "missing": len(missing)},
    }


@asset_check(asset=LOG_DIRECTORIES, name=EXIST_CHECK, description=_outcome.__doc__)
def configured_directories_exist(logingest: LogIngestResource) -> AssetCheckResult:
    return AssetCheckResult(**_outcome(logingest.settings().log_dirs))


def directories_evaluation(log_dirs: list[str]) -> AssetCheckEvaluation:
    """The same check as an event a run's discovery step logs."""
    return AssetCheckEvaluation(
        asset_key=LOG_DIRECTORIES, check_name=EXIST_CHECK, **_outcome(log_dirs)
    )
