"""The times of a read's records: its file's time family, chosen from its first record lines.

Shared by the event collector (an event's exact time) and the minute counts (every record's
minute), so a read chooses its family once.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from logingest_dagster.engine.scan.timestamps import TimeReader, choose_family

# Record lines a family is chosen from: enough to outvote a stray line, few enough to be cheap.
SAMPLE_RECORDS = 200


class RecordTimes:
    """Chooses the family from the first block with a record whose head holds a time."""

    def __init__(self, timezone: str = "UTC", reference: float | None = None) -> None:
        """`reference`: the file's modification time (the bound for times without a year)."""
        self.timezone = timezone
        self.reference = reference
        self.reader: TimeReader | None = None

    def minutes(self, record_lines: pa.Array) -> np.ndarray:
        """Each record line's minute (epoch seconds), -1 where it has none."""
        if self.reader is None:
            self.choose(record_lines.slice(0, SAMPLE_RECORDS).to_pylist())
            if self.reader is None:
                return np.full(len(record_lines), -1, dtype=np.int64)
        return self.reader.minutes(record_lines)

    def choose(self, sample: list[bytes]) -> None:
        """Choose the family from `sample` (record lines), if one finds a time there."""
        family = choose_family(sample)
        if family is not None:
            self.reader = TimeReader(family, self.timezone, self.reference)

    def exact(self, line: str) -> int | None:
        """Microseconds since the epoch of `line`'s time; None before a family is chosen."""
        return None if self.reader is None else self.reader.exact(line)
