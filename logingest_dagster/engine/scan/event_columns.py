"""A read's events as columns: numpy arrays and Arrow arrays per block, one Arrow record batch per
read.

The collector (`events.py`) adds one `EventChunk` per block, its numbers straight from the
block's numpy arrays and its records gathered from the block's buffer by Arrow (`take` over the
buffer, copying only the records' bytes). `event_batch` joins a read's chunks into the record
batch that the offset store keeps (as Arrow IPC, `state/event_rows.py`) and the warehouse
publishes: no Python runs per event from here to the Parquet files.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from logingest_dagster.engine.arrays import strings
from logingest_dagster.engine.levels import LEVELS
from logingest_dagster.engine.scan.event_times import _heads

# A read's events as the offset store keeps them: `level` is the index in LEVELS, `time` null
# where the record gives none, `record` the record decoded as UTF-8 (invalid bytes replaced),
# without its trailing line ends (as `rstrip("\r\n")`).
EVENT_SCHEMA = pa.schema(
    [
        ("offset", pa.int64()),
        ("line_number", pa.int64()),  # from the read's start, 1-based
        ("level", pa.int8()),
        ("time", pa.int64()),  # microseconds since the epoch, UTC
        ("logger", pa.string()),
        ("message", pa.string()),
        ("record", pa.large_string()),
        ("truncated", pa.bool_()),
    ]
)
# Records validated as UTF-8 this many at a time: a group holding an invalid byte is decoded
# record by record, the rest stay in Arrow.
_DECODE_GROUP = 1024


@dataclass
class EventChunk:
    """The events the collector found in one block, in file order."""

    offsets: np.ndarray  # int64
    line_numbers: np.ndarray  # int64
    levels: np.ndarray  # int8
    times: np.ndarray  # int64; 0 where `timed` is False
    timed: np.ndarray  # bool
    loggers: pa.Array  # string, null where the format has none
    messages: pa.Array  # string
    # large_binary, at most RECORD_BYTES each, without their trailing line ends but the last
    # record's (the next block may continue it: `tail`)
    records: pa.Array
    truncated: np.ndarray  # bool
    # Continuation lines of the last record found in the blocks after this one (within
    # RECORD_BYTES): added to it when the batch is built, so a chunk's arrays are never copied.
    tail: bytes = b""

    def __len__(self) -> int:
        return len(self.offsets)

    def last_record_size(self) -> int:
        records = self.records
        offsets = records.buffers()[1]
        at = records.offset + len(records)
        ends = np.frombuffer(offsets, np.int64, 2, (at - 1) * 8)
        return int(ends[1] - ends[0]) + len(self.tail)

    def head(self, limit: int) -> EventChunk:
        """Its first `limit` events (the tail goes with the last one only if it is kept)."""
        return EventChunk(
            self.offsets[:limit],
            self.line_numbers[:limit],
            self.levels[:limit],
            self.times[:limit],
            self.timed[:limit],
            self.loggers.slice(0, limit),
            self.messages.slice(0, limit),
            self.records.slice(0, limit),
            self.truncated[:limit],
            self.tail if limit >= len(self) else b"",
        )

    def shifted(self, lines_before: int) -> EventChunk:
        """The same events with line numbers `lines_before` further on."""
        return EventChunk(
            self.offsets,
            self.line_numbers + lines_before,
            self.levels,
            self.times,
            self.timed,
            self.loggers,
            self.messages,
            self.records,
            self.truncated,
            self.tail,
        )


def gather_records(buffer: pa.Buffer, starts: np.ndarray, stops: np.ndarray) -> pa.Array:
    """The records `buffer[starts[i]:stops[i]]` (ascending, apart) as large_binary."""
    if not len(starts):
        return pa.nulls(0, pa.large_binary())
    return _heads(buffer, starts, stops)


def event_batch(chunks: Sequence[EventChunk]) -> pa.RecordBatch:
    """A read's chunks as one record batch of EVENT_SCHEMA."""
    if not chunks:
        return empty_batch()
    timed = np.concatenate([c.timed for c in chunks])
    columns = [
        _int64s(np.concatenate([c.offsets for c in chunks])),
        _int64s(np.concatenate([c.line_numbers for c in chunks])),
        _numbers(pa.int8(), np.concatenate([c.levels for c in chunks]).astype(np.int8)),
        _int64s(np.concatenate([c.times for c in chunks]), timed),
        _concat([c.loggers for c in chunks], pa.string()),
        _concat([c.messages for c in chunks], pa.string()),
        _decoded(_records(chunks)),
        _bools(np.concatenate([c.truncated for c in chunks])),
    ]
    return pa.RecordBatch.from_arrays(columns, schema=EVENT_SCHEMA)


