"""`warehouse/severity_timeseries/`: records per minute x path x level, by the time logged.

Every record counted is in exactly one row: under the minute its text gives (`time_source`
"logged"), or where it gives none, under the minute its run committed ("ingested"). So the
counts, over every partition and what retention deleted, sum to what the runs committed.
"""

from __future__ import annotations

import json

import pyarrow as pa

from logingest_dagster.engine.arrays import int64s, strings
from logingest_dagster.engine.scan.result import NO_TIME
from logingest_dagster.engine.warehouse.events import UTC_MICROS, levels_array

NAME = "severity_timeseries"

SCHEMA = pa.schema(
    [
        ("minute", UTC_MICROS),  # the start of the minute, UTC
        ("path", pa.string()),  # the stream, as in file_stats
        ("service", pa.string()),
        ("level", pa.dictionary(pa.int32(), pa.string())),  # every level, UNKNOWN included
        ("time_source", pa.string()),  # "logged" or "ingested"
        ("count", pa.int64()),
    ]
)


def table(commit: dict) -> pa.Table:
    """One pending commit's minute counts (`OffsetStore.pending_publication`)."""
    ingested = int(commit["committed_at"]) // 60 * 60
    summed: dict[tuple[int, str, str, str, str], int] = {}
    for read in commit["minutes"]:
        counts = json.loads(read["counts"])
        for minute, level, count in zip(
            counts["minute"], counts["level"], counts["count"], strict=True
        ):
            source = "ingested" if minute == NO_TIME else "logged"
            key = (ingested if minute == NO_TIME else minute, read["path"], read["service"])
            slot = (*key, level, source)
            summed[slot] = summed.get(slot, 0) + count
    keys = sorted(summed)
    return pa.Table.from_arrays(
        [
            int64s([k[0] * 1_000_000 for k in keys], UTC_MICROS),
            strings([k[1] for k in keys]),
            strings([k[2] for k in keys]),
            levels_array([k[3] for k in keys]),
            strings([k[4] for k in keys]),
            int64s([summed[k] for k in keys]),
        ],
        schema=SCHEMA,
    )
