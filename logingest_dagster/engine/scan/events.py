"""Error events: the first line of every ERROR and FATAL record, with where it is in its file.

Taken from the levels the scan has already worked out for a block (no second look at the text),
so the cost is one comparison over the block's line codes plus a copy of each event's line. A read
keeps at most `ScanOptions.max_events` of them and counts the rest as dropped, so one file full of
errors cannot make a step's result (or the store) arbitrarily large.
"""

from __future__ import annotations

import numpy as np

from logingest_dagster.engine.levels import LEVELS
from logingest_dagster.engine.scan.lines import LineBlock
from logingest_dagster.engine.scan.result import ErrorEvents

EVENT_LEVELS = ("ERROR", "FATAL")
_ERROR, _FATAL = (LEVELS.index(level) for level in EVENT_LEVELS)
# An event keeps this much of its line: enough for a message and an exception's name.
LINE_BYTES = 2048


class EventCollector:
    """The error events of one read, in file order, at most `limit`."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.events = ErrorEvents()

    def take(
        self, block: LineBlock, record: np.ndarray | None, codes: np.ndarray, base: int
    ) -> None:
        """`record`/`codes` as `RecordCounter` classified `block`; `base`: the file offset of
        the block's first byte."""
        is_event = (codes == _ERROR) | (codes == _FATAL)
        if record is not None:
            is_event &= record  # a continuation line is never an event of its own
        found = np.flatnonzero(is_event)
        if not len(found):
            return
        room = max(0, self.limit - len(self.events))
        self.events.dropped += max(0, len(found) - room)
        data, add = block.data, self.events.add
        for i in found[:room].tolist():
            start, end = int(block.starts[i]), int(block.ends[i])
            line = bytes(data[start : min(end, start + LINE_BYTES)]).rstrip(b"\r\n")
            add(base + start, LEVELS[codes[i]], line.decode("utf-8", "replace"))
