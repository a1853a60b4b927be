"""The webhook POST against a receiver on 127.0.0.1: retries, and a deadline it never passes."""

from __future__ import annotations

import time

from logingest_dagster.engine.alerts import WebhookOptions, post_json, run_url
from tests.alerts.receiver import Receiver, closed_port_url

OPTIONS = WebhookOptions(timeout_seconds=1, attempts=3, deadline_seconds=10)


def deadline_in(seconds: float) -> float:
    return time.monotonic() + seconds


def test_a_body_is_posted_as_json_once():
    with Receiver() as receiver:
        delivery = post_json(receiver.url, {"rule": "default", "count": 3}, OPTIONS, deadline_in(5))
    assert (delivery.delivered, delivery.attempts) == (True, 1)
    assert receiver.bodies == [{"rule": "default", "count": 3}]


def test_a_server_error_is_retried_and_a_client_error_is_not():
    with Receiver(status=503) as receiver:
        delivery = post_json(receiver.url, {}, OPTIONS, deadline_in(10))
    assert (delivery.delivered, delivery.attempts, len(receiver.bodies)) == (False, 3, 3)
    assert "503" in delivery.error
    with Receiver(status=404) as receiver:
        delivery = post_json(receiver.url, {}, OPTIONS, deadline_in(10))
    assert (delivery.delivered, delivery.attempts) == (False, 1)


def test_a_receiver_down_or_slow_costs_no_more_than_the_deadline():
    started = time.monotonic()
    down = post_json(closed_port_url(), {}, OPTIONS, deadline_in(10))
    assert not down.delivered and down.attempts == 3
    assert time.monotonic() - started < 3  # refused at once; only the backoff waits
    with Receiver(delay=30) as receiver:
        started = time.monotonic()
        slow = post_json(receiver.url, {}, WebhookOptions(5, 3, 10), deadline_in(1.5))
        elapsed = time.monotonic() - started
    assert not slow.delivered and 1.4 < elapsed < 2.5


def test_the_run_link_uses_the_ui_url_from_the_environment(monkeypatch):
    assert run_url("abc") == "http://127.0.0.1:3000/runs/abc"
    monkeypatch.setenv("LOGINGEST_UI_URL", "https://dagster.example.com/")
    assert run_url("abc") == "https://dagster.example.com/runs/abc"
