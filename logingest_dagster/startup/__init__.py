"""What makes a process start fast: the collector paused while loading, the step forkserver and its
preload, alembic's migration scripts read once. Only `collection` is imported here: the others load
Dagster and are imported by name where they are used."""

from logingest_dagster.startup.collection import pause_collection, resume_collection

__all__ = ["pause_collection", "resume_collection"]
