"""The offset store: where each stream was read to and the counts that reading produced, changed
only by one transaction per run (`commit`), behind a SQLAlchemy URL (SQLite or Postgres)."""

from logingest_dagster.engine.state.commit import CommitSummary
from logingest_dagster.engine.state.schema import SCHEMA_VERSION, SchemaTooNew
from logingest_dagster.engine.state.store import OffsetStore, default_state_url, open_store
from logingest_dagster.engine.state.templates import load_miner_state, save_miner_state

__all__ = [
    "SCHEMA_VERSION",
    "CommitSummary",
    "OffsetStore",
    "SchemaTooNew",
    "default_state_url",
    "load_miner_state",
    "open_store",
    "save_miner_state",
]
