"""Line framing: where the newlines of a buffer are, and the block of whole lines over it.

`np.flatnonzero` over one flag per byte walks all of them, a visible share of a scan's CPU. Log
lines are long, so most 8-byte words of flags are zero: the words holding a newline are found
first, over an eighth as many elements, then the newline inside each one. Short lines (a newline
in most words) take the plain walk. Figures: benchmarks/README.md.
"""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

# The word path wins until about this share of the 8-byte words hold a newline (very short
# lines): beyond it, the plain walk is quicker.
_MOST_WORDS = 2 / 3
_LITTLE_ENDIAN = sys.byteorder == "little"

_scratch = threading.local()


def newline_positions(data: bytes | memoryview) -> np.ndarray:
    """The offset of every `\\n` in `data`, ascending (int64)."""
    chars = np.frombuffer(data, dtype=np.uint8)
    size = len(chars)
    flags = np.equal(chars, 10, out=_flags(size))
    body = size & ~7
    if not _LITTLE_ENDIAN or not body:
        return np.flatnonzero(flags)
    words = flags[:body].view(np.uint64)
    hits = np.flatnonzero(words != 0)
    if len(hits) > _MOST_WORDS * len(words):
        return np.flatnonzero(flags)
    found = words[hits]
    if (found & (found - 1)).any():  # a word holds two newlines or more
        within = np.flatnonzero(found.view(np.bool_))
        positions = (hits[within >> 3] << 3) | (within & 7)
    else:
        # The one flag in each word is byte b, bit 8b: the bits below it number 8b.
        positions = (hits << 3) | (np.bitwise_count(found - 1) >> 3)
    if body < size:
        tail = np.flatnonzero(flags[body:])
        if len(tail):
            positions = np.concatenate((positions, tail + body))
    return positions


def _flags(size: int) -> np.ndarray:
    """This thread's scratch array, grown as needed and reused (a new 4 MB array per chunk costs
    page faults every time)."""
    flags = getattr(_scratch, "flags", None)
    if flags is None or len(flags) < size:
        flags = _scratch.flags = np.empty(size, dtype=bool)
    return flags[:size]


@dataclass
class LineBlock:
    """Whole lines as one large_binary array over a buffer, without copying the bytes."""

    lines: pa.Array
    offsets: np.ndarray  # line i is data[offsets[i]:offsets[i + 1]] (int64, one more than lines)
    starts: np.ndarray  # each line's offset into `data`
    ends: np.ndarray  # just after each line's newline
    data: np.ndarray  # the buffer, as uint8
    # Where each line starts in the file's own bytes, from the block's first line, when that is
    # not `starts`: the lines of a decoded file (`utf16.py`). None: `starts`.
    file_starts: np.ndarray | None = None

    @classmethod
    def from_buffer(cls, data: memoryview, newline_positions: np.ndarray) -> LineBlock:
        """`data` ends just after its last newline; each line keeps its `\\n` (and any `\\r`).

        Patterns are anchored at `^` and end with `\\s` or `$`, so the newline never changes a
        match, and leaving it in lets the offsets come straight from the newline positions.
        """
        n = len(newline_positions)
        offsets = np.empty(n + 1, dtype=np.int64)
        offsets[0] = 0
        np.add(newline_positions, 1, out=offsets[1:])
        lines = pa.LargeBinaryArray.from_buffers(
            pa.large_binary(), n, [None, pa.py_buffer(offsets), pa.py_buffer(data)]
        )
        return cls(lines, offsets, offsets[:-1], offsets[1:], np.frombuffer(data, dtype=np.uint8))

    def first_bytes(self) -> np.ndarray:
        return self.data[self.starts]
