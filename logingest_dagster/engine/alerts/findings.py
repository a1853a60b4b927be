"""The rules applied to per-minute counts: which files, minutes and windows break which rule."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from logingest_dagster.engine.alerts.counts import MinuteCounts
from logingest_dagster.engine.alerts.rules import AlertSettings, Rule

ERROR_LEVELS = ("ERROR", "FATAL")


@dataclass(frozen=True)
class Finding:
    """One minute (or share window) of one file that breaks a rule."""

    rule: str
    condition: str  # errors_per_minute | spike | error_share
    path: str
    service: str
    window_start: int  # epoch minute
    window_minutes: int
    count: int  # ERROR+FATAL in the window
    threshold: float  # what `count` had to reach (a share for error_share)
    examples: tuple[str, ...] = ()
    share: float | None = None  # error_share only


@dataclass
class RuleOutcome:
    rule: Rule
    findings: list[Finding] = field(default_factory=list)
    note: str = ""  # why part of the rule could not be evaluated, if it could not


def evaluate(settings: AlertSettings, data: MinuteCounts, now: float) -> list[RuleOutcome]:
    """Each rule's findings among the focus minutes no older than `settings.max_age_minutes`."""
    errors: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    records: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for c in data.counts:
        records[c.path][c.minute] += c.count
        if c.level in ERROR_LEVELS:
            errors[c.path][c.minute] += c.count
    oldest = int(now // 60) - settings.max_age_minutes
    focus = sorted((p, m) for p, m in data.focus if m >= oldest)
    outcomes = []
    for rule in settings.rules:
        outcome = RuleOutcome(rule)
        for path, minute in focus:
            service = settings.service_of(path)
            if not rule.applies_to(path, service):
                continue
            found = _minute_finding(rule, path, service, minute, errors[path], data)
            if found is not None:
                outcome.findings.append(found)
        if rule.error_share is not None:
            if data.all_levels:
                outcome.findings += _share_findings(rule, settings, focus, errors, records, data)
            else:
                outcome.note = (
                    "error_share not evaluated: it needs counts of every level per minute "
                    "(the severity time series); only ERROR/FATAL counts are known"
                )
        outcomes.append(outcome)
    return outcomes


def _minute_finding(
    rule: Rule, path: str, service: str, minute: int, errors: dict[int, int], data: MinuteCounts
) -> Finding | None:
    count = errors.get(minute, 0)
    examples = tuple(data.examples.get((path, minute), ()))
    if rule.errors_per_minute is not None and count >= rule.errors_per_minute:
        return Finding(
            rule.name, "errors_per_minute", path, service, minute, 1, count,
            rule.errors_per_minute, examples,
        )  # fmt: skip
    if rule.spike is not None:
        spike = rule.spike
        trailing = [errors.get(m, 0) for m in range(minute - spike.trailing_minutes, minute)]
        threshold = max(float(spike.floor), spike.factor * median(trailing))
        if count >= spike.floor and count > spike.factor * median(trailing):
            return Finding(rule.name, "spike", path, service, minute, 1, count, threshold, examples)
    return None


def _share_findings(rule, settings, focus, errors, records, data) -> list[Finding]:
    share = rule.error_share
    width = share.window_minutes
    windows = sorted({(path, minute - minute % width) for path, minute in focus})
    found = []
    for path, start in windows:
        service = settings.service_of(path)
        if not rule.applies_to(path, service):
            continue
        minutes = range(start, start + width)
        total = sum(records[path].get(m, 0) for m in minutes)
        bad = sum(errors[path].get(m, 0) for m in minutes)
        if total >= share.min_records and bad / total >= share.share:
            examples = next(
                (tuple(data.examples[(path, m)]) for m in minutes if (path, m) in data.examples),
                (),
            )
            found.append(
                Finding(
                    rule.name,
                    "error_share",
                    path,
                    service,
                    start,
                    width,
                    bad,
                    share.share,
                    examples,
                    share=bad / total,
                )  # fmt: skip
            )
    return found


def median(values: list[int]) -> float:
    """The median of `values` (0 for none)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) / 2
