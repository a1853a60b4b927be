"""The planner: compare what discovery saw with the offset store and decide what to read.

It is the only reader of the store, and it never reads a file's body: a stat decides most files;
the first bytes (the fingerprint) are read only for files whose size, mtime or inode changed, for
new files, and for rotation candidates. An unchanged file is not opened at all.

Per stream (logical `.log` path), by how its file relates to the row:
- same inode at the path: grown (from the offset), truncated (smaller, or a different head: from 0,
  plus the unread tail of a copytruncate copy if one is next to it), or unchanged;
- the row's inode now under another `.log` name: renamed, continued from the offset there;
- another inode at the path: replaced, read from 0, and the old file's unread tail is looked for
  among the rotated siblings (same inode, or same head for `.gz` rotations and copies);
- nothing at the path: the old file is followed to its rotated name while no new file exists,
  or the row is forgotten if the file is gone for good.
Whenever a stream's file changed identity, or grew when it was last seen empty, rotated
generations it never read (several rotations between runs) are looked for too (`generations`).

A rotated file written to within `rotate_wait_seconds` when a new file takes its name may still
get lines (the writer has not reopened its log yet). Its tail is read into a *draining* row of its
own (`read_plan.draining_key`), which reads on as it grows, counting for the stream, and is dropped
once the file has been that quiet with everything read, or is gone.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from logingest_dagster.engine.discover import LogFileEntry
from logingest_dagster.engine.plan.copies import find_log_named_copies
from logingest_dagster.engine.plan.generations import unread_generations
from logingest_dagster.engine.plan.identity import FileIdentity, fingerprint_of, try_read_head
from logingest_dagster.engine.plan.read_plan import (
    Checkpoint,
    Expectation,
    FileRead,
    Forget,
    Plan,
    ReadTask,
    TaskKind,
    draining_key,
)
from logingest_dagster.engine.plan.rotation import SiblingFinder, Whereabouts, gzip_has_more_than

log = logging.getLogger(__name__)


class CheckpointSource(Protocol):
    """What planning needs of the offset store: every tracked stream's checkpoint, by row key,
    and, for the few streams whose file changed identity, the files each has read before."""

    def checkpoints(self) -> dict[str, Checkpoint]: ...

    def files_read(self, stream: str) -> list[FileRead]: ...


class StatLike(Protocol):
    path: str
    size: int
    mtime: float
    dev: int
    inode: int


def plan_reads(
    store: CheckpointSource,
    entries: Sequence[LogFileEntry],
    now: float,
    partial_line_grace_seconds: float = 60.0,
    max_files: int | None = None,
    rotate_wait_seconds: float = 300.0,
) -> Plan:
    """Read tasks for every discovered file with something new, and forgets for files gone.

    A last line with no newline waits until its file has been quiet `partial_line_grace_seconds`;
    a rotated file is followed until it has been quiet `rotate_wait_seconds`. `max_files` bounds
    the tasks of one run; whole units are deferred (least recently served streams go first), so
    the rest waits for the next run without starving anyone.
    """
    planner = _Planner(
        store.checkpoints(),
        entries,
        now,
        partial_line_grace_seconds,
        rotate_wait_seconds,
        store.files_read,
    )
    return planner.plan(max_files)


@dataclass
class _Draft:
    item: ReadTask | Forget
    priority: float  # lower is served first: when the stream was last committed


class _Planner:
    def __init__(
        self,
        rows: dict[str, Checkpoint],
        entries: Iterable[LogFileEntry],
        now: float,
        grace: float,
        rotate_wait: float,
        files_read: Callable[[str], list[FileRead]],
    ) -> None:
        self.rows = {k: row for k, row in rows.items() if row.drains_into is None}
        self.draining = [row for row in rows.values() if row.drains_into is not None]
        self.entries = {e.path: e for e in entries}
        self.now, self.grace, self.rotate_wait = now, grace, rotate_wait
        self.siblings = SiblingFinder()
        self.drafts: list[_Draft] = []
        self.unchanged = 0
        self.notes: list[str] = []
        self.claimed: set[str] = set()  # rows whose file was followed to another .log name
        self.files_read = files_read
        self.searched: set[str] = set()  # streams whose unread generations were looked for
        # Rows whose file is not at their path any more, by inode: where renames are looked up
        # (a draining file renamed to a `.log` name goes on as that stream, like any other).
        self.displaced: dict[tuple[int, int], list[Checkpoint]] = {}
        for row in rows.values():
            entry = self.entries.get(row.path)
            if entry is None or not row.identity.same_inode(entry.dev, entry.inode):
                key = (row.identity.dev, row.identity.inode)
                self.displaced.setdefault(key, []).append(row)

    def plan(self, max_files: int | None) -> Plan:
        self.copies = find_log_named_copies(self.rows, self.entries, self.displaced)
        for entry in self.entries.values():
            self._plan_entry(entry)
        for row in self.rows.values():
            if not self._is_displaced(row):
                continue
            if row.path not in self.claimed:
                self._plan_displaced(row)
                continue
            # Renamed to another .log name, which reads on in it; generations that were this
            # name after it are still this stream's.
            self._unread_generations(row)
            if row.path not in self.entries and not os.path.lexists(row.path):
                self._forget(row)  # nothing replaced it
        for row in self.draining:
            self._plan_draining(row)
        return self._assemble(max_files)

    # -- discovered files ------------------------------------------------------------------

    def _plan_entry(self, entry: LogFileEntry) -> None:
        row = self.rows.get(entry.path)
        if row is not None and row.identity.same_inode(entry.dev, entry.inode):
            self._continue(row, entry, TaskKind.GROWN, counts_as_unchanged=True)
            return
        head = try_read_head(entry.path)
        identity = FileIdentity(entry.dev, entry.inode, fingerprint_of(head or b""))
        source = self._renamed_from(entry, head)
        own = (entry.path, row.seq if row else None)
        if source is not None:
            self.claimed.add(source.path)
            self._task(
                entry, source.offset, TaskKind.RENAMED, stream=entry.path, identity=identity,
                expects=((source.path, source.seq), own), priority=source.committed_at,
                fmt=source.format_key, lines=source.lines,
            )  # fmt: skip
        elif entry.path in self.copies:
            source = self.copies[entry.path]
            self._task(
                entry, source.offset, TaskKind.COPIED, stream=entry.path, identity=identity,
                expects=((source.path, source.seq), own), priority=source.committed_at,
                fmt=source.format_key, lines=source.lines,
            )  # fmt: skip
        else:
            kind = TaskKind.NEW if row is None else TaskKind.REPLACED
            priority = row.committed_at if row else entry.mtime
            self._task(
                entry, 0, kind, stream=entry.path, identity=identity, expects=(own,),
                priority=priority,
            )  # fmt: skip

    def _renamed_from(self, entry: LogFileEntry, head: bytes | None) -> Checkpoint | None:
        """The row whose file moved to this `.log` name, if the head proves it is that file."""
        for row in self.displaced.get((entry.dev, entry.inode), []):
            if row.path == entry.path or row.path in self.claimed:
                continue
            if entry.size < row.offset:
                continue  # inode reused by a smaller file
            if head is None or row.identity.fingerprint.matches(head):
                return row
        return None

    # -- the same file, wherever it is now --------------------------------------------------

    def _continue(
        self, row: Checkpoint, f: StatLike, kind: TaskKind, *, counts_as_unchanged: bool
    ) -> None:
        """Plan the next read of the file `row` tracks, found (same inode) at `f.path`."""
        quiet = self._is_quiet(f)
        own = ((row.path, row.seq),)
        stream, key = _stream_of(row), row.path if row.drains_into else None
        if f.size == row.size and f.mtime == row.mtime:
            # Stat unchanged: not opened. Only a held-back last line may be due (grace passed).
            if row.offset < f.size and quiet:
                self._task(
                    f, row.offset, TaskKind.PARTIAL_LINE, stream=stream, identity=row.identity,
                    expects=own, priority=row.committed_at, final=True, fmt=row.format_key,
                    lines=row.lines, row=key,
                )  # fmt: skip
            elif counts_as_unchanged:
                self.unchanged += 1
            return
        if row.identity.fingerprint.length == 0:
            # Last seen empty: nothing tells this file from one written and copytruncated since.
            self._unread_generations(row)
        head = try_read_head(f.path)
        fingerprint = row.identity.fingerprint if head is None else fingerprint_of(head)
        identity = FileIdentity(f.dev, f.inode, fingerprint)
        same_head = head is None or row.identity.fingerprint.matches(head)
        if same_head and f.size >= row.offset:
            if f.size == row.offset:
                if counts_as_unchanged:
                    self.unchanged += 1  # touched, nothing appended
                return
            self._task(
                f, row.offset, kind, stream=stream, identity=identity, expects=own,
                priority=row.committed_at, final=quiet, fmt=row.format_key, lines=row.lines,
                row=key,
            )  # fmt: skip
            return
        # Truncated in place (or the inode was reused): from 0, and a copytruncate copy may hold
        # the tail we had not read yet.
        self._task(
            f, 0, TaskKind.TRUNCATED, stream=stream, identity=identity, expects=own,
            priority=row.committed_at, final=quiet, row=key,
        )  # fmt: skip
        copy = self.siblings.find(replace(row, path=stream), exclude_inode=True)
        if copy is not None:
            self._tail(row, copy, TaskKind.COPYTRUNCATE_TAIL)
        self._unread_generations(row)

    # -- rows whose file is not at their path -----------------------------------------------

    def _is_displaced(self, row: Checkpoint) -> bool:
        entry = self.entries.get(row.path)
        return entry is None or not row.identity.same_inode(entry.dev, entry.inode)

    def _plan_displaced(self, row: Checkpoint) -> None:
        replaced = row.path in self.entries  # a new file took the path: it is read from 0
        if not replaced and os.path.lexists(row.path):
            # There, but not discovered this run (its directory is no longer configured, or it
            # could not be stat-ed): not ours to judge now.
            return
        if not self.siblings.is_directory_listable(row.path):
            self.notes.append(f"{row.path}: its directory cannot be listed; state kept as is")
            return
        self._unread_generations(row)
        found = self.siblings.find(row)
        if found is None:
            if row.offset < row.size:
                self.notes.append(
                    f"{row.path}: {row.size - row.offset} unread bytes of the previous file "
                    "could not be found among its rotated names"
                )
            if not replaced:
                self._forget(row)
            return
        if found.same_file and not replaced:
            # Renamed away and nothing new at the path yet: the writer may still be writing to
            # it, so keep following it rather than reading it once and letting go.
            self._continue(row, found.sibling, TaskKind.ROTATED_TAIL, counts_as_unchanged=False)
            return
        if found.start_over:
            row = replace(row, offset=0, format_key=None)  # rewritten before it was renamed
        if found.same_file and not self._is_done_rotating(found.sibling):
            # The row follows the new file; the writer may not have reopened its log yet.
            self._start_draining(row, found)
            return
        self._tail(row, found, TaskKind.ROTATED_TAIL)
        if not replaced:
            self._forget(row)  # a .gz or a copy is read once, whole; the stream has no file now

    # -- rotated files still being written ---------------------------------------------------

    def _is_quiet(self, f: StatLike) -> bool:
        """Quiet long enough for a last line with no newline to be taken as whole."""
        return self.now - f.mtime >= self.grace

    def _is_done_rotating(self, f: StatLike) -> bool:
        """A rotated file quiet long enough that its writer has surely reopened its log."""
        return self.now - f.mtime >= self.rotate_wait

    def _unread_generations(self, row: Checkpoint) -> None:
        """Read the rotated files of `row`'s stream it never read (or not to their end): each
        once, whole, or drained like any rotated file while its writer may still hold it."""
        if row.drains_into is not None or row.path in self.searched:
            return
        self.searched.add(row.path)
        rows = [*self.rows.values(), *self.draining]
        candidates = self.siblings.candidates(row.path)
        for unread in unread_generations(row, candidates, rows, self.files_read(row.path)):
            generation = replace(
                row, offset=unread.start, format_key=None, lines=0 if unread.start == 0 else None
            )
            plain = not unread.sibling.compressed
            found = Whereabouts(unread.sibling, unread.identity, same_file=plain)
            if plain and not self._is_done_rotating(unread.sibling):
                self._start_draining(generation, found, TaskKind.GENERATION)
            else:
                self._tail(generation, found, TaskKind.GENERATION)

    def _start_draining(
        self, row: Checkpoint, found: Whereabouts, kind: TaskKind = TaskKind.ROTATED_TAIL
    ) -> None:
        """Read the old file's unread tail into a draining row of its own (even an empty read:
        the row is what catches the lines still to come)."""
        key = draining_key(row.path, found.identity)
        if any(d.path == key for d in self.draining):
            return  # the file came back to the stream's name and left again: its row reads on
        self._task(
            found.sibling, row.offset, kind, stream=row.path,
            identity=found.identity, expects=((row.path, row.seq), (key, None)),
            priority=row.committed_at, fmt=row.format_key, lines=row.lines, row=key,
        )  # fmt: skip

    def _plan_draining(self, row: Checkpoint) -> None:
        """Read on in a draining file, or drop its row: quiet and read to the end, or gone."""
        assert row.drains_into is not None
        if row.path in self.claimed:  # renamed to a `.log` name: that stream reads on from here
            self._forget(row)
            return
        if not self.siblings.is_directory_listable(row.drains_into):
            return  # not ours to judge now
        found = self.siblings.find(replace(row, path=row.drains_into))
        if found is None:
            if row.offset < row.size:
                self.notes.append(
                    f"{row.drains_into}: {row.size - row.offset} unread bytes of a rotated file "
                    "could not be found among its rotated names"
                )
            self._forget(row)
        elif not found.same_file:  # compressed or copied since: read the rest once
            self._tail(row, found, TaskKind.DRAINING)
            self._forget(row)
        elif found.sibling.size == row.offset and self._is_done_rotating(found.sibling):
            self._forget(row)  # everything read, and the writer has moved on
        else:
            self._continue(row, found.sibling, TaskKind.DRAINING, counts_as_unchanged=False)

    def _tail(self, row: Checkpoint, found: Whereabouts, kind: TaskKind) -> None:
        """Read the unread rest of the old file (counts only; the row follows the new file)."""
        sibling = found.sibling
        if sibling.compressed:
            if not gzip_has_more_than(sibling.path, row.offset):
                return
        elif sibling.size <= row.offset:
            return
        self._task(
            sibling, row.offset, kind, stream=_stream_of(row), identity=found.identity,
            expects=((row.path, row.seq),), priority=row.committed_at, final=True,
            compressed=sibling.compressed, follow=False, fmt=row.format_key,
            lines=row.lines,
        )  # fmt: skip

    # -- drafting and assembling ------------------------------------------------------------

    def _task(
        self,
        f: StatLike,
        start: int,
        kind: TaskKind,
        *,
        stream: str,
        identity: FileIdentity,
        expects: tuple[Expectation, ...],
        priority: float,
        final: bool | None = None,
        compressed: bool = False,
        follow: bool = True,
        fmt: str | None = None,
        lines: int | None = None,
        row: str | None = None,
    ) -> None:
        """`fmt`, `lines`: the stored format and line count, for a read that goes on in a file a
        row already tracks; `row`: the draining row this read advances (`ReadTask.row`)."""
        if final is None:
            final = self._is_quiet(f)
        task = ReadTask(
            path=f.path,
            start=start,
            stop=None if compressed else f.size,  # gzip offsets are uncompressed: read to the end
            final=final,
            compressed=compressed,
            stream=stream,
            kind=kind,
            identity=identity,
            follow=follow,
            size=f.size,
            mtime=f.mtime,
            expects=expects,
            format_key=fmt,
            row=row,
            start_line=0 if start == 0 else lines,
        )
        self.drafts.append(_Draft(task, priority))

    def _forget(self, row: Checkpoint) -> None:
        self.drafts.append(_Draft(Forget(row.path, ((row.path, row.seq),)), row.committed_at))

    def _assemble(self, max_files: int | None) -> Plan:
        units = _Units()
        for draft in self.drafts:
            units.add(draft)
        tasks: list[ReadTask] = []
        forgotten: list[Forget] = []
        deferred = 0
        for members in units.in_priority_order():
            n_tasks = sum(isinstance(d.item, ReadTask) for d in members)
            if max_files is not None and n_tasks and tasks and len(tasks) + n_tasks > max_files:
                deferred += n_tasks
                continue
            unit, size = units.key_of(members[0]), len(members)
            for draft in members:
                item = replace(draft.item, unit=unit, unit_size=size)
                (tasks if isinstance(item, ReadTask) else forgotten).append(item)  # type: ignore[arg-type]
        for note in self.notes:
            log.info("plan: %s", note)
        return Plan(tasks, self.unchanged, deferred, forgotten, self.notes)


def _stream_of(row: Checkpoint) -> str:
    """The stream whose statistics a row's reads count for."""
    return row.drains_into or row.path


