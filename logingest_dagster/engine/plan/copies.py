"""Copytruncate copies with a `.log` name (`app.1.log`, `app-20261126.log`, `file.rot3.log`).

Such a copy is discovered like any `.log` file, so without this it is read from 0, and the bytes
its stream had already committed are counted twice. A new file (no row at its path, not a rename)
is taken for the copy of a stream when that stream's file was truncated in place (same inode,
fewer bytes or another head) and the new file's head and length cover what the stream had
committed: the copy then continues from the stream's offset, as its own stream.

A stream still intact keeps files with the same first bytes apart (two services that print the
same banner are two files); a stream last seen empty has no head to recognise a copy by.
"""

from __future__ import annotations

from collections.abc import Mapping

from logingest_dagster.engine.discover.listing import LogFileEntry
from logingest_dagster.engine.plan.identity import try_read_head
from logingest_dagster.engine.plan.read_plan import Checkpoint


def find_log_named_copies(
    rows: Mapping[str, Checkpoint],
    entries: Mapping[str, LogFileEntry],
    displaced: Mapping[tuple[int, int], list[Checkpoint]],
) -> dict[str, Checkpoint]:
    """Path of each new `.log` file that is the copy of a truncated stream -> that stream's row.

    Each stream gives at most one copy: the oldest (by mtime) of those that match it.
    """
    new = [
        e
        for e in entries.values()
        if e.path not in rows and (e.dev, e.inode) not in displaced and e.size > 0
    ]
    if not new:
        return {}
    truncated = [row for row in rows.values() if _truncated_in_place(row, entries.get(row.path))]
    copies: dict[str, Checkpoint] = {}
    taken: set[str] = set()
    for entry in sorted(new, key=lambda e: (e.mtime, e.path)):
        candidates = [r for r in truncated if r.path not in taken and entry.size >= r.offset]
        if not candidates:
            continue
        head = try_read_head(entry.path)
        if head is None:
            continue
        for row in candidates:
            if row.identity.fingerprint.matches(head):
                copies[entry.path] = row
                taken.add(row.path)
                break
    return copies


def _truncated_in_place(row: Checkpoint, entry: LogFileEntry | None) -> bool:
    """The row's file is still at its path but no longer holds what the row committed."""
    if row.identity.fingerprint.length == 0 or row.offset == 0 or entry is None:
        return False
    if not row.identity.same_inode(entry.dev, entry.inode):
        return False
    if entry.size < row.offset:
        return True
    head = try_read_head(entry.path)
    return head is not None and not row.identity.fingerprint.matches(head)
