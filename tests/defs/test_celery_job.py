"""`ingest_logs_celery` joins the code location only where a scale-out broker is configured."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.helpers import modules_loaded_by

pytest.importorskip("dagster_celery", reason="the celery extra is not installed")

SHOW_JOBS = """
import json
from logingest_dagster.definitions import defs
jobs = {j.name: j for j in defs.resolve_all_job_defs()}
celery = jobs.get("ingest_logs_celery")
print(json.dumps({
    "jobs": sorted(jobs),
    "execution": celery.run_config.get("execution") if celery else None,
    "tags": celery.tags if celery else None,
}))
"""


def _definitions_with(env_updates: dict[str, str]) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LOGINGEST_", "DAGSTER_"))}
    env |= env_updates
    done = subprocess.run(
        [sys.executable, "-c", SHOW_JOBS], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_with_a_broker_the_celery_job_names_it_by_its_variable_and_shares_the_queue_slot():
    broker = "redis://worker:s3cret@broker.example:6379/0"
    found = _definitions_with({"LOGINGEST_CELERY_BROKER": broker})
    assert "ingest_logs_celery" in found["jobs"]
    name = {"env": "LOGINGEST_CELERY_BROKER"}
    assert found["execution"] == {"config": {"broker": name, "backend": name}}
    assert "s3cret" not in json.dumps(found)
    assert found["tags"]["logingest/job"] == "ingest_logs"  # the run queue's one-run limit


def test_without_a_broker_there_is_no_celery_job_and_celery_is_not_imported():
    assert "ingest_logs_celery" not in _definitions_with({})["jobs"]
    loaded = modules_loaded_by("import logingest_dagster.definitions")
    assert "celery" not in loaded and "dagster_celery" not in loaded
