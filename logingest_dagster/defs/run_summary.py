"""What a run did, recorded once: an observation of `log_directories` by the publishing step.

Its data version is the fingerprint of the listing the run's discovery planned from, so the
sensor knows which state of the directories the last run covered; its metadata holds the run's
figures and the all-time totals, which `logingest run` prints.
"""

from __future__ import annotations

from dagster import (
    AssetObservation,
    DagsterEventType,
    DagsterInstance,
    MetadataValue,
)
from dagster._core.definitions.data_version import DATA_VERSION_TAG

from logingest_dagster.defs.directories import LOG_DIRECTORIES

SUMMARY = "run_summary"
# Set the moment the commit transaction returns: a run cancelled after that says it committed.
COMMITTED_TAG = "logingest/committed"


def run_observation(fingerprint: str, summary: dict) -> AssetObservation:
    return AssetObservation(
        asset_key=LOG_DIRECTORIES,
        metadata={SUMMARY: MetadataValue.json(summary)},
        tags={DATA_VERSION_TAG: fingerprint},
    )


def run_summary(instance: DagsterInstance, run_id: str) -> dict | None:
    """The figures and totals a run recorded, or None if it never committed."""
    records = instance.get_records_for_run(
        run_id, of_type=DagsterEventType.ASSET_OBSERVATION
    ).records
    for record in records:
        observation = record.event_log_entry.asset_observation
        if observation.asset_key == LOG_DIRECTORIES and SUMMARY in observation.metadata:
            return observation.metadata[SUMMARY].value
    return None


def last_run_fingerprint(instance: DagsterInstance) -> str | None:
    """The directories' fingerprint as the newest run to commit saw them (an observation from
    the asset page's Observe, which read nothing, does not count)."""
    for record in instance.fetch_observations(LOG_DIRECTORIES, limit=10).records:
        observation = record.asset_observation
        if observation is not None and SUMMARY in observation.metadata:
            return observation.tags.get(DATA_VERSION_TAG)
    return None
