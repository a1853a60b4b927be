"""The commit: one transaction that advances offsets and adds the counts they produced.

Units (see read_plan.py) are all or nothing. A unit is dropped, to be planned again next run, when
- a member did not complete (missing, failed, interrupted): committing the rest could move a row
  past a tail nobody counted, or leave a tail to be counted twice;
- a row it was planned from changed since (compare-and-set on `seq`): another run committed that
  stream first, so this run's reading of it is stale and would count bytes twice.
A run_id commits once; committing it again returns the first commit's summary and changes nothing.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa

from logingest_dagster.engine.levels import LEVELS, add_counts, empty_counts
from logingest_dagster.engine.plan import (
    Checkpoint,
    Expectation,
    FileIdentity,
    Fingerprint,
    Forget,
    ReadTask,
)
from logingest_dagster.engine.scan import Events, ScanResult
from logingest_dagster.engine.state.files_read import FilesReadNotes
from logingest_dagster.engine.state.schema import (
    commits,
    from_db_int,
    offsets,
    pending_events,
    pending_minutes,
    stream_stats,
    to_db_int,
)
from logingest_dagster.engine.state.templates import mine_event_templates

log = logging.getLogger(__name__)

IN_CHUNK = 500  # paths per IN (...) clause: far below any database's bound-parameter limit


@dataclass(frozen=True)
class CommitSummary:
    run_id: str
    already_committed: bool = False  # True: this run_id had committed before; nothing changed
    files: int = 0  # tasks whose results were committed
    lines: int = 0
    bytes: int = 0
    counts: dict[str, int] = field(default_factory=empty_counts)
    conflicts: int = 0  # tasks dropped: their stream changed since planning (another run won)
    incomplete: int = 0  # tasks dropped: a member of their unit did not complete
    forgotten: int = 0  # offset rows dropped (files gone; their statistics stay)
    events: int = 0  # events stored, to be published
    events_dropped: int = 0  # events beyond the scans' limit, counted but not kept


def commit_results(
    conn: sa.Connection,
    run_id: str,
    completed: Iterable[tuple[ReadTask, ScanResult]],
    forgotten: Iterable[Forget],
    mine_templates: bool = True,
) -> CommitSummary:
    """Apply a run's results within `conn`'s write transaction (the caller holds the lock).

    With `mine_templates`, the accepted events' messages are mined here, once for the run, and
    each event stored with its template: the miner's state is saved in this transaction, so a
    template id is committed exactly when the events that name it are."""
    prior = conn.execute(sa.select(commits).where(commits.c.run_id == run_id)).mappings().first()
    if prior is not None:
        return _summary_of(prior)
    now = time.time()
    commit_id = conn.execute(
        sa.insert(commits).values(run_id=run_id, committed_at=now)
    ).inserted_primary_key[0]

    units = _group_units(completed, forgotten)
    expected = {path for members in units.values() for m in members for path, _ in m.expects}
    current = _current_rows(conn, expected)
    seqs = {path: row.seq for path, row in current.items()}
    accepted: list[_Member] = []
    conflicts = incomplete = 0
    for unit, members in units.items():
        n_tasks = sum(m.result is not None for m in members)
        if len(members) != members[0].unit_size or any(m.failed for m in members):
            incomplete += n_tasks
            log.info("commit %s: unit %s incomplete; it is read again next run", run_id, unit)
        elif any(seqs.get(path) != seq for m in members for path, seq in m.expects):
            conflicts += n_tasks
            log.warning(
                "commit %s: %s changed since this run planned it (another run committed it); "
                "this run's reading of it is dropped and picked up again next run",
                run_id,
                unit,
            )
        else:
            accepted.extend(members)

    summary = _apply(conn, commit_id, now, accepted, mine_templates, current)
    totals = {level.lower(): summary.counts[level] for level in LEVELS}
    conn.execute(
        sa.update(commits)
        .where(commits.c.id == commit_id)
        .values(
            files=summary.files,
            lines=summary.lines,
            bytes=summary.bytes,
            conflicts=conflicts,
            events_dropped=summary.events_dropped,
            **totals,
        )
    )
    return CommitSummary(
        run_id=run_id,
        files=summary.files,
        lines=summary.lines,
        bytes=summary.bytes,
        counts=summary.counts,
        conflicts=conflicts,
        incomplete=incomplete,
        forgotten=summary.forgotten,
        events=summary.events,
        events_dropped=summary.events_dropped,
    )


@dataclass
class _Member:
    """A task with its result, or a forget (result None)."""

    item: ReadTask | Forget
    result: ScanResult | None = None

    @property
    def expects(self) -> tuple[Expectation, ...]:
        return self.item.expects

    @property
    def unit_size(self) -> int:
        return self.item.unit_size

    @property
    def failed(self) -> bool:
        if not isinstance(self.item, ReadTask):
            return False
        r = self.result
        return (
            r is None
            or r.error is not None
            or r.interrupted
            or r.start != self.item.start
            or r.end < r.start
        )


def _group_units(
    completed: Iterable[tuple[ReadTask, ScanResult]], forgotten: Iterable[Forget]
) -> dict[str, list[_Member]]:
    units: dict[str, list[_Member]] = {}
    seen: set[ReadTask | Forget] = set()  # the same task handed in twice counts once
    for task, result in completed:
        if task not in seen:
            seen.add(task)
            units.setdefault(task.unit, []).append(_Member(task, result))
    for forget in forgotten:
        if forget not in seen:
            seen.add(forget)
            units.setdefault(forget.unit, []).append(_Member(forget))
    return units


def _current_rows(conn: sa.Connection, paths: Iterable[str]) -> dict[str, Checkpoint]:
    rows: dict[str, Checkpoint] = {}
    for chunk in _chunks(sorted(paths)):
        query = sa.select(*CHECKPOINT_COLUMNS).where(offsets.c.path.in_(chunk))
        rows.update({row[0]: checkpoint_of(row) for row in conn.execute(query)})
    return rows


@dataclass
class _Applied:
    files: int = 0
    lines: int = 0
    bytes: int = 0
    counts: dict[str, int] = field(default_factory=empty_counts)
    forgotten: int = 0
    events: int = 0
    events_dropped: int = 0


def _apply(
    conn: sa.Connection,
    commit_id: int,
    now: float,
    members: list[_Member],
    mine_templates: bool,
    current: dict[str, Checkpoint],
) -> _Applied:
    applied = _Applied()
    reads = FilesReadNotes()
    unfollowed: set[str] = set()  # rows a read without a row of its own was planned from
    rows: dict[str, dict | None] = {}  # path -> new offset row, or None: drop it
    deltas: dict[str, dict[str, int]] = {}
    with_events: list[tuple[ReadTask, Events, str]] = []
    minutes: list[dict] = []
    for member in members:
        item, result = member.item, member.result
        if isinstance(item, Forget):
            rows.setdefault(item.path, None)
            continue
        assert result is not None
        delta = deltas.setdefault(item.stream, {"lines": 0, "bytes": 0, **empty_counts()})
        delta["lines"] += result.lines
        delta["bytes"] += result.bytes_read
        add_counts(delta, result.counts)
        applied.files += 1
        applied.lines += result.lines
        applied.bytes += result.bytes_read
        add_counts(applied.counts, result.counts)
        if item.follow:
            rows[item.row_key] = _offset_row(item, result, commit_id, now)
            prior = current.get(item.row_key)
            if prior is None or not prior.identity.same_inode(
                item.identity.dev, item.identity.inode
            ):
                reads.note_read(item.stream, item.identity, result.end)
        else:
            reads.note_read(item.stream, item.identity, result.end)
            unfollowed.update(path for path, _ in item.expects)
        service = result.service or _stem(item.stream)
        if len(result.events):
            with_events.append((item, result.events, service))
            applied.events += len(result.events)
        applied.events_dropped += result.events.dropped
        if result.minute_counts:
            minutes.append(_minutes_row(item, result.minute_counts, service, commit_id))
    applied.forgotten = sum(row is None for row in rows.values())
    for key, row in rows.items():
        prior = current.get(key)
        if prior is not None and (row is None or _other_file(prior, row)):
            reads.note_left(prior.drains_into or key, prior.identity, prior.offset)
    _replace_offsets(conn, rows)
    # A read that no row follows changed what its stream has read: another run planned from the
    # same rows must find them changed (compare-and-set), even where no row moved.
    _bump_seqs(conn, unfollowed - rows.keys(), commit_id)
    reads.save(conn, commit_id)
    _add_stats(conn, deltas)
    if with_events:
        conn.execute(
            sa.insert(pending_events), _events_rows(conn, with_events, commit_id, mine_templates)
        )
    if minutes:
        conn.execute(sa.insert(pending_minutes), minutes)
    return applied


def _events_rows(
    conn: sa.Connection,
    with_events: list[tuple[ReadTask, Events, str]],
    commit_id: int,
    mine_templates: bool,
) -> list[dict]:
    """The `pending_events` rows of the accepted reads: each read's events as one Arrow batch
    (`event_rows`), with its templates mined here, in the commit's transaction."""
    from logingest_dagster.engine.state.event_rows import encode, stored_batch

    batches = [found.batch() for _, found, _ in with_events]
    templates = None
    if mine_templates:
        messages = [
            (task.stream, batch["message"])
            for (task, _, _), batch in zip(with_events, batches, strict=True)
        ]
        templates = mine_event_templates(conn, messages)
    rows = []
    for i, ((task, _, service), batch) in enumerate(zip(with_events, batches, strict=True)):
        stored = stored_batch(batch, task.start_line, None if templates is None else templates[i])
        rows.append(
            {
                "commit_id": commit_id,
                "path": task.stream,
                "file": task.path,
                "service": service,
                "fingerprint": task.identity.fingerprint.digest,
                "start": task.start,
                "count": batch.num_rows,
                "events": "",
                "batch": encode(stored),
            }
        )
    return rows


