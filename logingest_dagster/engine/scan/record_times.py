"""The times of a read's records: its file's time family, chosen from its first record lines.

Shared by the event collector (an event's exact time) and the minute counts (every record's
minute), so a read chooses its family once. Where the compiled matchers are built (`time_keys`),
they find the times, with the same results as the family's RE2 pattern, which runs otherwise.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from logingest_dagster.engine.arrays import take
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

    def minute_slots(
        self, lines: pa.Array, records: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Each record line's minute as `(slots, minutes)`: record line i's minute (epoch seconds,
        -1 where it has none) is `minutes[slots[i]]`, with few `minutes` (one per distinct time
        key, not necessarily distinct minutes), so a caller can count per slot.

        `records`: the indices of the record lines in `lines` (None: every line is one). The
        compiled matchers read every line in place and keep the records' results, which is
        cheaper than copying the record lines out of a block; a line's time does not depend on
        the lines around it, only the family chosen from the first record lines does."""
        if self.reader is None:
            sample = _take(lines, records, SAMPLE_RECORDS)
            counted = time_keys.hits_in_lines(sample, HEAD_CHARS)
            if counted is None:
                self.choose(sample.to_pylist())
            else:
                self._use(family_with_most(counted))
            if self.reader is None:
                n = len(lines) if records is None else len(records)
                return np.zeros(n, dtype=np.int64), np.array([-1], dtype=np.int64)
        found = time_keys.find_in_lines(self.reader.family, lines)
        if found is None:  # no compiled matchers: the RE2 pattern, over the record lines alone
            record_lines = lines if records is None else _take(lines, records)
            minutes, slots = np.unique(self.reader.minutes(record_lines), return_inverse=True)
            return slots, minutes
        minutes = np.concatenate(([-1], self.reader.minutes_of_packed(found.keys, found.minutes)))
        slots = found.slots if records is None else found.slots[records]
        return slots + 1, minutes  # NO_TIME (-1) is slot 0

    def choose(self, sample: list[bytes]) -> None:
        """Choose the family from `sample` (record lines), if one finds a time there."""
        self._use(choose_family(sample, time_keys.hits))

    def _use(self, family: TimeFamily | None) -> None:
        if family is not None:
            self.reader = TimeReader(family, self.timezone, self.reference)

    def exact(self, line: str) -> int | None:
        """Microseconds since the epoch of `line`'s time; None before a family is chosen."""
        return None if self.reader is None else self.reader.exact(line)


def _take(lines: pa.Array, records: np.ndarray | None, limit: int | None = None) -> pa.Array:
    """The record lines of `lines` (the first `limit` of them)."""
    if records is None:
        return lines if limit is None else lines.slice(0, limit)
    return take(lines, records[:limit])