def empty_batch() -> pa.RecordBatch:
    return pa.RecordBatch.from_arrays(
        [pa.nulls(0, field.type) for field in EVENT_SCHEMA], schema=EVENT_SCHEMA
    )


def _records(chunks: Sequence[EventChunk]) -> pa.Array:
    """The chunks' records as one large_binary array, each chunk's last record with its tail
    and without its trailing line ends (the collector leaves them on the last record, which the
    next block may continue)."""
    pieces = []
    for chunk in chunks:
        n = len(chunk.records)
        last = (chunk.records[n - 1].as_py() + chunk.tail).rstrip(b"\r\n")
        offsets = np.array([0, len(last)], np.int64)
        pieces.append(chunk.records.slice(0, n - 1))
        pieces.append(
            pa.Array.from_buffers(
                pa.large_binary(), 1, [None, pa.py_buffer(offsets), pa.py_buffer(last)]
            )
        )
    return _concat(pieces, pa.large_binary())


def _concat(arrays: list[pa.Array], kind: pa.DataType) -> pa.Array:
    if len(arrays) == 1:
        return arrays[0]
    return pa.concat_arrays(arrays) if arrays else pa.nulls(0, kind)


def _decoded(records: pa.Array) -> pa.Array:
    """`records` as large_string, each decoded as `bytes.decode("utf-8", "replace")` does: valid
    UTF-8 as it is (checked record by record by Arrow); where a record is not, its group of
    records is decoded in Python."""
    as_text = records.view(pa.large_string())
    try:
        as_text.validate(full=True)
        return as_text
    except pa.ArrowInvalid:
        pass
    groups = []
    for at in range(0, len(records), _DECODE_GROUP):
        group = as_text.slice(at, _DECODE_GROUP)
        try:
            group.validate(full=True)
        except pa.ArrowInvalid:
            texts = [
                r.decode("utf-8", "replace") for r in records.slice(at, _DECODE_GROUP).to_pylist()
            ]
            group = strings(texts).cast(pa.large_string())
        groups.append(group)
    return _concat(groups, pa.large_string())


def _numbers(kind: pa.DataType, values: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    values = np.ascontiguousarray(values)
    validity, missing = None, 0
    if valid is not None and not valid.all():
        validity = pa.py_buffer(np.packbits(valid, bitorder="little"))
        missing = int(len(valid) - np.count_nonzero(valid))
    return pa.Array.from_buffers(kind, len(values), [validity, pa.py_buffer(values)], missing)


def _int64s(values: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    return _numbers(pa.int64(), values.astype(np.int64, copy=False), valid)


def _bools(values: np.ndarray) -> pa.Array:
    bits = np.packbits(values.astype(bool, copy=False), bitorder="little")
    return pa.Array.from_buffers(pa.bool_(), len(values), [None, pa.py_buffer(bits)])


def level_codes(levels: Sequence[str]) -> np.ndarray:
    """Level names as the int8 codes of EVENT_SCHEMA."""
    index = {level: i for i, level in enumerate(LEVELS)}
    return np.array([index[level] for level in levels], np.int8)
