"""One hash of what discovery saw: any append, rewrite, rotation, new or deleted file moves it.

The sensor compares it tick to tick, and a run records the one its discovery saw as the data
version of the log directories, so the sensor knows what the last run already covered.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable

from logingest_dagster.engine.discover.listing import LogFileEntry


def fingerprint(entries: Iterable[LogFileEntry]) -> str:
    """sha256 hex of every entry's path, size, mtime, device and inode, in listing order (sorted
    by path, so it does not depend on the order the directory returned them)."""
    digest = hashlib.sha256()
    for entry in entries:
        stat = f"\0{entry.size}\0{entry.mtime!r}\0{entry.dev}\0{entry.inode}\n"
        digest.update(os.fsencode(entry.path) + stat.encode())
    return digest.hexdigest()
