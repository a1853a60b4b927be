"""What each stream has read, file by file, kept after its row moved on (the `files_read` table).

An offset row knows one file: the one its stream follows now. Once the stream moves on (a
rotation, a copytruncate, a delete), the planner still has to tell a rotated sibling it already
read (`app.log.2`, or that file compressed later into `app.log.2.gz`, a new inode) from a
generation it never saw (`plan.generations`). So the commit notes, in its transaction:
- a row's file when the row stops following it (replaced, forgotten), with the row's offset;
- a file read without a row following it (a rotated tail, a copy, a `.gz`), with where the read
  ended;
- a file a row starts following (a new stream, a replaced file), so that a stream with history
  is known to have been tracked since this table existed.
The newest `KEPT_PER_STREAM` files of each stream are kept: only recent generations can still be
mistaken for new ones (an older one's mtime is older than the file the stream follows now).
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from logingest_dagster.engine.plan import FileIdentity, FileRead, Fingerprint
from logingest_dagster.engine.state.schema import files_read, from_db_int, to_db_int

KEPT_PER_STREAM = 64
IN_CHUNK = 300  # (stream, dev, inode) triples per IN clause: 900 parameters

_Key = tuple[str, int, int]  # stream, dev and inode as stored (signed)


class FilesReadNotes:
    """The files one commit saw a stream read or let go of; `save` writes them."""

    def __init__(self) -> None:
        self._left: dict[_Key, dict] = {}  # a row's file, as the row had read it
        self._read: dict[_Key, dict] = {}  # a file read by this commit: newer, so it wins

    def note_read(self, stream: str, identity: FileIdentity, read_to: int) -> None:
        key, row = _row(stream, identity, read_to)
        prior = self._read.get(key)
        if prior is None or prior["read_to"] < read_to:
            self._read[key] = row

    def note_left(self, stream: str, identity: FileIdentity, read_to: int) -> None:
        key, row = _row(stream, identity, read_to)
        self._left[key] = row

    def save(self, conn: sa.Connection, commit_id: int) -> None:
        rows = {**self._left, **self._read}
        if not rows:
            return
        keys = sorted(rows)
        columns = sa.tuple_(files_read.c.stream, files_read.c.dev, files_read.c.inode)
        for i in range(0, len(keys), IN_CHUNK):
            conn.execute(sa.delete(files_read).where(columns.in_(keys[i : i + IN_CHUNK])))
        conn.execute(sa.insert(files_read), [dict(row, seq=commit_id) for row in rows.values()])
        _prune(conn, sorted({stream for stream, _, _ in keys}))


def files_read_by(conn: sa.Connection, stream: str) -> list[FileRead]:
    query = sa.select(files_read).where(files_read.c.stream == stream)
    return [
        FileRead(
            FileIdentity(
                from_db_int(row.dev),
                from_db_int(row.inode),
                Fingerprint(row.fingerprint, row.fingerprint_len),
            ),
            row.read_to,
        )
        for row in conn.execute(query)
    ]


def forget_files_read(conn: sa.Connection, streams: Iterable[str] | None) -> None:
    """Drop what `streams` (all, for None) have read: a reset reads them again from nothing."""
    if streams is None:
        conn.execute(sa.delete(files_read))
        return
    chosen = sorted(streams)
    for i in range(0, len(chosen), IN_CHUNK):
        conn.execute(sa.delete(files_read).where(files_read.c.stream.in_(chosen[i : i + IN_CHUNK])))


def _row(stream: str, identity: FileIdentity, read_to: int) -> tuple[_Key, dict]:
    dev, inode = to_db_int(identity.dev), to_db_int(identity.inode)
    row = {
        "stream": stream,
        "dev": dev,
        "inode": inode,
        "fingerprint": identity.fingerprint.digest,
        "fingerprint_len": identity.fingerprint.length,
        "read_to": read_to,
    }
    return (stream, dev, inode), row


def _prune(conn: sa.Connection, streams: list[str]) -> None:
    """Keep the newest `KEPT_PER_STREAM` files of each stream (one query per chunk to find the
    few streams over it)."""
    for i in range(0, len(streams), IN_CHUNK):
        over = conn.execute(
            sa.select(files_read.c.stream)
            .where(files_read.c.stream.in_(streams[i : i + IN_CHUNK]))
            .group_by(files_read.c.stream)
            .having(sa.func.count() > KEPT_PER_STREAM)
        ).scalars()
        for stream in list(over):
            kept = (
                sa.select(files_read.c.seq)
                .where(files_read.c.stream == stream)
                .order_by(files_read.c.seq.desc())
                .limit(1)
                .offset(KEPT_PER_STREAM - 1)
                .scalar_subquery()
            )
            conn.execute(
                sa.delete(files_read).where(files_read.c.stream == stream, files_read.c.seq < kept)
            )
