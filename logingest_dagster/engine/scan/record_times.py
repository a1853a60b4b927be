"""The times of a read's records: its file's time family, chosen from its first record lines.

Shared by the event collector (an event's exact time) and the minute counts (every record's
minute), so a read chooses its family once. Where the compiled matchers are built (`time_keys`),
they find the times, with the same results as the family's RE2 pattern, which runs otherwise.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from logingest_dagster.engine.scan import time_keys
from logingest_dagster.engine.scan.timestamps import (
    HEAD_CHARS,
    TimeFamily,
    TimeReader,
    choose_family,
    family_with_most,
)

# Record lines a family is chosen from: enough to outvote a stray line, few enough to be cheap.
SAMPLE_RECORDS = 200


class RecordTimes:
    """Chooses the family from the first block with a record whose head holds a time."""

    def __init__(self, timezone: str = "UTC", reference: float | None = None) -> None:
        """`reference`: the file's modification time (the bound for times without a year)."""
        self.timezone = timezone
        self.reference = reference
        self.reader: TimeReader | None = None

    def minute_slots(self, record_lines: pa.Array) -> tuple[np.ndarray, np.ndarray]:
        """Each record line's minute as `(slots, minutes)`: line i's minute (epoch seconds, -1
        where it has none) is `minutes[slots[i]]`, with few `minutes` (one per distinct time key,
        not necessarily distinct minutes), so a caller can count per slot."""
        if self.reader is None:
            sample = record_lines.slice(0, SAMPLE_RECORDS)
            counted = time_keys.hits_in_lines(sample, HEAD_CHARS)
            if counted is None:
                self.choose(sample.to_pylist())
            else:
                self._use(family_with_most(counted))
            if self.reader is None:
                return np.zeros(len(record_lines), dtype=np.int64), np.array([-1], dtype=np.int64)
        found = time_keys.find_in_lines(self.reader.family, record_lines)
        if found is None:  # no compiled matchers: the RE2 pattern
            minutes, slots = np.unique(self.reader.minutes(record_lines), return_inverse=True)
            return slots, minutes
        minutes = np.concatenate(([-1], self.reader.minutes_of_packed(found.keys, found.minutes)))
        return found.slots + 1, minutes  # NO_TIME (-1) is slot 0

    def choose(self, sample: list[bytes]) -> None:
        """Choose the family from `sample` (record lines), if one finds a time there."""
        self._use(choose_family(sample, time_keys.hits))

    def _use(self, family: TimeFamily | None) -> None:
        if family is not None:
            self.reader = TimeReader(family, self.timezone, self.reference)

    def exact(self, line: str) -> int | None:
        """Microseconds since the epoch of `line`'s time; None before a family is chosen."""
        return None if self.reader is None else self.reader.exact(line)