def _minutes_row(
    task: ReadTask, counts: dict[tuple[int, str], int], service: str, commit_id: int
) -> dict:
    keys = sorted(counts)
    encoded = {
        "minute": [minute for minute, _ in keys],
        "level": [level for _, level in keys],
        "count": [counts[key] for key in keys],
    }
    return {
        "commit_id": commit_id,
        "path": task.stream,
        "service": service,
        "counts": json.dumps(encoded),
    }


def _stem(stream: str) -> str:
    """The default service of a stream: its file name without `.log` (`/var/log/api.log`: api)."""
    name = stream.rsplit("/", 1)[-1]
    return name[:-4] if name.endswith(".log") else name


def _offset_row(task: ReadTask, result: ScanResult, commit_id: int, now: float) -> dict:
    return {
        "path": task.row_key,
        "drains_into": task.stream if task.row else None,
        "dev": to_db_int(task.identity.dev),
        "inode": to_db_int(task.identity.inode),
        "fingerprint": task.identity.fingerprint.digest,
        "fingerprint_len": task.identity.fingerprint.length,
        "committed_offset": result.end,
        "size": task.size,
        "mtime": task.mtime,
        "seq": commit_id,
        "committed_at": now,
        "format": result.format_key,
        "committed_lines": None if task.start_line is None else task.start_line + result.lines,
    }


