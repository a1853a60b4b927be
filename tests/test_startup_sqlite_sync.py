"""Dagster's SQLite storages under the instance's directory commit without an fsync per event."""

from __future__ import annotations

import sqlalchemy
from dagster import DagsterInstance

from logingest_dagster.startup import sqlite_sync

FULL, NORMAL = 2, 1


def _synchronous(engine: sqlalchemy.Engine) -> int:
    with engine.connect() as connection:
        return connection.exec_driver_sql("PRAGMA synchronous").scalar_one()


def test_the_instances_databases_use_normal_sync_and_stay_open(tmp_path):
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    sqlite_sync.install(str(dagster_home))
    with DagsterInstance.from_config(str(dagster_home)) as instance:
        storage = instance.event_log_storage
        with storage.index_connection() as connection:
            assert connection.exec_driver_sql("PRAGMA synchronous").scalar_one() == NORMAL
        # One idle connection per database, so that closing Dagster's own does not checkpoint.
        kept = sqlite_sync.kept_databases()
        assert str((dagster_home / "history" / "runs" / "index.db").resolve()) in kept


def test_other_databases_keep_sqlites_default(tmp_path):
    sqlite_sync.install(str(tmp_path / "dagster_home"))
    offset_store = sqlalchemy.create_engine(f"sqlite:///{tmp_path / 'state.db'}")
    try:
        assert _synchronous(offset_store) == FULL
    finally:
        offset_store.dispose()
    assert not [path for path in sqlite_sync.kept_databases() if "state.db" in path]
