"""Rotated generations a stream never read: several rotations, or a copytruncate, between runs.

The rotation search (`rotation.py`) finds the one file the stream's row was reading. When
`app.log` was rotated three times between two runs (`mv app.log app.log.K`, a new app.log), the
two generations in between were `app.log` only while no run looked, and when a file last seen
empty was written and copytruncated, its copy holds lines the empty fingerprint cannot recognise.
Such a generation is a rotated name of the stream (`app.log.2`, `app.log-20261126`, `.gz` of
those) that
- was modified after the stream's file was last seen (`Checkpoint.mtime`): older files are
  archives from before, never this stream's unread lines (a new stream does not read them either);
- is not a file some row follows (the rotation search and the draining rows handle those), nor a
  copy or `.gz` of one (same first bytes as any row's file);
- is not a file the stream read before (`files_read`: same inode and first bytes, or a copy or
  `.gz` of it with its first bytes), or has more than was read of it: then the rest is read.
A `.gz` unknown to the stream is taken for a new generation only once the stream has a history:
a stream tracked before that history was kept cannot tell an old generation compressed since from
a new one.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from logingest_dagster.engine.plan.identity import FileIdentity, fingerprint_of, try_read_head
from logingest_dagster.engine.plan.read_plan import Checkpoint, FileRead
from logingest_dagster.engine.plan.rotation import GZIP_SUFFIX, Sibling

# What follows `name.log` in a rotated name: a separator, then a number or a date (digits first).
_ROTATED_SUFFIX = re.compile(r"[.\-_]\d[\w.\-]*")


@dataclass(frozen=True)
class Unread:
    """A rotated file of the stream and where its unread bytes start (0: never read)."""

    sibling: Sibling
    identity: FileIdentity
    start: int


def is_rotated_name(log_name: str, other: str) -> bool:
    """`app.log.3`, `app.log-20261126`, `app.log.3.gz` for `app.log`; not `app.log.bak`."""
    if not other.startswith(log_name):
        return False
    suffix = other[len(log_name) :].removesuffix(GZIP_SUFFIX)
    return _ROTATED_SUFFIX.fullmatch(suffix) is not None


def unread_generations(
    row: Checkpoint,
    siblings: Sequence[Sibling],
    rows: Iterable[Checkpoint],
    known: Sequence[FileRead],
) -> list[Unread]:
    """The rotated siblings of `row`'s stream holding bytes it never read, oldest first.

    `rows`: every offset row (any stream, draining ones included); `known`: `files_read` of
    the stream."""
    name = os.path.basename(row.path)
    rows = list(rows)
    followed = {(r.identity.dev, r.identity.inode) for r in rows}
    # A copy or `.gz` of a file some row follows is that row's to read (its rotation search).
    followed_heads = [r.identity.fingerprint for r in rows if r.identity.fingerprint.length > 0]
    found = []
    for sibling in sorted(siblings, key=lambda s: (s.mtime, s.path)):
        if sibling.mtime <= row.mtime or not is_rotated_name(name, os.path.basename(sibling.path)):
            continue
        if not sibling.compressed and (
            sibling.size == 0 or (sibling.dev, sibling.inode) in followed
        ):
            continue
        head = try_read_head(sibling.path, compressed=sibling.compressed)
        if not head or any(fp.matches(head) for fp in followed_heads):
            continue
        start = _read_to(sibling, head, known)
        if start is None:
            if sibling.compressed and not known:
                continue
            start = 0
        found.append(
            Unread(sibling, FileIdentity(sibling.dev, sibling.inode, fingerprint_of(head)), start)
        )
    return found


def _read_to(sibling: Sibling, head: bytes, known: Sequence[FileRead]) -> int | None:
    """How far the stream read this file (or the file it is a copy or `.gz` of); None: never."""
    best = None
    for read in known:
        fingerprint = read.identity.fingerprint
        if not sibling.compressed and read.identity.same_inode(sibling.dev, sibling.inode):
            # The very file, unless its inode was reused by another since.
            if sibling.size >= read.read_to and (
                fingerprint.length == 0 or fingerprint.matches(head)
            ):
                return read.read_to
        elif fingerprint.length > 0 and fingerprint.matches(head):
            best = max(best or 0, read.read_to)  # several alike (a repeated banner): the most read
    return best
