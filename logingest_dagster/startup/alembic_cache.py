"""Open Dagster's SQLite storages without re-reading its migration scripts every time.

Each storage Dagster opens (runs, event log index, schedules, and every run's own event database)
asks alembic for the schema's head revision, and alembic answers by building a new
`ScriptDirectory` that imports all of Dagster's migration scripts again, several times in each
short-lived process (the CLI run and every step process). Those
scripts belong to the installed, pinned Dagster and cannot change while a process runs, so one
`ScriptDirectory` per location is kept and reused.

Installed by `logingest run` before it opens the instance, and in the forkserver that step
processes are forked from (so they inherit a warm cache). The Dagster webserver and daemon, which
open their storages once, do without it.
"""

from __future__ import annotations

import threading

from alembic.config import Config
from alembic.script import ScriptDirectory

_lock = threading.Lock()
_cache: dict[tuple, ScriptDirectory] = {}
_uncached = ScriptDirectory.from_config  # the classmethod, bound to ScriptDirectory


def _from_config(cls: type[ScriptDirectory], config: Config) -> ScriptDirectory:
    if cls is not ScriptDirectory:
        return _uncached.__func__(cls, config)
    key = (
        config.get_alembic_option("script_location"),
        tuple(config.get_version_locations_list() or ()),
    )
    with _lock:
        script = _cache.get(key)
        if script is None:
            script = _cache[key] = _uncached(config)
        return script


def install() -> None:
    """Make `ScriptDirectory.from_config` reuse one instance per script location (idempotent)."""
    ScriptDirectory.from_config = classmethod(_from_config)  # type: ignore[method-assign]
