"""A damaged SQLite offset store found when it is opened, not half-way through a commit.

`PRAGMA quick_check` reads every page once but skips the index cross-checks of `integrity_check`:
on a store of offsets and counts (its pending events are deleted once published) that is a few
milliseconds per open, once per step. Postgres checks its own pages.
"""

from __future__ import annotations

import sqlalchemy as sa

from logingest_dagster.engine.problems import StoreDamaged, damaged_store_message


def check_sqlite_file(conn: sa.Connection) -> None:
    """Raise StoreDamaged (one line: what, and what to do) if `quick_check` finds a problem."""
    if conn.dialect.name != "sqlite":
        return
    rows = [row[0] for row in conn.exec_driver_sql("PRAGMA quick_check").fetchall()]
    if rows != ["ok"]:
        raise StoreDamaged(damaged_store_message(conn.engine.url.database, rows[0]))
