"""The warehouse's invariants (`engine/warehouse_checks`) as asset checks.

Each check is a definition the UI can execute on demand (an asset's Checks tab, or the
`check_warehouse` job from the launchpad), and `publish_results` reports the same checks after
every run, so each materialization shows whether the files it wrote agree with each other.
"""

from __future__ import annotations

import os
from collections.abc import Collection

from dagster import (
    AssetCheckEvaluation,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetKey,
    AssetSelection,
    asset_check,
    define_asset_job,
)

from logingest_dagster.defs.directories import configured_directories_exist
from logingest_dagster.defs.resources import LogIngestResource
from logingest_dagster.engine.warehouse import CHECKS, Outcome, WarehouseCheck, run_check


def _definition(check: WarehouseCheck) -> AssetChecksDefinition:
    @asset_check(asset=check.asset, name=check.name, description=check.description)
    def warehouse_check(logingest: LogIngestResource) -> AssetCheckResult:
        return AssetCheckResult(**_reported(run_check(check, logingest.home)))

    return warehouse_check


ASSET_CHECKS = [_definition(check) for check in CHECKS] + [configured_directories_exist]

check_warehouse = define_asset_job(
    "check_warehouse",
    selection=AssetSelection.all_asset_checks(),
    description="Run every warehouse check on the Parquet files as they are now.",
)


def evaluations(
    home: str | os.PathLike[str], assets: Collection[str] | None = None
) -> list[AssetCheckEvaluation]:
    """Every check (of `assets` only, if given) on the files just published under `home`, as
    events a step can log."""
    return [
        AssetCheckEvaluation(
            asset_key=AssetKey(check.asset),
            check_name=check.name,
            **_reported(run_check(check, home)),
        )
        for check in CHECKS
        if check.after_each_run and (assets is None or check.asset in assets)
    ]


def _reported(outcome: Outcome) -> dict:
    """What a check result and a check evaluation both say of an outcome: every invariant
    broken is an error (it means a bug or a file changed by something else)."""
    return {
        "passed": outcome.passed,
        "severity": AssetCheckSeverity.ERROR,
        "description": outcome.description,
        "metadata": outcome.metadata,
    }
