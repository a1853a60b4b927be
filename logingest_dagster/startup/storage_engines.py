"""Dagster's SQLite storages with one SQLAlchemy engine per database, kept, in the run's process.

Dagster's SQLite run, event log and schedule storages build a new engine (`NullPool`) for every
statement they run: each event a run stores builds two, and each new engine connects afresh,
initializes its dialect (a few queries) and runs the connect hooks (`sqlite_sync`). That was
most of the ~4-5 ms an event cost, for the ~35 events of every run (figures:
benchmarks/README.md). Here the storages' databases under the instance get one engine each,
whose pool keeps a connection open between statements; transactions are unchanged (each
statement block still begins and commits its own).

Installed by `logingest run` for the databases under its instance only, like `sqlite_sync`:
the webserver, the daemon and step processes keep Dagster's engines. Installing for another
instance directory disposes of the engines kept for the previous one.
"""

from __future__ import annotations

import importlib
import os
import threading
from typing import Any

import sqlalchemy as sa

# The modules of Dagster's SQLite storages that call `create_engine` (by that name).
STORAGE_MODULES = (
    "dagster._core.storage.runs.sqlite.sqlite_run_storage",
    "dagster._core.storage.event_log.sqlite.sqlite_event_log",
    "dagster._core.storage.event_log.sqlite.consolidated_sqlite_event_log",
    "dagster._core.storage.schedules.sqlite.sqlite_schedule_storage",
)
# A statement block at a time per thread; a second thread (the CLI's progress poll) gets an
# overflow connection, closed after use.
POOL_SIZE = 2

_lock = threading.Lock()
_root: list[str] = []  # the instance directory engines are kept for (one at a time)
_engines: dict[tuple, sa.Engine] = {}


def install(dagster_home: str) -> None:
    """Keep engines for the SQLite databases under `dagster_home` from now on (idempotent)."""
    root = os.path.join(os.path.realpath(dagster_home), "")
    with _lock:
        if _root != [root]:
            for engine in _engines.values():
                engine.dispose()
            _engines.clear()
            _root[:] = [root]
    for name in STORAGE_MODULES:
        module = importlib.import_module(name)
        if module.create_engine is not _kept_engine:
            module.create_engine = _kept_engine


def kept_engines() -> list[str]:
    """The database URLs an engine is kept for (for tests)."""
    with _lock:
        return sorted({str(key[0]) for key in _engines})


def _kept_engine(url: Any, *args: Any, **kwargs: Any) -> sa.Engine:
    database = sa.engine.make_url(url).database if isinstance(url, str) else None
    path = os.path.realpath(database) if database and database != ":memory:" else None
    with _lock:
        if path is None or args or not _root or not path.startswith(_root[0]):
            return sa.create_engine(url, *args, **kwargs)
        kwargs.pop("poolclass", None)
        key = (url, repr(sorted(kwargs.items())))
        engine = _engines.get(key)
        if engine is None:
            engine = sa.create_engine(url, pool_size=POOL_SIZE, **kwargs)
            _engines[key] = engine
        return engine