class _Units:
    """Union-find over stream paths: drafts that touch a common row form one unit."""

    def __init__(self) -> None:
        self._parent: dict[str, str] = {}
        self._drafts: list[_Draft] = []

    def add(self, draft: _Draft) -> None:
        paths = [p for p, _ in draft.item.expects]
        if isinstance(draft.item, ReadTask):
            paths.append(draft.item.stream)
        for path in paths[1:]:
            self._union(paths[0], path)
        self._drafts.append(draft)

    def key_of(self, draft: _Draft) -> str:
        return self._find(draft.item.expects[0][0])

    def in_priority_order(self) -> list[list[_Draft]]:
        groups: dict[str, list[_Draft]] = {}
        for draft in self._drafts:
            groups.setdefault(self.key_of(draft), []).append(draft)
        return sorted(
            groups.values(), key=lambda ds: (min(d.priority for d in ds), self.key_of(ds[0]))
        )

    def _find(self, path: str) -> str:
        parent = self._parent.setdefault(path, path)
        if parent != path:
            parent = self._parent[path] = self._find(parent)
        return parent

    def _union(self, a: str, b: str) -> None:
        ra, rb = self._find(a), self._find(b)
        if ra != rb:
            # The smaller path is the root, so unit names do not depend on the order of drafts.
            self._parent[max(ra, rb)] = min(ra, rb)