def _replace_offsets(conn: sa.Connection, rows: dict[str, dict | None]) -> None:
    for chunk in _chunks(sorted(rows)):
        conn.execute(sa.delete(offsets).where(offsets.c.path.in_(chunk)))
    new_rows = [row for row in rows.values() if row is not None]
    if new_rows:
        conn.execute(sa.insert(offsets), new_rows)


# What `checkpoint_of` reads, in its order: a row unpacked by position, not by name (SQLAlchemy's
# attribute access cost more than the rest of planning when every stream is read).
CHECKPOINT_COLUMNS = (
    offsets.c.path,
    offsets.c.dev,
    offsets.c.inode,
    offsets.c.fingerprint,
    offsets.c.fingerprint_len,
    offsets.c.committed_offset,
    offsets.c.size,
    offsets.c.mtime,
    offsets.c.seq,
    offsets.c.committed_at,
    offsets.c.format,
    offsets.c.drains_into,
    offsets.c.committed_lines,
)


def checkpoint_of(row: sa.Row) -> Checkpoint:
    """An `offsets` row selected as `CHECKPOINT_COLUMNS`, as the planner sees it."""
    path, dev, inode, digest, length, offset, size, mtime, seq, at, key, drains, lines = row
    identity = FileIdentity(from_db_int(dev), from_db_int(inode), Fingerprint(digest, length))
    return Checkpoint(
        path=path,
        identity=identity,
        offset=offset,
        size=size,
        mtime=mtime,
        seq=seq,
        committed_at=at,
        format_key=key,
        drains_into=drains,
        lines=lines,
    )


def _other_file(prior: Checkpoint, row: dict) -> bool:
    return (to_db_int(prior.identity.dev), to_db_int(prior.identity.inode)) != (
        row["dev"],
        row["inode"],
    )


def _bump_seqs(conn: sa.Connection, paths: set[str], commit_id: int) -> None:
    for chunk in _chunks(sorted(paths)):
        conn.execute(sa.update(offsets).where(offsets.c.path.in_(chunk)).values(seq=commit_id))


def _add_stats(conn: sa.Connection, deltas: dict[str, dict[str, int]]) -> None:
    if not deltas:
        return
    merged: dict[str, dict] = {}
    for chunk in _chunks(sorted(deltas)):
        query = sa.select(stream_stats).where(stream_stats.c.path.in_(chunk))
        for row in conn.execute(query).mappings():
            merged[row["path"]] = dict(row)
        conn.execute(sa.delete(stream_stats).where(stream_stats.c.path.in_(chunk)))
    for path, delta in deltas.items():
        row = merged.setdefault(path, _empty_stats(path))
        row["lines"] += delta["lines"]
        row["bytes"] += delta["bytes"]
        for level in LEVELS:
            row[level.lower()] += delta[level]
    conn.execute(sa.insert(stream_stats), list(merged.values()))


def _empty_stats(path: str) -> dict:
    return {"path": path, "lines": 0, "bytes": 0, **{level.lower(): 0 for level in LEVELS}}


def _summary_of(row) -> CommitSummary:
    return CommitSummary(
        run_id=row["run_id"],
        already_committed=True,
        files=row["files"],
        lines=row["lines"],
        bytes=row["bytes"],
        counts={level: row[level.lower()] for level in LEVELS},
        conflicts=row["conflicts"],
    )


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for i in range(0, len(items), IN_CHUNK):
        yield items[i : i + IN_CHUNK]
