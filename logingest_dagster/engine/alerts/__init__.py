"""Alerts: rules over per-minute error counts by logged time, each alert claimed once in the
offset store and POSTed to a webhook after the run has committed.

    rules     the `alerts` settings section: rules, services, webhook timeouts
    counts    what rules read: per-minute counts of what a run committed (the one input)
    findings  the rules applied (evaluate): findings per rule
    notify    claim, group and send after a commit
    webhook   the POST: timeout, retries, a deadline

The public names load on first use (PEP 562): `settings` validates the `alerts` section with
`rules`, and loading it must not pull the offset store (SQLAlchemy) into every command.
"""

from logingest_dagster.engine.lazy import lazy_exports

_MODULES = {
    "counts": ("MinuteCount", "MinuteCounts", "committed_minute_counts"),
    "findings": ("Finding", "RuleOutcome", "evaluate"),
    "notify": ("RUN_PROBLEMS", "AlertReport", "alert_after_commit"),
    "rules": (
        "DEFAULT_RULE",
        "AlertSettings",
        "AlertSettingsError",
        "ErrorShare",
        "Rule",
        "Spike",
        "WebhookOptions",
        "parse_alerts",
    ),
    "webhook": (
        "DEFAULT_UI_URL",
        "UI_URL_ENV",
        "WEBHOOK_ENV",
        "Delivery",
        "post_json",
        "run_url",
        "webhook_url_from_env",
    ),
}
_PUBLIC = {
    name: f"logingest_dagster.engine.alerts.{module}"
    for module, names in _MODULES.items()
    for name in names
}

__all__ = sorted(_PUBLIC)

__getattr__ = lazy_exports(__name__, _PUBLIC)
