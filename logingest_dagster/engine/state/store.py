"""The offset store: per stream, the file it follows, how far it is read, and what was counted.

Opened from a URL (`sqlite:///<home>/state/offsets.db` by default; any SQLAlchemy URL, so Postgres
can back it when runs span machines). Only the planner reads it (`checkpoints`) and only the commit
writes offsets and counts, in one transaction, so a run killed at any moment leaves either all of
its counts with their offsets or none of them.

SQLite runs in WAL mode (readers never block the writer) with a busy timeout, and every write
transaction starts with BEGIN IMMEDIATE, so two writers queue instead of failing half-way.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from logingest_dagster.engine.levels import LEVELS
from logingest_dagster.engine.plan import (
    Checkpoint,
    FileRead,
    Forget,
    Plan,
    ReadTask,
    TaskKind,
)
from logingest_dagster.engine.problems import CORRUPT_MESSAGES, StoreDamaged, damaged_store_message
from logingest_dagster.engine.scan import ScanResult, format_name_from_key
from logingest_dagster.engine.state import alerts_sent
from logingest_dagster.engine.state.alerts_sent import AlertKey
from logingest_dagster.engine.state.commit import (
    CHECKPOINT_COLUMNS,
    CommitSummary,
    checkpoint_of,
    commit_results,
)
from logingest_dagster.engine.state.files_read import files_read_by, forget_files_read
from logingest_dagster.engine.state.integrity import check_sqlite_file
from logingest_dagster.engine.state.schema import (
    SCHEMA_VERSION,
    commits,
    current_version,
    expired,
    migrate,
    offsets,
    pending_events,
    pending_minutes,
    published,
    stream_stats,
    write_lock,
)

__all__ = [
    "Checkpoint",
    "CommitSummary",
    "Forget",
    "OffsetStore",
    "Plan",
    "ReadTask",
    "TaskKind",
    "default_state_url",
    "open_store",
]

BUSY_TIMEOUT_MS = 60_000
STATE_DB = Path("state") / "offsets.db"


def default_state_url(home: str | os.PathLike[str]) -> str:
    return f"sqlite:///{(Path(home).resolve() / STATE_DB).as_posix()}"


@contextmanager
def open_store(home: str | os.PathLike[str], url: str | None = None) -> Iterator[OffsetStore]:
    """The store behind `url`, or the default SQLite file under `<home>/state/`."""
    store = OffsetStore(url or default_state_url(home))
    try:
        yield store
    finally:
        store.close()


class OffsetStore:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = _create_engine(url)
        self._thread = threading.local()  # .write_conn: this thread's open write transaction
        try:
            with self._reading() as conn:
                check_sqlite_file(conn)
                up_to_date = current_version(conn) == SCHEMA_VERSION
        except sa.exc.DatabaseError as exc:
            if not any(m in str(exc) for m in CORRUPT_MESSAGES):
                raise
            raise StoreDamaged(
                damaged_store_message(self.engine.url.database, str(exc.orig))
            ) from exc
        if not up_to_date:  # only then take the write lock: readers never queue behind a commit
            with self._writing(lock=False) as conn:
                if conn.dialect.name == "postgresql":  # concurrent first opens: one migrates
                    conn.execute(sa.text("SELECT pg_advisory_xact_lock(7120944313)"))
                migrate(conn)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> OffsetStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the planner's view ---------------------------------------------------------------

    def checkpoints(self) -> dict[str, Checkpoint]:
        with self._reading() as conn:
            query = sa.select(*CHECKPOINT_COLUMNS)
            return {row[0]: checkpoint_of(row) for row in conn.execute(query).all()}

    def files_read(self, stream: str) -> list[FileRead]:
        """The files `stream` has read and let go of (see `files_read.py`)."""
        with self._reading() as conn:
            return files_read_by(conn, stream)

    # -- the commit -----------------------------------------------------------------------

    def commit(
        self,
        run_id: str,
        completed: Iterable[tuple[ReadTask, ScanResult]],
        forgotten: Iterable[Forget] = (),
        mine_templates: bool = True,
    ) -> CommitSummary:
        """Advance offsets and add their counts, in one transaction (see state/commit.py)."""
        with self._writing() as conn:
            return commit_results(conn, run_id, completed, forgotten, mine_templates)

    # -- what was counted -----------------------------------------------------------------

    def totals(self) -> dict[str, int]:
        """Records per canonical level, every line ever ingested, counted once."""
        columns = [sa.func.coalesce(sa.func.sum(stream_stats.c[lv.lower()]), 0) for lv in LEVELS]
        with self._reading() as conn:
            row = conn.execute(sa.select(*columns)).one()
        return {level: int(value) for level, value in zip(LEVELS, row, strict=True)}

    def file_stats(self) -> list[dict]:
        """One dict per stream ever counted, by path: path, lines, bytes and a count per level
        (LEVELS)."""
        with self._reading() as conn:
            rows = conn.execute(sa.select(stream_stats)).mappings().all()
        # Sorted here, not by ORDER BY: a Postgres database's collation (en-US, ...) orders paths
        # differently from SQLite's bytewise order, and the Parquet output should not depend on it.
        return [
            {
                "path": row["path"],
                "lines": row["lines"],
                "bytes": row["bytes"],
                **{level: row[level.lower()] for level in LEVELS},
            }
            for row in sorted(rows, key=lambda row: row["path"])
        ]

    def has_committed(self, run_id: str | None = None) -> bool:
        """Whether run `run_id` (None: any run, or a reset) has committed to this store."""
        query = sa.select(commits.c.id).limit(1)
        if run_id is not None:
            query = query.where(commits.c.run_id == run_id)
        with self._reading() as conn:
            return conn.execute(query).first() is not None

    def commit_log(self) -> list[dict]:
        """One dict per commit (`kind` "run") and per reset (`kind` "reset", negative counts),
        oldest first; summing them gives `totals()`."""
        with self._reading() as conn:
            rows = conn.execute(sa.select(commits).order_by(commits.c.id)).mappings()
            return [_commit_log_row(row) for row in rows]

    # -- what is still to be published ----------------------------------------------------

    def run_pending(self, run_id: str) -> list[dict]:
        """What `run_id` committed that is not yet published, a dict per commit (committed_at,
        events: rows, minutes: rows): read by the alert rules before the run publishes."""
        found: dict[int, dict] = {}
        with self._reading() as conn:
            for table, key in ((pending_events, "events"), (pending_minutes, "minutes")):
                query = (
                    sa.select(commits.c.committed_at, table)
                    .join(commits, commits.c.id == table.c.commit_id)
                    .where(commits.c.run_id == run_id)
                    .order_by(table.c.id)
                )
                for row in conn.execute(query).mappings():
                    entry = found.setdefault(
                        row["commit_id"],
                        {"committed_at": row["committed_at"], "events": [], "minutes": []},
                    )
                    entry[key].append(dict(row))
        return [found[c] for c in sorted(found)]

    @contextmanager
    def pending_publication(self) -> Iterator[list[dict]]:
        """The committed events and minute counts not yet in the warehouse, a dict per commit
        (commit_id, run_id, committed_at, events_dropped, events: rows, minutes: rows), within a
        write transaction: they are deleted when the block ends normally, kept if it raises.

        The write lock also serializes publishers, so no two write the same commit's parts."""
        with self._writing() as conn:
            by_commit: dict[int, dict] = {}
            for table, key in ((pending_events, "events"), (pending_minutes, "minutes")):
                query = (
                    sa.select(
                        commits.c.run_id, commits.c.committed_at, commits.c.events_dropped, table
                    )
                    .join(commits, commits.c.id == table.c.commit_id)
                    .order_by(table.c.id)
                )
                for row in conn.execute(query).mappings():
                    entry = by_commit.setdefault(
                        row["commit_id"],
                        {
                            "commit_id": row["commit_id"],
                            "run_id": row["run_id"],
                            "committed_at": row["committed_at"],
                            "events_dropped": row["events_dropped"],
                            "events": [],
                            "minutes": [],
                        },
                    )
                    entry[key].append(dict(row))
            yield [by_commit[c] for c in sorted(by_commit)]
            ids = sorted(by_commit)
            for table in (pending_events, pending_minutes):
                for chunk in range(0, len(ids), 500):
                    conn.execute(
                        sa.delete(table).where(table.c.commit_id.in_(ids[chunk : chunk + 500]))
                    )

    @contextmanager
    def history_to_publish(self, from_start: bool = False) -> Iterator[list[dict]]:
        """The `commit_log()` rows (with `id`) not yet in `warehouse/severity_history/` (all of
        them `from_start`: a warehouse rebuilt), oldest first, within a write transaction:
        marked published when the block ends normally.

        Read by primary key from the last mark, so the cost is the commits since, not all."""
        with self._writing() as conn:
            through = conn.execute(sa.select(published.c.history_through)).scalar_one()
            through = 0 if from_start else through
            query = sa.select(commits).where(commits.c.id > through).order_by(commits.c.id)
            rows = [_commit_log_row(row) for row in conn.execute(query).mappings()]
            yield rows
            if rows:
                conn.execute(sa.update(published).values(history_through=rows[-1]["id"]))

    def unpublished_changes(self) -> set[str]:
        """The run ids (a reset's too) of the commits that change the warehouse and are not all
        in it yet: rows still pending publication, or counts not yet in `severity_history`. A
        commit of zeros (a run that found nothing new) is not one: its history row waits for
        the next publish. Read only: what a publish with nothing to do can be skipped on."""
        counted = [commits.c.files, commits.c.lines, commits.c.bytes]
        counted += [commits.c[level.lower()] for level in LEVELS]
        with self._reading() as conn:
            through = conn.execute(sa.select(published.c.history_through)).scalar_one()
            pending = sa.union(
                *(sa.select(t.c.commit_id) for t in (pending_events, pending_minutes))
            )
            query = sa.select(commits.c.run_id).where(
                sa.or_(
                    sa.and_(commits.c.id > through, sa.or_(*(c != 0 for c in counted))),
                    commits.c.id.in_(pending.scalar_subquery()),
                )
            )
            return set(conn.execute(query).scalars())

    @contextmanager
    def publishing_lock(self) -> Iterator[set[int]]:
        """Hold the write lock (no commit publishes meanwhile); yields the commits whose parts
        may still be (re)written: those with pending rows, and those not yet in the history."""
        with self._writing() as conn:
            ids = set()
            for table in (pending_events, pending_minutes):
                ids.update(conn.execute(sa.select(table.c.commit_id).distinct()).scalars())
            through = conn.execute(sa.select(published.c.history_through)).scalar_one()
            ids.update(
                conn.execute(sa.select(commits.c.id).where(commits.c.id > through)).scalars()
            )
            yield ids

    def record_expired(self, dataset: str, date: str, rows: int, counts: dict[str, int]) -> None:
        """Add what retention is about to delete of `dataset`'s partition `date`."""
        with self._writing() as conn:
            key = (expired.c.dataset == dataset) & (expired.c.date == date)
            prior = conn.execute(sa.select(expired).where(key)).mappings().first()
            values = {
                "expired_at": time.time(),
                "rows": rows + (prior["rows"] if prior else 0),
                **{
                    lv.lower(): counts.get(lv, 0) + (prior[lv.lower()] if prior else 0)
                    for lv in LEVELS
                },
            }
            if prior is None:
                conn.execute(sa.insert(expired).values(dataset=dataset, date=date, **values))
            else:
                conn.execute(sa.update(expired).where(key).values(**values))

    def expired(self) -> list[dict]:
        """Every partition retention deleted: dataset, date, expired_at, rows, a count per level
        (lower case)."""
        with self._reading() as conn:
            rows = conn.execute(sa.select(expired)).mappings().all()
        return sorted((dict(row) for row in rows), key=lambda r: (r["dataset"], r["date"]))

    # -- alerts: each claimed once (alerts_sent.py) ------------------------------------------

    def claim_alerts(self, run_id: str, payloads: dict[AlertKey, str]) -> list[AlertKey]:
        with self._writing() as conn:
            return alerts_sent.claim(conn, run_id, payloads, time.time())

    def take_over_alerts(self, run_id: str, oldest: float) -> list[tuple[AlertKey, str]]:
        with self._writing() as conn:
            return alerts_sent.take_over(conn, run_id, time.time(), oldest)

    def settle_alerts(self, outcomes: Iterable[tuple[AlertKey, bool]]) -> None:
        with self._writing() as conn:
            alerts_sent.settle(conn, outcomes)

    # -- operator commands ----------------------------------------------------------------

    def tracked(self) -> list[dict]:
        """Tracked streams for `logingest state`: path, offset, size, unread bytes, file status,
        and the format kept for the file (None until a full sample of it settled one).

        `size` and `unread` are taken from the file now when it is still the tracked one; a file
        replaced at the path is unread from 0; a missing file shows what was last seen.
        """
        result = []
        for row in sorted(self.checkpoints().values(), key=lambda r: r.path):
            if row.drains_into is not None:  # a rotated file, found again by inode on each run
                status, size, unread = "draining", row.size, max(0, row.size - row.offset)
                result.append(_tracked_row(row, status, size, unread))
                continue
            try:
                st = os.stat(row.path)
            except OSError:
                status, size, unread = "missing", row.size, max(0, row.size - row.offset)
            else:
                if row.identity.same_inode(st.st_dev, st.st_ino):
                    status, size, unread = "tracked", st.st_size, max(0, st.st_size - row.offset)
                else:
                    status, size, unread = "replaced", st.st_size, st.st_size
            result.append(_tracked_row(row, status, size, unread))
        return result

    def reset(self, paths: Sequence[str] | None = None) -> int:
        """Forget streams (all of them by default) so their files are read again from 0.

        Their counts and unpublished events are forgotten too, so reading them again counts them once,
        not twice; the commit log records the reset with negative counts so that it still sums to
        the totals.
        Returns how many streams were forgotten.
        """
        with self._writing() as conn:
            if paths is None:
                where_offsets, where_stats = sa.true(), sa.true()
                where_events = where_minutes = sa.true()
            else:
                chosen = sorted({os.path.abspath(p) for p in paths})
                # A stream's draining rows (its rotated files) go with it.
                where_offsets = offsets.c.path.in_(chosen) | offsets.c.drains_into.in_(chosen)
                where_stats = stream_stats.c.path.in_(chosen)
                where_events = pending_events.c.path.in_(chosen)
                where_minutes = pending_minutes.c.path.in_(chosen)
            streams = sa.select(offsets.c.path).where(
                where_offsets, offsets.c.drains_into.is_(None)
            )
            forgotten = set(conn.execute(streams).scalars())
            removed = conn.execute(sa.select(stream_stats).where(where_stats)).mappings().all()
            forgotten.update(row["path"] for row in removed)
            conn.execute(sa.delete(offsets).where(where_offsets))
            conn.execute(sa.delete(stream_stats).where(where_stats))
            forget_files_read(conn, None if paths is None else chosen)
            # Not yet published: they are read again, once.
            conn.execute(sa.delete(pending_events).where(where_events))
            conn.execute(sa.delete(pending_minutes).where(where_minutes))
            if removed:
                conn.execute(
                    sa.insert(commits).values(
                        run_id=f"{_RESET_PREFIX}{uuid.uuid4().hex}",
                        committed_at=time.time(),
                        files=len(removed),
                        lines=-sum(row["lines"] for row in removed),
                        bytes=-sum(row["bytes"] for row in removed),
                        conflicts=0,
                        **{lv.lower(): -sum(row[lv.lower()] for row in removed) for lv in LEVELS},
                    )
                )
        return len(forgotten)

    # -- transactions ---------------------------------------------------------------------

    @contextmanager
    def _reading(self) -> Iterator[sa.Connection]:
        with self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def _writing(self, lock: bool = True) -> Iterator[sa.Connection]:
        open_write = getattr(self._thread, "write_conn", None)
        if open_write is not None:
            # A write within a write (retention recording what it skips while publishing): it
            # joins the open transaction; a second connection would wait on the first forever.
            yield open_write
            return
        with self.engine.connect() as raw:
            conn = raw.execution_options(logingest_write=True)
            with conn.begin():
                if lock:
                    conn.execute(sa.update(write_lock).values(writes=write_lock.c.writes + 1))
                self._thread.write_conn = conn
                try:
                    yield conn
                finally:
                    self._thread.write_conn = None


