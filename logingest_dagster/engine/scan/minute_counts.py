"""Records per minute and level, by the time written in each record (`severity_timeseries`).

One pass over a block's record lines finds their times (`RecordTimes.minute_slots`: compiled, or
one RE2 pattern), as a slot per line among a few distinct times; the counts are a `bincount`
over (slot, level), so no Python runs per line. A record whose text gives no time is counted
under NO_TIME (the commit files it under the time it was ingested).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from logingest_dagster.engine.levels import LEVELS
from logingest_dagster.engine.scan.record_times import RecordTimes
from logingest_dagster.engine.scan.result import NO_TIME

if TYPE_CHECKING:
    import pyarrow as pa

_SLOTS = len(LEVELS)


class MinuteCounter:
    def __init__(self, times: RecordTimes) -> None:
        self.times = times
        self.counts: dict[tuple[int, str], int] = {}

    def take(self, lines: pa.Array, levels: np.ndarray, records: np.ndarray | None = None) -> None:
        """`records`: the indices of the record lines in `lines` (None: all of them); `levels`:
        each record line's level code (an index into LEVELS)."""
        if not len(levels):
            return
        slots, minutes = self.times.minute_slots(lines, records)
        keys = slots.astype(np.int64) * _SLOTS + levels
        counts = np.bincount(keys, minlength=len(minutes) * _SLOTS)
        table = self.counts
        minute_of_slot = minutes.tolist()
        present = np.flatnonzero(counts)
        for key, count in zip(present.tolist(), counts[present].tolist(), strict=True):
            slot, level = divmod(key, _SLOTS)
            minute = minute_of_slot[slot]
            # A time before 1970 counts as none, as ever; a minute is floored to a multiple of 60.
            entry = (NO_TIME if minute < 0 else minute - minute % 60, LEVELS[level])
            table[entry] = table.get(entry, 0) + count
