"""Events: every record at or above a minimum level, whole (stack trace included), with its time.

Taken from the levels the scan has already worked out for a block (no second look at the text to
classify), so the cost is one comparison over the block's line codes plus, per event, a copy of
its record and a parse of its first line (`timestamps`, `event_fields`). A record runs from its
first line to the next record's first line, across blocks; it is kept up to `RECORD_BYTES`, and
flagged `truncated` beyond. A read keeps at most `ScanOptions.max_events` events and counts the
rest as dropped (reported with the run, and failed as an asset check), so one file full of errors
cannot make a step's result (or the store) arbitrarily large.
"""

from __future__ import annotations

import numpy as np

from logingest_dagster.engine.levels import LEVELS
from logingest_dagster.engine.scan.event_fields import describe
from logingest_dagster.engine.scan.formats import LogFormat
from logingest_dagster.engine.scan.lines import LineBlock
from logingest_dagster.engine.scan.record_times import RecordTimes
from logingest_dagster.engine.scan.result import RECORD_BYTES, Event, Events

# Levels a minimum can name, most severe last: UNKNOWN (no level) is above no minimum but the
# lowest, TRACE, which asks for every record as an event (issue 17: templates of every record).
RANKED = LEVELS[: LEVELS.index("UNKNOWN")]
_UNKNOWN_CODE = LEVELS.index("UNKNOWN")
# `records.CODE_CONTINUED` (that module imports this one): a line that belongs to the record above.
_CONTINUED_CODE = len(LEVELS)
# The first line's bytes looked at for the logger and message (the record keeps everything).
LINE_BYTES = 4096


def level_codes_from(min_level: str) -> tuple[int, int]:
    """The range of level codes [low, high] at or above `min_level`; with TRACE, every record's
    (UNKNOWN, the code after FATAL, included)."""
    if min_level not in RANKED:
        raise ValueError(f"unknown level {min_level!r}; one of {', '.join(RANKED)}")
    if min_level == RANKED[0]:
        return 0, _UNKNOWN_CODE
    return RANKED.index(min_level), len(RANKED) - 1


class EventCollector:
    """The events of one read, in file order, at most `limit`."""

    def __init__(
        self,
        limit: int,
        fmt: LogFormat,
        times: RecordTimes,
        min_level: str = "WARN",
    ) -> None:
        self.limit = limit
        self.fmt = fmt
        self.times = times
        self.low, self.high = level_codes_from(min_level)
        self.every_record = self.high == _UNKNOWN_CODE
        self.events = Events()
        self._open = False  # the last event's record may go on in the next block
        self._seen_record = False

    def take(
        self,
        block: LineBlock,
        record: np.ndarray | None,
        codes: np.ndarray,
        base: int,
        first_line: int,
    ) -> None:
        """`record`/`codes` as `RecordCounter` classified `block`; `base`: the file offset of
        the block's first byte; `first_line`: how many lines of the read precede the block."""
        n = len(codes)
        starts_at = np.flatnonzero(record) if record is not None else None
        first_record = 0  # the index of the block's first record line, n: none
        if starts_at is not None:
            first_record = int(starts_at[0]) if len(starts_at) else n
        data = block.data
        lead_end = int(block.starts[first_record]) if first_record < n else int(block.ends[-1])
        if first_record:  # continuation lines before the block's first record
            lead = bytes(data[:lead_end])
            if self._open:
                self.events.continue_last(lead)
            elif not self._seen_record:
                self.events.head = lead[:RECORD_BYTES]
        if first_record < n:
            self._seen_record = True
            self._open = False
        if self.every_record:  # as `RecordCounter.add` counts records
            is_event = record.copy() if record is not None else codes != _CONTINUED_CODE
        else:
            is_event = (codes >= self.low) & (codes <= self.high)
            if record is not None:
                is_event &= record  # a continuation line is never an event of its own
        found = np.flatnonzero(is_event)
        if not len(found):
            self.events.open_at_end = self._open
            return
        room = max(0, self.limit - len(self.events))
        self.events.dropped += max(0, len(found) - room)
        found = found[:room]
        if not len(found):
            self.events.open_at_end = self._open = False
            return
        # Where each event's record ends: the next record's first line, or the block's end.
        if starts_at is None:
            ends = block.ends[found]
        else:
            following = np.searchsorted(starts_at, found, side="right")
            has_next = following < len(starts_at)
            ends = np.where(
                has_next,
                block.starts[starts_at[np.minimum(following, len(starts_at) - 1)]],
                block.ends[-1],
            )
        if self.times.reader is None:  # no minute counts chose a family: choose from the events
            self.times.choose(
                [bytes(data[block.starts[i] : block.ends[i]]) for i in found[:200].tolist()]
            )
        add = self.events.add
        file_starts = block.file_starts
        for i, end in zip(found.tolist(), ends.tolist(), strict=True):
            start = int(block.starts[i])
            line_end = int(block.ends[i])
            line = bytes(data[start : min(line_end, start + LINE_BYTES)]).rstrip(b"\r\n")
            text = line.decode("utf-8", "replace")
            logger, message = describe(self.fmt, text)
            stop = min(end, start + RECORD_BYTES)
            add(
                Event(
                    offset=base + (start if file_starts is None else int(file_starts[i])),
                    line_number=first_line + i + 1,
                    level=LEVELS[min(int(codes[i]), _UNKNOWN_CODE)],  # no level: UNKNOWN
                    time=self.times.exact(text),
                    logger=logger,
                    message=message,
                    record=bytes(data[start:stop]),
                    truncated=end > stop,
                )
            )
        last_event = int(found[-1])
        last_record = n - 1 if starts_at is None else int(starts_at[-1])
        self._open = last_event == last_record
        self.events.open_at_end = self._open
