"""Dagster's SQLite storages without an fsync for every event a run stores.

Dagster's SQLite storages open a connection for each event they store (NullPool), commit and close
it. With SQLite's default `synchronous=FULL` the commit syncs the write-ahead log, and closing a
database's last connection checkpoints the log into the database and syncs both: a few fsyncs an
event, each as slow as the disk's busiest neighbour, for the ~30 events of every run.

Installed by `logingest run`, whose steps run in its own process by default, for the databases
under the instance's directory only (the offset store keeps its own settings): each connection
Dagster opens to one of them uses `synchronous=NORMAL`, which in WAL mode (Dagster's, set here
from a new database's first statement) keeps the database consistent and can lose only the last
transactions on a power cut, never on a crash of the process; and one idle connection to each
stays open for the life of the process, so closing the others does not checkpoint. SQLite still
checkpoints when the log grows past its limit, and when the process ends. Step processes of the
multiprocess executor, the webserver and the daemon keep Dagster's defaults.
"""

from __future__ import annotations

import os
import sqlite3
import threading

from sqlalchemy import event
from sqlalchemy.pool import Pool

_lock = threading.Lock()
_roots: set[str] = set()
_kept: dict[str, sqlite3.Connection] = {}


def install(dagster_home: str) -> None:
    """Apply to SQLite databases under `dagster_home` from now on, in this process (idempotent)."""
    with _lock:
        _roots.add(os.path.join(os.path.realpath(dagster_home), ""))
    if not event.contains(Pool, "connect", _on_connect):
        event.listen(Pool, "connect", _on_connect)


def kept_databases() -> list[str]:
    """The databases this process holds a connection to (for tests)."""
    with _lock:
        return sorted(_kept)


def _on_connect(dbapi_connection, _record) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    path = _database_path(dbapi_connection)
    if path is None or not any(path.startswith(root) for root in _roots):
        return
    dbapi_connection.execute("PRAGMA synchronous=NORMAL")
    # Dagster switches each database to WAL after creating its tables, one committed statement
    # each, every one synced in the default journal: a new run's own database cost a quarter of
    # a second. In WAL from its first statement, it syncs none of them.
    if dbapi_connection.execute("PRAGMA journal_mode=WAL").fetchone()[0] != "wal":
        return  # in use by another process in another mode: leave it as it is
    with _lock:
        if path not in _kept:
            keeper = sqlite3.connect(path, check_same_thread=False)
            keeper.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()  # joins the WAL
            _kept[path] = keeper


def _database_path(dbapi_connection: sqlite3.Connection) -> str | None:
    for _seq, name, file in dbapi_connection.execute("PRAGMA database_list"):
        if name == "main":
            return os.path.realpath(file) if file else None
    return None
