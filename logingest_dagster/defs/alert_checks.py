"""Alert rules as asset checks on `severity_timeseries` (WARN: the graph shows them, nothing stops).

`publish_results` reports each rule's check after every run, on the minutes that run committed,
with the offending minutes, services and example lines as metadata; it is also where the webhook
is called (`engine.alerts.notify`), once the run's counts are committed. Run on demand (the
asset's Checks tab, or `check_warehouse`), a rule's check judges the dataset's newest day of
minutes, sending nothing.
"""

from __future__ import annotations

import time
from pathlib import Path

from dagster import (
    AssetCheckEvaluation,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetKey,
    MetadataValue,
    OpExecutionContext,
    asset_check,
)

from logingest_dagster.defs.resources import LogIngestResource
from logingest_dagster.engine.alerts import (
    RUN_PROBLEMS,
    AlertReport,
    AlertSettings,
    MinuteCounts,
    RuleOutcome,
    alert_after_commit,
    committed_minute_counts,
    evaluate,
    webhook_url_from_env,
)
from logingest_dagster.engine.discover import discover
from logingest_dagster.engine.state import OffsetStore, open_store
from logingest_dagster.settings import Settings

ASSET = "severity_timeseries"
SHOWN = 20  # offending minutes listed in a check's metadata


def check_name(rule: str) -> str:
    return f"alert_{rule}"


def committed_alert_counts(
    context: OpExecutionContext, store: OffsetStore, home: str
) -> MinuteCounts | None:
    """The run's committed minute counts, read before it publishes; None (logged) on an error:
    alerting never fails the run."""
    try:
        return committed_minute_counts(store, Path(home) / "warehouse", context.run_id)
    except Exception as exc:
        context.log.warning(f"alerts not evaluated: {type(exc).__name__}: {exc}")
        return None


def alert_after_run(
    context: OpExecutionContext,
    store: OffsetStore,
    settings: Settings,
    problems: list[str],
    counts: MinuteCounts | None,
) -> list[AssetCheckEvaluation]:
    """Evaluate and send this run's alerts; its check evaluations, for the step to log.

    Alerting never fails the run: its counts are committed by now, and an alert that could not
    be evaluated is a warning in the run's log, not a reason to retry the run."""
    if counts is None:
        return []
    try:
        report = alert_after_commit(
            store, context.run_id, settings.alert_settings(), problems, counts,
            webhook_url=webhook_url_from_env(),
        )  # fmt: skip
    except Exception as exc:
        context.log.warning(f"alerts not evaluated: {type(exc).__name__}: {exc}")
        return []
    for body in report.sent:
        context.log.info(f"alert sent: {body['text']}")
    for body in report.failed:
        context.log.warning(
            f"alert not delivered (a later run retries it): {body['rule']} {body['path']}"
        )
    return [
        AssetCheckEvaluation(asset_key=AssetKey(ASSET), check_name=name, **fields)
        for name, fields in _reported(report)
    ]


def _reported(report: AlertReport) -> list[tuple[str, dict]]:
    checks = [(check_name(o.rule.name), _rule_result(o, report.problems)) for o in report.outcomes]
    checks.append((check_name(RUN_PROBLEMS), _problems_result(report.problems)))
    return checks


def _rule_result(outcome: RuleOutcome, problems: list[str]) -> dict:
    findings = outcome.findings
    minutes = [
        f"{time.strftime('%Y-%m-%d %H:%M', time.gmtime(f.window_start * 60))} {f.service} "
        f"{f.condition} {f.count} (threshold {f.threshold:g}) {f.path}"
        for f in findings
    ]
    examples = [line for f in findings for line in f.examples][:10]
    description = (
        f"{len(findings)} minute(s) broke rule {outcome.rule.name} in "
        f"{len({f.path for f in findings})} file(s)"
        if findings
        else f"no minute broke rule {outcome.rule.name}"
    )
    if outcome.note:
        description += f"; {outcome.note}"
    if problems:
        description += f"; the run had problems: {'; '.join(problems)}"
    return {
        "passed": not findings,
        "severity": AssetCheckSeverity.WARN,
        "description": description,
        "metadata": {
            "offending_minutes": len(findings),
            "minutes": MetadataValue.json(minutes[:SHOWN]),
            "services": MetadataValue.json(sorted({f.service for f in findings})),
            "examples": MetadataValue.json(examples),
            "run_problems": MetadataValue.json(problems),
        },
    }


def _problems_result(problems: list[str]) -> dict:
    return {
        "passed": not problems,
        "severity": AssetCheckSeverity.WARN,
        "description": "; ".join(problems)
        if problems
        else "every directory listed, no file skipped",
        "metadata": {"run_problems": MetadataValue.json(problems)},
    }


def build_alert_checks(settings: AlertSettings) -> list[AssetChecksDefinition]:
    """A check per rule of the code location's settings, and one for run problems."""
    checks = [_rule_check(settings, i) for i in range(len(settings.rules))]

    @asset_check(
        asset=ASSET,
        name=check_name(RUN_PROBLEMS),
        description="A configured directory missing or unreadable, or files skipped by a run.",
    )
    def run_problems(logingest: LogIngestResource) -> AssetCheckResult:
        config = logingest.settings()
        found = discover(config.log_dirs, config.max_discovery_workers)
        return AssetCheckResult(**_problems_result(list(found.problems)))

    return [*checks, run_problems]


def _rule_check(settings: AlertSettings, index: int) -> AssetChecksDefinition:
    rule = settings.rules[index]

    @asset_check(
        asset=ASSET,
        name=check_name(rule.name),
        description=f"Alert rule {rule.name}: {_describe(rule)}.",
    )
    def rule_check(logingest: LogIngestResource) -> AssetCheckResult:
        config = logingest.settings()
        with open_store(logingest.home, config.state_url) as store:
            data = committed_minute_counts(store, Path(logingest.home) / "warehouse", None)
        outcomes = evaluate(config.alert_settings(), data, time.time())
        outcome = next((o for o in outcomes if o.rule.name == rule.name), RuleOutcome(rule))
        return AssetCheckResult(**_rule_result(outcome, []))

    return rule_check


def _describe(rule) -> str:
    parts = []
    if rule.errors_per_minute is not None:
        parts.append(f"{rule.errors_per_minute}+ ERROR/FATAL in a minute in a file")
    if rule.spike is not None:
        s = rule.spike
        parts.append(
            f"a minute above {s.factor:g}x the {s.trailing_minutes}-minute trailing median, "
            f"at least {s.floor}"
        )
    if rule.error_share is not None:
        e = rule.error_share
        parts.append(f"{e.share:.0%}+ ERROR/FATAL over {e.window_minutes} minutes")
    scope = ", ".join([*rule.directories, *rule.services]) or "every file"
    return " or ".join(parts) + f" ({scope})"
