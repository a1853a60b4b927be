"""Every environment variable the project reads, named here and nowhere else.

Modules import these names rather than spelling a variable out, so a rename is one edit and
`tests/test_environment_names.py` can tell when a new variable is read elsewhere.
"""

# Holds warehouse/ (Parquet) and state/ (the offset store); default data/.
HOME_ENV = "LOGINGEST_HOME"
# The seed's JSON settings file the code location takes its defaults from.
CONFIG_ENV = "LOGINGEST_CONFIG"
# The offset store's URL. A password kept here stays out of run config, which the Dagster instance
# stores with every run and the UI shows: runs refer to the variable by name.
STATE_URL_ENV = "LOGINGEST_STATE_URL"
# The Celery broker (and result backend) of a scale-out deployment; setting it adds the
# `ingest_logs_celery` job to the code location (defs/celery.py).
CELERY_BROKER_ENV = "LOGINGEST_CELERY_BROKER"
# The catch-up schedule's cron expression (defs/schedules.py).
CATCHUP_CRON_ENV = "LOGINGEST_CATCHUP_CRON"
# The least time between two ticks of the directory sensor (defs/sensors.py).
SENSOR_INTERVAL_ENV = "LOGINGEST_SENSOR_INTERVAL_SECONDS"
# Set to 1 in a `logingest run` that is already the run's own process, so it does not fork again
# into a session of its own (tests drive it that way).
RUN_CHILD_ENV = "LOGINGEST_RUN_CHILD"
# Finished Dagster runs older than this many days are deleted by a daily schedule (defs/retention.py).
RUN_RETENTION_ENV = "LOGINGEST_RUN_RETENTION_DAYS"
# Where alerts are POSTed (engine/alerts/webhook.py); a secret, so never in settings or run config.
ALERT_WEBHOOK_ENV = "LOGINGEST_ALERT_WEBHOOK"
# The Dagster UI's address, for the link to a run in an alert; default http://127.0.0.1:3000.
UI_URL_ENV = "LOGINGEST_UI_URL"
