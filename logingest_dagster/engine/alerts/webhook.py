"""The alert webhook: a JSON POST, with a timeout per attempt, retries, and a deadline for them all.

Its URL comes only from `LOGINGEST_ALERT_WEBHOOK` (a Slack incoming-webhook URL is a secret, and
the Dagster instance keeps run config in the clear). A receiver that is down or slow costs a run
at most the deadline and never fails it: the alert is recorded as failed and a later run retries.
"""

from __future__ import annotations

import json
import logging
import os
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from logingest_dagster.engine.alerts.rules import WebhookOptions
from logingest_dagster.environment import ALERT_WEBHOOK_ENV as WEBHOOK_ENV
from logingest_dagster.environment import UI_URL_ENV

DEFAULT_UI_URL = "http://127.0.0.1:3000"
_FIRST_BACKOFF_SECONDS = 0.5

log = logging.getLogger(__name__)


def webhook_url_from_env() -> str | None:
    return os.environ.get(WEBHOOK_ENV, "").strip() or None


def run_url(run_id: str, base: str | None = None) -> str:
    """The run's page in the Dagster UI (`LOGINGEST_UI_URL`, default the local `dagster dev`)."""
    base = base or os.environ.get(UI_URL_ENV, "").strip() or DEFAULT_UI_URL
    return f"{base.rstrip('/')}/runs/{run_id}"


@dataclass(frozen=True)
class Delivery:
    delivered: bool
    attempts: int
    error: str | None = None


def post_json(url: str, body: dict, options: WebhookOptions, deadline: float) -> Delivery:
    """POST `body` until a 2xx, `options.attempts` times at most and never past `deadline`
    (`time.monotonic()`); a 4xx other than 429 is not retried (the same body would fail again)."""
    data = json.dumps(body, ensure_ascii=False).encode()
    error, attempts, backoff = "deadline passed before the first attempt", 0, _FIRST_BACKOFF_SECONDS
    while attempts < options.attempts:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        attempts += 1
        request = urllib.request.Request(
            url, data=data, method="POST", headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=min(options.timeout_seconds, remaining)):
                return Delivery(True, attempts)
        except urllib.error.HTTPError as exc:
            error = f"HTTP {exc.code} {exc.reason}"
            if 400 <= exc.code < 500 and exc.code != 429:
                break
        except (OSError, ValueError) as exc:  # refused, timed out, reset, a malformed URL
            error = str(getattr(exc, "reason", None) or exc) or type(exc).__name__
        pause = min(backoff, deadline - time.monotonic())
        if attempts < options.attempts and pause > 0:
            time.sleep(pause)
        backoff *= 2
    log.warning("alert webhook not delivered after %d attempts: %s", attempts, error)
    return Delivery(False, attempts, error)
