"""The offset store's tables, and the migrations that bring any older database up to them.

`schema_version` holds one row: the version the database is at. `MIGRATIONS[n]` takes a database
from version n-1 to n, inside the same transaction that records n, so a migration is never half
applied. A migration creates or alters tables as they were at its version (frozen definitions),
never from the current ones below, which later versions change.

- 1: the first schema.
- 2: `offsets.format`, the file's detected format, so that later reads skip detection.
- 3: `offsets.drains_into`: a row for a rotated file still being written, whose counts go to that
  stream (see `read_plan.draining_key`).
- 4: `error_events`: the error events of each read, committed with its counts.
- 5: `pending_events` and `pending_minutes` replace `error_events`: each read's events and
  per-minute counts, kept from its commit until the warehouse's part files hold them;
  `commits.events_dropped`; `expired`, what retention deleted.
- 6: `published.history_through`, the newest commit in `warehouse/severity_history/` (which is
  appended, no longer rewritten); `offsets.committed_lines`, the lines of the file before its
  committed offset, so an event found in a later append knows its line number.
- 7: `message_templates` and `template_paths`: the template miner's state (`engine.templates`),
  committed with the offsets of the records it was mined from.
- 8: `alerts_sent`: each alert claimed by a run, so that no alert is sent twice.
- 9: `files_read`: the files each stream has read and how far, kept after its row moved on, so a
  rotated sibling can be told from a generation read long ago (`plan.generations`).
- 10: `pending_events.batch`: a read's events and templates as Arrow IPC bytes
  (`event_rows.py`), `events` left empty; rows written before keep their JSON and publish as
  they did.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

from logingest_dagster.engine.levels import LEVELS

SCHEMA_VERSION = 10

metadata = sa.MetaData()

schema_version = sa.Table(
    "schema_version",
    metadata,
    sa.Column("version", sa.Integer, nullable=False),
)


def _offset_columns_v1() -> list[sa.Column]:
    """`offsets` as version 1 made it; later versions add columns by migration."""
    return [
        sa.Column("path", sa.String, primary_key=True),
        sa.Column("dev", sa.BigInteger, nullable=False),
        sa.Column("inode", sa.BigInteger, nullable=False),
        sa.Column("fingerprint", sa.String, nullable=False),
        sa.Column("fingerprint_len", sa.Integer, nullable=False),
        sa.Column("committed_offset", sa.BigInteger, nullable=False),  # bytes consumed
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("mtime", sa.Float, nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),  # commits.id that wrote it: the CAS token
        sa.Column("committed_at", sa.Float, nullable=False),
    ]


# One row per tracked stream (logical .log path): the file it follows and how far it is read.
# Dropped when the file is gone; the stream's statistics live on in `stream_stats`.
offsets = sa.Table(
    "offsets",
    metadata,
    *_offset_columns_v1(),
    sa.Column("format", sa.String, nullable=True),  # version 2: ScanResult.format_key
    sa.Column("drains_into", sa.String, nullable=True),  # version 3: Checkpoint.drains_into
    # version 6: lines before committed_offset; null where not known (rows older than 6).
    sa.Column("committed_lines", sa.BigInteger, nullable=True),
)


def _level_columns() -> list[sa.Column]:
    return [sa.Column(level.lower(), sa.BigInteger, nullable=False, default=0) for level in LEVELS]


# Everything ever counted per stream: survives deletion and rotation of its files.
stream_stats = sa.Table(
    "stream_stats",
    metadata,
    sa.Column("path", sa.String, primary_key=True),
    sa.Column("lines", sa.BigInteger, nullable=False, default=0),
    sa.Column("bytes", sa.BigInteger, nullable=False, default=0),
    *_level_columns(),
)


def _commit_columns_v1() -> list[sa.Column]:
    """`commits` as version 1 made it; later versions add columns by migration."""
    return [
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String, nullable=False, unique=True),
        sa.Column("committed_at", sa.Float, nullable=False),
        sa.Column("files", sa.Integer, nullable=False, default=0),
        sa.Column("lines", sa.BigInteger, nullable=False, default=0),
        sa.Column("bytes", sa.BigInteger, nullable=False, default=0),
        sa.Column("conflicts", sa.Integer, nullable=False, default=0),
        *_level_columns(),
    ]


# One row per committed run: what it added. History outputs are built from this.
commits = sa.Table(
    "commits",
    metadata,
    *_commit_columns_v1(),
    sa.Column("events_dropped", sa.BigInteger, nullable=False, default=0),  # version 5
    sqlite_autoincrement=True,  # ids are never reused, so a seq can never come back
)


def _pending_event_columns_v5() -> list[sa.Column]:
    """`pending_events` as version 5 made it; version 10 adds `batch`."""
    return [
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("commit_id", sa.Integer, nullable=False, index=True),  # commits.id
        sa.Column("path", sa.String, nullable=False),  # the stream
        sa.Column("file", sa.String, nullable=False),  # the file read (a rotated name, a .gz)
        sa.Column("service", sa.String, nullable=False),
        sa.Column("fingerprint", sa.String, nullable=False),  # the file's: with an offset, the id
        sa.Column("start", sa.BigInteger, nullable=False),  # where the read started
        sa.Column("count", sa.Integer, nullable=False),
        # Before version 10: JSON, {"offset": [...], "line_number": [...], ...} (`Events`
        # columns); empty where `batch` holds the events.
        sa.Column("events", sa.Text, nullable=False),
    ]


# One row per read with events, inserted in the transaction that commits the read's counts and
# deleted once the warehouse's part files for that commit are written (`warehouse/publish.py`): a
# run killed between the two leaves them here for the next run to publish. A row per read, not
# per event: 25,000 events insert as a few rows, not 25,000.
pending_events = sa.Table(
    "pending_events",
    metadata,
    *_pending_event_columns_v5(),
    sa.Column("batch", sa.LargeBinary, nullable=True),  # version 10: `event_rows.encode`
    sqlite_autoincrement=True,
)

# Each read's records per minute and level, kept like `pending_events`.
pending_minutes = sa.Table(
    "pending_minutes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("commit_id", sa.Integer, nullable=False, index=True),
    sa.Column("path", sa.String, nullable=False),
    sa.Column("service", sa.String, nullable=False),
    # JSON: {"minute": [...], "level": [...], "count": [...]}; minute -1: no time in the text.
    sa.Column("counts", sa.Text, nullable=False),
    sqlite_autoincrement=True,
)

# What retention deleted: one row per dataset partition, with its rows and (for the time series)
# its records per level, so the published files plus these add up to what was committed.
expired = sa.Table(
    "expired",
    metadata,
    sa.Column("dataset", sa.String, primary_key=True),
    sa.Column("date", sa.String, primary_key=True),
    sa.Column("expired_at", sa.Float, nullable=False),
    sa.Column("rows", sa.BigInteger, nullable=False),
    *_level_columns(),
)

# One row: the newest commits.id whose row is in `warehouse/severity_history/`. Advanced in the
# transaction that follows writing the part files, so a publisher killed between the two writes
# the same parts again (named by their first commit) and nothing twice.
published = sa.Table(
    "published",
    metadata,
    sa.Column("history_through", sa.BigInteger, nullable=False),
)


def _message_template_columns_v7() -> list[sa.Column]:
    return [
        sa.Column("id", sa.String, primary_key=True),  # Template.id: never changes
        sa.Column("template", sa.Text, nullable=False),  # its tokens joined by single spaces
    ]


def _template_path_columns_v7() -> list[sa.Column]:
    return [
        sa.Column("path", sa.String, primary_key=True),  # the stream
        sa.Column("created", sa.BigInteger, nullable=False),  # templates it created (the cap)
        sa.Column("other", sa.BigInteger, nullable=False),  # its messages past the cap
    ]


# The template miner's state: one row per template, and per stream what it created and how many
# of its messages went to the `other` template once it reached the cap.
message_templates = sa.Table("message_templates", metadata, *_message_template_columns_v7())
template_paths = sa.Table("template_paths", metadata, *_template_path_columns_v7())


def _alerts_sent_columns_v8() -> list[sa.Column]:
    return [
        sa.Column("rule", sa.String, primary_key=True),
        sa.Column("subject", sa.String, primary_key=True),  # the stream (path), or a problem's key
        sa.Column("window_start", sa.BigInteger, primary_key=True),  # epoch minute of the window
        sa.Column("run_id", sa.String, nullable=False),  # the run that claimed it (last)
        sa.Column("claimed_at", sa.Float, nullable=False),
        sa.Column("status", sa.String, nullable=False),  # claimed | delivered | failed | unsent
        sa.Column("attempts", sa.Integer, nullable=False, default=0),
        sa.Column("payload", sa.Text, nullable=True),  # JSON, kept so a later run can retry it
    ]


# One row per alert (rule, subject, window): inserted by the run that claims it, in a write
# transaction, so two runs, overlapping or not, never both send it.
alerts_sent = sa.Table("alerts_sent", metadata, *_alerts_sent_columns_v8())


def _files_read_columns_v9() -> list[sa.Column]:
    return [
        sa.Column("stream", sa.String, primary_key=True),
        sa.Column("dev", sa.BigInteger, primary_key=True),
        sa.Column("inode", sa.BigInteger, primary_key=True),
        sa.Column("fingerprint", sa.String, nullable=False),
        sa.Column("fingerprint_len", sa.Integer, nullable=False),
        sa.Column("read_to", sa.BigInteger, nullable=False),  # bytes read (uncompressed for gzip)
        sa.Column("seq", sa.BigInteger, nullable=False),  # commits.id that wrote it: newest kept
    ]


# Per stream, the files it has read (its rows' files once they moved on, rotated tails, copies,
# .gz), the newest few only: a file in here is a generation already read, not a new one.
files_read = sa.Table("files_read", metadata, *_files_read_columns_v9())

# A single row every writer updates first: serializes commits on any database (on SQLite the
# transaction already starts with BEGIN IMMEDIATE; on Postgres this is the row lock).
write_lock = sa.Table(
    "write_lock",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("writes", sa.BigInteger, nullable=False),
)


def to_db_int(value: int) -> int:
    """Device and inode numbers are unsigned 64-bit; databases store signed 64-bit integers."""
    return value - (1 << 64) if value >= 1 << 63 else value


def from_db_int(value: int) -> int:
    return value + (1 << 64) if value < 0 else value


def _migrate_to_1(conn: sa.Connection) -> None:
    # stream_stats, commits and write_lock are still as version 1 made them.
    sa.Table("offsets", sa.MetaData(), *_offset_columns_v1()).create(conn)
    metadata.create_all(conn, tables=[stream_stats, write_lock])
    sa.Table("commits", sa.MetaData(), *_commit_columns_v1(), sqlite_autoincrement=True).create(
        conn
    )
    conn.execute(sa.insert(write_lock).values(id=1, writes=0))


def _migrate_to_2(conn: sa.Connection) -> None:
    conn.execute(sa.text("ALTER TABLE offsets ADD COLUMN format VARCHAR"))


def _migrate_to_3(conn: sa.Connection) -> None:
    conn.execute(sa.text("ALTER TABLE offsets ADD COLUMN drains_into VARCHAR"))


def _error_event_columns_v4() -> list[sa.Column]:
    """`error_events` as version 4 made it (dropped by version 5)."""
    return [
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("commit_id", sa.Integer, nullable=False),
        sa.Column("path", sa.String, nullable=False),
        sa.Column("file", sa.String, nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("events", sa.Text, nullable=False),
    ]


def _migrate_to_4(conn: sa.Connection) -> None:
    table = sa.Table(
        "error_events", sa.MetaData(), *_error_event_columns_v4(), sqlite_autoincrement=True
    )
    table.create(conn)


def _migrate_to_5(conn: sa.Connection) -> None:
    # Stored error events were already published to error_events.parquet, which events/ replaces.
    conn.execute(sa.text("DROP TABLE error_events"))
    conn.execute(sa.text("ALTER TABLE commits ADD COLUMN events_dropped BIGINT NOT NULL DEFAULT 0"))
    frozen = sa.MetaData()
    sa.Table(
        "pending_events", frozen, *_pending_event_columns_v5(), sqlite_autoincrement=True
    ).create(conn)
    metadata.create_all(conn, tables=[pending_minutes, expired])


def _migrate_to_6(conn: sa.Connection) -> None:
    # 0: the first publish appends every commit so far (severity_history.parquet is superseded).
    metadata.create_all(conn, tables=[published])
    conn.execute(sa.insert(published).values(history_through=0))
    conn.execute(sa.text("ALTER TABLE offsets ADD COLUMN committed_lines BIGINT"))


def _migrate_to_7(conn: sa.Connection) -> None:
    frozen = sa.MetaData()
    sa.Table("message_templates", frozen, *_message_template_columns_v7())
    sa.Table("template_paths", frozen, *_template_path_columns_v7())
    frozen.create_all(conn)


def _migrate_to_8(conn: sa.Connection) -> None:
    sa.Table("alerts_sent", sa.MetaData(), *_alerts_sent_columns_v8()).create(conn)


def _migrate_to_9(conn: sa.Connection) -> None:
    sa.Table("files_read", sa.MetaData(), *_files_read_columns_v9()).create(conn)


def _migrate_to_10(conn: sa.Connection) -> None:
    kind = sa.LargeBinary().compile(dialect=conn.dialect)
    conn.execute(sa.text(f"ALTER TABLE pending_events ADD COLUMN batch {kind}"))


MIGRATIONS: dict[int, Callable[[sa.Connection], None]] = {
    1: _migrate_to_1,
    2: _migrate_to_2,
    3: _migrate_to_3,
    4: _migrate_to_4,
    5: _migrate_to_5,
    6: _migrate_to_6,
    7: _migrate_to_7,
    8: _migrate_to_8,
    9: _migrate_to_9,
    10: _migrate_to_10,
}


class SchemaTooNew(RuntimeError):
    """The database was written by a newer logingest; refusing to guess its meaning."""


def current_version(conn: sa.Connection) -> int:
    if not sa.inspect(conn).has_table(schema_version.name):
        return 0
    return int(conn.execute(sa.select(schema_version.c.version)).scalar() or 0)


def migrate(conn: sa.Connection) -> int:
    """Bring the schema to SCHEMA_VERSION within the caller's (write) transaction."""
    version = current_version(conn)
    if version > SCHEMA_VERSION:
        raise SchemaTooNew(
            f"offset store schema is version {version}; this logingest knows up to "
            f"{SCHEMA_VERSION}. Upgrade logingest, or point it at another store."
        )
    if version == SCHEMA_VERSION:
        return version
    if version == 0:
        metadata.create_all(conn, tables=[schema_version])
        conn.execute(sa.insert(schema_version).values(version=0))
    for target in range(version + 1, SCHEMA_VERSION + 1):
        MIGRATIONS[target](conn)
        conn.execute(sa.update(schema_version).values(version=target))
    return SCHEMA_VERSION