_RESET_PREFIX = "reset-"  # the run_id of a reset's row in `commits`


def _commit_log_row(row) -> dict:
    return dict(row, kind="reset" if row["run_id"].startswith(_RESET_PREFIX) else "run")


def _tracked_row(row: Checkpoint, status: str, size: int, unread: int) -> dict:
    return {
        "path": row.path,
        "offset": row.offset,
        "size": size,
        "unread": unread,
        "status": status,
        "format": format_name_from_key(row.format_key),
        "committed_at": row.committed_at,
    }


def _create_engine(url: str) -> sa.Engine:
    engine = sa.create_engine(url)
    if engine.dialect.name == "sqlite":
        database = engine.url.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        sa.event.listen(engine, "connect", _sqlite_on_connect)
        sa.event.listen(engine, "begin", _sqlite_on_begin)
    return engine


def _sqlite_on_connect(dbapi_connection, _record) -> None:
    # Let SQLAlchemy's begin event emit BEGIN itself (pysqlite's own transaction handling would
    # start transactions late, after the first read, which breaks read-then-write atomicity).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = FULL")  # a commit survives power loss, not just a kill
    cursor.close()


def _sqlite_on_begin(conn: sa.Connection) -> None:
    # IMMEDIATE takes the write lock up front: a writer that read first and then tried to write
    # could otherwise fail with SQLITE_BUSY instead of waiting its turn.
    immediate = conn.get_execution_options().get("logingest_write")
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
