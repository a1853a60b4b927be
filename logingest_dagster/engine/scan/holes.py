"""Runs of NUL bytes where a line would begin: holes, not binary data.

A writer that opened its log without O_APPEND (`app > app.log`) keeps writing at its own offset
after a copytruncate, so the truncated file starts with a hole that reads as NUL bytes, then the
new lines. Such a run is skipped; only NUL bytes after it make a file binary.
"""

from __future__ import annotations

import contextlib
import os

_CHUNK = 64 << 10


def end_of_hole(fd: int, pos: int, stop: int | None = None) -> int:
    """The offset of the first byte at or after `pos` that is not NUL (at most `stop`, or the end
    of the file): `pos` itself when the byte there is not NUL."""
    limit = os.fstat(fd).st_size if stop is None else stop
    if pos >= limit or os.pread(fd, 1, pos) != b"\0":
        return pos
    # Past unallocated blocks at once; ENXIO (no data after pos) or no SEEK_DATA: read on.
    with contextlib.suppress(OSError):
        pos = max(pos, os.lseek(fd, pos, os.SEEK_DATA))
    while pos < limit:
        chunk = os.pread(fd, min(_CHUNK, limit - pos), pos)
        if not chunk:
            break
        rest = chunk.lstrip(b"\0")
        pos += len(chunk) - len(rest)
        if rest:
            break
    return min(pos, limit)
