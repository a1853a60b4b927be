"""`ingest_failed_alert`: a failed ingestion run reaches a person through the alert webhook.

A run-failure sensor: the daemon hands it each failed run once, and it keeps the ingest runs (its cursor is
the event log), and it POSTs the run id, job, error and a link to the run, the same JSON shape and
the same `LOGINGEST_ALERT_WEBHOOK` as the rules' alerts. Without the variable it only logs.
"""

from __future__ import annotations

import time

from dagster import DefaultSensorStatus, RunFailureSensorContext, run_failure_sensor

from logingest_dagster.defs.job_tag import JOB_NAME, JOB_TAG
from logingest_dagster.engine.alerts import WebhookOptions, post_json, run_url, webhook_url_from_env
from logingest_dagster.environment import ALERT_WEBHOOK_ENV

SENSOR_NAME = "ingest_failed_alert"
ERROR_CHARS = 2000


def build_failure_alert_sensor(
    webhook: WebhookOptions | None = None, minimum_interval_seconds: int = 30
):
    options = webhook or WebhookOptions()

    @run_failure_sensor(
        name=SENSOR_NAME,
        minimum_interval_seconds=minimum_interval_seconds,
        # Every failed run of the instance is looked at, and those of an ingest job kept (by the
        # tag every one carries): `logingest run` executes its job outside the code location, so
        # its runs match no job of this repository, and they should alert too.
        monitor_all_code_locations=True,
        # On by default: with no webhook it does nothing but log, and a deployment that sets one
        # should not also have to find this switch.
        default_status=DefaultSensorStatus.RUNNING,
        description=f"POSTs each failed ingest run (id, job, error, link) to ${ALERT_WEBHOOK_ENV}.",
    )
    def ingest_failed_alert(context: RunFailureSensorContext) -> None:
        if context.dagster_run.tags.get(JOB_TAG) != JOB_NAME:
            return
        body = failure_body(context)
        url = webhook_url_from_env()
        if url is None:
            context.log.info(f"no webhook set: {body['text']}")
            return
        delivery = post_json(url, body, options, time.monotonic() + options.deadline_seconds)
        if not delivery.delivered:
            context.log.warning(f"failed-run alert not delivered: {delivery.error}")

    return ingest_failed_alert


def failure_body(context: RunFailureSensorContext) -> dict:
    run = context.dagster_run
    error = _error(context)
    link = run_url(run.run_id)
    return {
        "text": f"logingest run {run.run_id} of {run.job_name} failed: {error} <{link}>",
        "rule": "run_failed",
        "service": None,
        "job": run.job_name,
        "error": error,
        "run_id": run.run_id,
        "run_url": link,
    }


def _error(context: RunFailureSensorContext) -> str:
    """The first failed step's error (the run's own message only says that steps failed)."""
    for event in context.get_step_failure_events():
        data = event.step_failure_data
        if data is not None and data.error is not None:
            error = data.error
            while error.cause is not None:  # Dagster's wrapper says only that the op raised
                error = error.cause
            return f"step {event.step_key}: {error.message.strip()}"[:ERROR_CHARS]
    return (context.failure_event.message or "run failed")[:ERROR_CHARS]
