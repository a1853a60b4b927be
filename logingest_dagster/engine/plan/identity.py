"""File identity: (device, inode) plus a fingerprint of the first bytes.

The inode says "same file" cheaply, but inodes are reused after a delete, and copytruncate keeps the
inode while replacing the content. The fingerprint of the head catches both: a file whose first
bytes changed is not the file we were reading. Two files with the same first bytes are still two
files, because their inodes differ; the fingerprint never merges files, it only splits them.

A head shorter than `FINGERPRINT_BYTES` is fingerprinted as it is and its length kept, so a small
file that grows still matches (its old head is a prefix of the new one).
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass

FINGERPRINT_BYTES = 1024


@dataclass(frozen=True)
class Fingerprint:
    digest: str  # blake2b-128 of the first `length` bytes, hex
    length: int

    def matches(self, head: bytes) -> bool:
        """True if `head` (the current first bytes) starts with the bytes this fingerprint saw."""
        return len(head) >= self.length and _digest(head[: self.length]) == self.digest


def fingerprint_of(head: bytes) -> Fingerprint:
    head = head[:FINGERPRINT_BYTES]
    return Fingerprint(_digest(head), len(head))


@dataclass(frozen=True)
class FileIdentity:
    dev: int
    inode: int
    fingerprint: Fingerprint

    def same_inode(self, dev: int, inode: int) -> bool:
        return self.dev == dev and self.inode == inode


def read_head(path: str, compressed: bool = False, limit: int = FINGERPRINT_BYTES) -> bytes:
    """The first `limit` bytes of the file (of its decompressed content for gzip).

    Raises OSError (and EOFError / gzip.BadGzipFile for a damaged or unfinished gzip).
    """
    if compressed:
        with gzip.open(path, "rb") as f:
            return f.read(limit)
    with open(path, "rb", buffering=0) as f:
        return f.read(limit)


def try_read_head(path: str, compressed: bool = False) -> bytes | None:
    """`read_head`, or None if the file cannot be read (gone, unreadable, not really gzip)."""
    try:
        return read_head(path, compressed)
    except (OSError, EOFError):  # gzip.BadGzipFile is an OSError
        return None


def identify(path: str, dev: int, inode: int, compressed: bool = False) -> FileIdentity:
    """Identity of a file already stat-ed; an unreadable head yields the empty fingerprint, which
    matches anything, so the scan (not discovery) reports the file as unreadable."""
    head = try_read_head(path, compressed)
    return FileIdentity(dev, inode, fingerprint_of(head or b""))


def _digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()
