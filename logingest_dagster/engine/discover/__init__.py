"""Discovery: the `.log` files of the configured directories, listed and stat-ed, never opened."""

from logingest_dagster.engine.discover.fingerprint import fingerprint
from logingest_dagster.engine.discover.listing import LOG_SUFFIX, Discovery, LogFileEntry, discover

__all__ = ["LOG_SUFFIX", "Discovery", "LogFileEntry", "discover", "fingerprint"]
