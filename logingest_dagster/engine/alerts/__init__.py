"""Alerts: rules over per-minute error counts by logged time, each alert claimed once in the
offset store and POSTed to a webhook after the run has committed.

    rules     the `alerts` settings section: rules, services, webhook timeouts
    counts    what rules read: per-minute counts of what a run committed (the one input)
    evaluate  the rules applied: findings per rule
    notify    claim, group and send after a commit
    webhook   the POST: timeout, retries, a deadline
"""

from logingest_dagster.engine.alerts.counts import (
    MinuteCount,
    MinuteCounts,
    committed_minute_counts,
)
from logingest_dagster.engine.alerts.evaluate import Finding, RuleOutcome, evaluate
from logingest_dagster.engine.alerts.notify import RUN_PROBLEMS, AlertReport, alert_after_commit
from logingest_dagster.engine.alerts.rules import (
    DEFAULT_RULE,
    AlertSettings,
    AlertSettingsError,
    ErrorShare,
    Rule,
    Spike,
    WebhookOptions,
    parse_alerts,
)
from logingest_dagster.engine.alerts.webhook import (
    DEFAULT_UI_URL,
    UI_URL_ENV,
    WEBHOOK_ENV,
    Delivery,
    post_json,
    run_url,
    webhook_url_from_env,
)

__all__ = [
    "DEFAULT_RULE",
    "DEFAULT_UI_URL",
    "RUN_PROBLEMS",
    "UI_URL_ENV",
    "WEBHOOK_ENV",
    "AlertReport",
    "AlertSettings",
    "AlertSettingsError",
    "Delivery",
    "ErrorShare",
    "Finding",
    "MinuteCount",
    "MinuteCounts",
    "Rule",
    "RuleOutcome",
    "Spike",
    "WebhookOptions",
    "alert_after_commit",
    "committed_minute_counts",
    "evaluate",
    "parse_alerts",
    "post_json",
    "run_url",
    "webhook_url_from_env",
]
