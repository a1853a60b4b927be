"""After a run commits: evaluate the rules on what it brought in, claim what is new, POST it.

`counts` are `committed_minute_counts`, read between the commit and the publish.

Called once the counts are committed and the Parquet published, so nothing here can lose or delay
a count beyond the webhook's deadline. An alert is a rule broken by one file (its offending minutes
this run, each claimed once in the store) or the run's own problems (a configured directory
missing, files skipped: at most once an hour for the same problems).
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

from logingest_dagster.engine.alerts.counts import MinuteCounts
from logingest_dagster.engine.alerts.findings import RuleOutcome, evaluate
from logingest_dagster.engine.alerts.rules import AlertSettings
from logingest_dagster.engine.alerts.webhook import WEBHOOK_ENV, post_json, run_url
from logingest_dagster.engine.state import OffsetStore
from logingest_dagster.engine.state.alerts_sent import AlertKey

RUN_PROBLEMS = "run_problems"
EXAMPLES_PER_ALERT = 5


@dataclass
class AlertReport:
    outcomes: list[RuleOutcome]
    problems: list[str]
    sent: list[dict] = field(default_factory=list)  # bodies delivered
    failed: list[dict] = field(default_factory=list)  # bodies not delivered (retried next run)
    note: str = ""


def alert_after_commit(
    store: OffsetStore,
    run_id: str,
    settings: AlertSettings,
    problems: list[str],
    counts: MinuteCounts,
    *,
    webhook_url: str | None,
    ui_url: str | None = None,
    now: float | None = None,
) -> AlertReport:
    now = time.time() if now is None else now
    outcomes = evaluate(settings, counts, now)
    report = AlertReport(outcomes, list(problems))
    if webhook_url is None:
        report.note = f"no webhook: {WEBHOOK_ENV} is not set"
        return report
    items: dict[AlertKey, dict] = {}
    for outcome in outcomes:
        for finding in outcome.findings:
            key = AlertKey(finding.rule, finding.path, finding.window_start)
            items[key] = asdict(finding) | {"run_id": run_id, "run_problems": report.problems}
    if problems:
        digest = hashlib.sha256("\n".join(sorted(problems)).encode()).hexdigest()[:16]
        hour = int(now // 3600) * 60
        items[AlertKey(RUN_PROBLEMS, digest, hour)] = {
            "rule": RUN_PROBLEMS, "run_id": run_id, "run_problems": report.problems,
            "window_start": hour, "window_minutes": 60,
        }  # fmt: skip
    claimed = store.claim_alerts(run_id, {k: json.dumps(v) for k, v in items.items()})
    retried = store.take_over_alerts(run_id, oldest=now - settings.max_age_minutes * 60)
    queue = [(key, items[key]) for key in claimed]
    queue += [(key, json.loads(payload)) for key, payload in retried if payload]
    deadline = time.monotonic() + settings.webhook.deadline_seconds
    settled = []
    for keys, group in _grouped(queue):
        body = alert_body(group, ui_url)
        delivery = post_json(webhook_url, body, settings.webhook, deadline)
        (report.sent if delivery.delivered else report.failed).append(body)
        settled += [(key, delivery.delivered) for key in keys]
    store.settle_alerts(settled)
    return report


def _grouped(queue: list[tuple[AlertKey, dict]]):
    """One alert per rule, file and run: a burst over several minutes is one message."""
    groups: dict[tuple[str, str, str], list[tuple[AlertKey, dict]]] = {}
    for key, item in queue:
        groups.setdefault((key.rule, key.subject, item["run_id"]), []).append((key, item))
    for members in groups.values():
        members.sort(key=lambda m: m[0].window_start)
        yield [k for k, _ in members], [item for _, item in members]


def alert_body(items: list[dict], ui_url: str | None = None) -> dict:
    """The JSON an alert posts: `text` for chat receivers (Slack-style incoming webhooks show
    it), the fields for everything else."""
    first, last = items[0], items[-1]
    run_id = first["run_id"]
    window = {
        "start": _iso(first["window_start"]),
        "end": _iso(last["window_start"] + last["window_minutes"]),
    }
    link = run_url(run_id, ui_url)
    problems = first.get("run_problems") or []
    if first["rule"] == RUN_PROBLEMS:
        text = f"logingest run {run_id} had problems: " + "; ".join(problems) + f" <{link}>"
        return {
            "text": text, "rule": RUN_PROBLEMS, "service": None, "path": None, "window": window,
            "count": len(problems), "threshold": None, "examples": [], "run_id": run_id,
            "run_url": link, "run_problems": problems,
        }  # fmt: skip
    worst = max(items, key=lambda i: i["count"])
    examples = [line for item in items for line in item["examples"]][:EXAMPLES_PER_ALERT]
    what = "of records were ERROR/FATAL" if worst["condition"] == "error_share" else "ERROR/FATAL"
    amount = f"{worst['share']:.1%}" if worst["condition"] == "error_share" else worst["count"]
    text = (
        f"logingest alert {first['rule']} ({worst['condition']}): {first['service']} "
        f"{amount} {what} in the minute of {_iso(worst['window_start'])} "
        f"(threshold {worst['threshold']:g}); {len(items)} minute(s) {window['start']} to "
        f"{window['end']} in {first['path']} <{link}>"
    )
    if problems:
        text += " (the run also had problems: " + "; ".join(problems) + ")"
    return {
        "text": text,
        "rule": first["rule"],
        "condition": worst["condition"],
        "service": first["service"],
        "path": first["path"],
        "window": window,
        "count": worst["count"],
        "threshold": worst["threshold"],
        "minutes": [
            {
                "start": _iso(i["window_start"]),
                "minutes": i["window_minutes"],
                "count": i["count"],
                "threshold": i["threshold"],
                "condition": i["condition"],
            }
            for i in items
        ],  # fmt: skip
        "examples": examples,
        "run_id": run_id,
        "run_url": link,
        "run_problems": problems,
    }


def _iso(minute: int) -> str:
    return datetime.fromtimestamp(minute * 60, UTC).strftime("%Y-%m-%dT%H:%MZ")
