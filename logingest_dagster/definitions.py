"""The code location: `dagster dev -w workspace.yaml` and `logingest run` both load this."""

from __future__ import annotations

import os

from dagster import Definitions

from logingest_dagster.defs.alert_checks import build_alert_checks
from logingest_dagster.defs.alert_sensor import build_failure_alert_sensor
from logingest_dagster.defs.assets import ASSETS
from logingest_dagster.defs.checks import ASSET_CHECKS, check_warehouse
from logingest_dagster.defs.executor import preloading_executor
from logingest_dagster.defs.jobs import LOGGERS, build_ingest_job
from logingest_dagster.defs.resources import resource_from_env
from logingest_dagster.defs.retention import build_retention_schedule, retention_days_from_env
from logingest_dagster.defs.schedules import build_catchup_schedule, catchup_cron_from_env
from logingest_dagster.defs.sensors import build_log_dirs_sensor, sensor_interval_from_env
from logingest_dagster.environment import CELERY_BROKER_ENV
from logingest_dagster.settings import settings_from_env

_settings = settings_from_env()

ingest_logs = build_ingest_job(_settings.worker_count, job_module=__name__)
jobs = [ingest_logs, check_warehouse]
automated = ingest_logs  # what the sensor and the schedule start
if os.environ.get(CELERY_BROKER_ENV):  # a scale-out deployment (defs/celery.py)
    from logingest_dagster.defs.celery import build_celery_job

    automated = build_celery_job()
    jobs.append(automated)
log_dirs_changed = build_log_dirs_sensor(automated, sensor_interval_from_env())
ingest_logs_catchup = build_catchup_schedule(automated, catchup_cron_from_env())
delete_old_runs = build_retention_schedule(retention_days_from_env())
ingest_failed_alert = build_failure_alert_sensor(
    _settings.alert_settings().webhook, sensor_interval_from_env()
)

defs = Definitions(
    assets=ASSETS,
    asset_checks=[*ASSET_CHECKS, *build_alert_checks(_settings.alert_settings())],
    jobs=jobs,
    sensors=[log_dirs_changed, ingest_failed_alert],
    schedules=[ingest_logs_catchup, delete_old_runs],
    resources={"logingest": resource_from_env()},
    loggers=LOGGERS,
    # Also for the jobs Dagster builds itself (`dagster asset materialize`, a Materialize of a
    # selection that is not a job): steps fork from the preloaded forkserver.
    executor=preloading_executor(__name__),
)
