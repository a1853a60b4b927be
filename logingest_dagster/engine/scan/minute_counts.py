"""Records per minute and level, by the time written in each record (`severity_timeseries`).

One RE2 pass over a block's record lines finds their times (`RecordTimes.minutes`); the counts
are a `numpy.unique` over (minute, level) keys, so no Python runs per line. A record whose text
gives no time is counted under NO_TIME (the commit files it under the time it was ingested).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from logingest_dagster.engine.levels import LEVELS
from logingest_dagster.engine.scan.record_times import RecordTimes
from logingest_dagster.engine.scan.result import NO_TIME

if TYPE_CHECKING:
    import pyarrow as pa

_UNKNOWN = LEVELS.index("UNKNOWN")
_SLOTS = len(LEVELS)


class MinuteCounter:
    def __init__(self, times: RecordTimes) -> None:
        self.times = times
        self.counts: dict[tuple[int, str], int] = {}

    def take(self, record_lines: pa.Array, levels: np.ndarray) -> None:
        """`levels`: each record line's level code (an index into LEVELS)."""
        if not len(levels):
            return
        minutes = self.times.minutes(record_lines)
        minutes = np.where(minutes < 0, NO_TIME * 60, minutes)
        keys = (minutes // 60) * _SLOTS + levels.astype(np.int64)
        unique, counts = np.unique(keys, return_counts=True)
        table = self.counts
        for key, count in zip(unique.tolist(), counts.tolist(), strict=True):
            minute, level = divmod(key, _SLOTS)
            slot = (minute * 60 if minute != NO_TIME else NO_TIME, LEVELS[level])
            table[slot] = table.get(slot, 0) + count
