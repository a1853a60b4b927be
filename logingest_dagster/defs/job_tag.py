"""The tag every ingest run carries, whichever way it was launched."""

JOB_NAME = "ingest_logs"
# Every ingest run carries it (CLI, UI, sensor, schedule, the Celery job): dagster.yaml's run
# queue admits one such run at a time, and the sensor and schedule wait for one in flight. A
# Materialize of a selection in the asset graph runs Dagster's own asset job, which has no tags
# of its own: its discovery step adds the tag as it starts.
JOB_TAG = "logingest/job"
