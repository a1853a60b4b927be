"""Where did a tracked file go? The search through its rotated siblings, in its own directory.

When `app.log` is no longer the file we were reading, the unread tail of that file is still
somewhere next to it: renamed (`app.log.1`, `app.log-20240101`: same inode), renamed and compressed
(`app.log.1.gz`: a new inode, but the decompressed head is the fingerprint we kept), or copied
before a copytruncate (`app.log.1`: a new inode, same head). Only names that start with the
stream's stem and do not end in `.log` are candidates; `.log` names are discovered files and are
matched by inode in the planner instead.

This runs only for streams whose file changed identity, so listing the directory is affordable;
listings are cached for the duration of one plan.
"""

from __future__ import annotations

import logging
import os
import stat
from dataclasses import dataclass

from logingest_dagster.engine.discover import LOG_SUFFIX
from logingest_dagster.engine.plan.identity import FileIdentity, fingerprint_of, try_read_head
from logingest_dagster.engine.plan.read_plan import Checkpoint

log = logging.getLogger(__name__)

GZIP_SUFFIX = ".gz"


@dataclass(frozen=True)
class Sibling:
    path: str
    size: int
    mtime: float
    dev: int
    inode: int

    @property
    def compressed(self) -> bool:
        return self.path.endswith(GZIP_SUFFIX)


@dataclass(frozen=True)
class Whereabouts:
    """The tracked file (or a copy of it), found under another name."""

    sibling: Sibling
    identity: FileIdentity
    same_file: bool  # True: the very file (same inode), still writable; False: a copy or a .gz
    # The very file, but truncated or rewritten before it was renamed: read it from 0.
    start_over: bool = False


class SiblingFinder:
    """Rotation candidates per directory, listed once per plan; only candidates are stat-ed."""

    def __init__(self) -> None:
        self._names: dict[str, list[str] | None] = {}

    def is_directory_listable(self, path: str) -> bool:
        return self._listing(os.path.dirname(path)) is not None

    def find(self, row: Checkpoint, *, exclude_inode: bool = False) -> Whereabouts | None:
        """The file `row` was reading, or the newest copy of it, among `row.path`'s siblings.

        `exclude_inode`: the file itself is still at the path (copytruncate): look for copies only.
        """
        candidates = self.candidates(row.path)
        if not exclude_inode:
            moved = self._by_inode(row, candidates)
            if moved is not None:
                return moved
        return self._by_fingerprint(row, candidates)

    def candidates(self, path: str) -> list[Sibling]:
        directory, name = os.path.split(path)
        stem = name[: -len(LOG_SUFFIX)] if name.endswith(LOG_SUFFIX) else name
        siblings = []
        for other in self._listing(directory) or []:
            if other.startswith(stem) and other != name and not other.endswith(LOG_SUFFIX):
                sibling = _stat_regular(os.path.join(directory, other))
                if sibling is not None:
                    siblings.append(sibling)
        return siblings

    def _by_inode(self, row: Checkpoint, candidates: list[Sibling]) -> Whereabouts | None:
        for sibling in candidates:
            if sibling.compressed or not row.identity.same_inode(sibling.dev, sibling.inode):
                continue
            head = try_read_head(sibling.path)
            # An unreadable head cannot disprove it; the scan will report the file instead.
            if head is None:
                identity = FileIdentity(sibling.dev, sibling.inode, row.identity.fingerprint)
                return Whereabouts(sibling, identity, same_file=True)
            # Our inode under a rotated name with another head or fewer bytes: truncated (or
            # deleted and its inode reused) and then rotated, all between two runs. Whatever it
            # holds now was never read.
            rewritten = sibling.size < row.offset or not row.identity.fingerprint.matches(head)
            identity = FileIdentity(sibling.dev, sibling.inode, fingerprint_of(head))
            return Whereabouts(sibling, identity, same_file=True, start_over=rewritten)
        return None

    def _by_fingerprint(self, row: Checkpoint, candidates: list[Sibling]) -> Whereabouts | None:
        if row.identity.fingerprint.length == 0:
            return None  # the file was empty when last seen: any file would "match"
        # Newest first: with a head that repeats across rotations (a fixed banner), the most
        # recent rotation is the one the unread tail went to.
        for sibling in sorted(candidates, key=lambda s: s.mtime, reverse=True):
            if row.identity.same_inode(sibling.dev, sibling.inode):
                continue
            if not sibling.compressed and sibling.size < row.offset:
                continue  # a copy made before what we already read cannot hold our tail
            head = try_read_head(sibling.path, compressed=sibling.compressed)
            if head is not None and row.identity.fingerprint.matches(head):
                identity = FileIdentity(sibling.dev, sibling.inode, fingerprint_of(head))
                return Whereabouts(sibling, identity, same_file=False)
        return None

    def _listing(self, directory: str) -> list[str] | None:
        if directory not in self._names:
            try:
                self._names[directory] = os.listdir(directory)
            except OSError as exc:
                log.debug("cannot list %s for rotated files: %s", directory, exc)
                self._names[directory] = None
        return self._names[directory]


def gzip_has_more_than(path: str, offset: int) -> bool:
    """False only if the gzip trailer says the content is exactly `offset` bytes long.

    ISIZE (the last 4 bytes) is the uncompressed size mod 2**32 of the last member; logrotate
    writes one member, so this spares decompressing a rotation whose tail was already read.
    When in doubt, True: the tail is read and at worst found empty.
    """
    try:
        with open(path, "rb") as f:
            f.seek(-4, os.SEEK_END)
            isize = int.from_bytes(f.read(4), "little")
    except OSError:
        return True
    return isize != offset % (1 << 32)


def _stat_regular(path: str) -> Sibling | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    return Sibling(path, st.st_size, st.st_mtime, st.st_dev, st.st_ino)
