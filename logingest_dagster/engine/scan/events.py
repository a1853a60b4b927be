"""Events: every record at or above a minimum level, whole (stack trace included), with its time.

Taken from the levels the scan has already worked out for a block (no second look at the text to
classify), so the cost is one comparison over the block's line codes, one Arrow gather of the
block's event records, and per event a parse of its first line (`timestamps`, `event_fields`).
Each block's events are one chunk of columns (`event_columns`); nothing after this module runs
Python per event. A record runs from its first line to the next record's first line, across
blocks; it is kept up to `RECORD_BYTES`, without its trailing line ends, and flagged `truncated`
beyond. A read keeps at most `ScanOptions.max_events` events and counts the
rest as dropped (reported with the run, and failed as an asset check), so one file full of errors
cannot make a step's result (or the store) arbitrarily large.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from logingest_dagster.engine.arrays import strings
from logingest_dagster.engine.levels import LEVELS
from logingest_dagster.engine.scan.event_columns import EventChunk, gather_records
from logingest_dagster.engine.scan.event_fields import describer
from logingest_dagster.engine.scan.event_times import exact_times, head_ends
from logingest_dagster.engine.scan.formats import LogFormat
from logingest_dagster.engine.scan.lines import LineBlock
from logingest_dagster.engine.scan.record_times import RecordTimes
from logingest_dagster.engine.scan.result import RECORD_BYTES, Events

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
        self._describe = describer(fmt)
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
        self._add(block, found, ends, codes, base, first_line)
        last_event = int(found[-1])
        last_record = n - 1 if starts_at is None else int(starts_at[-1])
        self._open = last_event == last_record
        self.events.open_at_end = self._open

    def _add(
        self,
        block: LineBlock,
        found: np.ndarray,
        ends: np.ndarray,
        codes: np.ndarray,
        base: int,
        first_line: int,
    ) -> None:
        """Add the events whose first lines are `found`, their records ending at `ends`, as one
        chunk: the columns in numpy, the records gathered from the block by Arrow, and in Python
        only what each event's first line needs (decoded, its logger and message)."""
        data = block.data
        starts = block.starts[found]
        line_stops = head_ends(data, starts, np.minimum(block.ends[found], starts + LINE_BYTES))
        record_stops = np.minimum(ends, starts + RECORD_BYTES)
        # Records are kept without their trailing line ends, as published, but the last: the
        # next block may continue it (`Events.continue_last`), and the batch strips it.
        kept_stops = head_ends(data, starts, record_stops)
        kept_stops[-1] = record_stops[-1]
        # Slicing bytes is several times quicker than slicing a view: copy a busy block once.
        source = data.tobytes() if len(found) * _COPY_WHEN_EVENTS_PER_BYTE > len(data) else data
        texts = [
            bytes(source[a:b]).decode("utf-8", "replace")
            for a, b in zip(starts.tolist(), line_stops.tolist(), strict=True)
        ]
        described = list(map(self._describe, texts))
        buffer = pa.py_buffer(data)
        reader = self.times.reader
        times = (
            [None] * len(texts)
            if reader is None
            else exact_times(reader, buffer, data, starts, line_stops, texts)
        )
        micros, timed = _times_column(times)
        loggers, messages = zip(*described, strict=True)
        file_starts = starts if block.file_starts is None else block.file_starts[found]
        self.events.add_chunk(
            EventChunk(
                offsets=file_starts + base,
                line_numbers=found + (first_line + 1),
                levels=np.minimum(codes[found], _UNKNOWN_CODE).astype(np.int8),
                times=micros,
                timed=timed,
                loggers=strings(loggers),
                messages=strings(messages),
                records=gather_records(buffer, starts, kept_stops),
                truncated=ends > record_stops,
            )
        )


def _times_column(times: list[int | None]) -> tuple[np.ndarray, np.ndarray]:
    """Times (None: not found) as int64 values (0 where None) and whether each was found,
    converted by numpy, not by a Python step per event."""
    if None not in times:
        return np.array(times, np.int64), np.ones(len(times), bool)
    values = np.array(times, dtype=object)
    found = values != None  # noqa: E711 (elementwise, on an object array)
    values[~found] = 0
    return values.astype(np.int64), found.astype(bool)


# A block is copied to bytes when it holds more than one event per this many bytes.
_COPY_WHEN_EVENTS_PER_BYTE = 4096
