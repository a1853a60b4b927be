"""`warehouse/events/`: one row per record at or above the minimum level, with its own time.

Built from a commit's pending events (`OffsetStore.pending_publication`); `partitions` writes one
part file per commit and day. `event_id` is stable across re-reads of the same bytes: a hash of
the file's fingerprint (its identity, kept across renames and rotation) and the record's offset.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pyarrow as pa

# The kernel by name: importing `pyarrow.compute` costs ~20 ms (see scan/formats.py).
from pyarrow import _compute

from logingest_dagster.engine.arrays import (
    dictionary,
    int32s,
    int64_scalar,
    int64s,
    string_scalar,
    strings,
)
from logingest_dagster.engine.levels import LEVELS

NAME = "events"
UTC_MICROS = pa.timestamp("us", tz="UTC")
LEVEL_TYPE = pa.dictionary(pa.int32(), pa.string())

SCHEMA = pa.schema(
    [
        ("event_id", pa.string()),  # 16 hex digits: the file's fingerprint and the offset
        ("time", UTC_MICROS),  # as logged; the commit's time where the record gives none
        ("time_source", pa.string()),  # "logged" or "ingested"
        ("level", LEVEL_TYPE),  # WARN, ERROR, FATAL (and lower with events.min_level)
        ("path", pa.string()),  # the stream, as in file_stats
        ("file", pa.string()),  # the file read: the path, or a rotated name of it
        ("offset", pa.int64()),  # of the record's first line in that file
        ("line_number", pa.int64()),  # of that line in the file (null where not known)
        ("service", pa.string()),  # the directory's label from settings, else the file's stem
        ("logger", pa.string()),  # where the format has one
        ("message", pa.string()),  # the first line without its time and level header
        # The logging statement's template (engine/templates), mined when the run committed;
        # null where mining was off (events.templates) or failed.
        ("template_id", pa.string()),  # stable across runs: a row of templates.parquet
        ("template", pa.string()),  # the message with its variable parts as <*>
        ("record", pa.string()),  # the whole record, stack trace included, at most 16 KB
        ("truncated", pa.bool_()),  # the record was longer than that
        ("run_id", pa.string()),  # the Dagster run that committed it
        ("committed_at", UTC_MICROS),
    ]
)


def event_id(fingerprint: str, offset: int) -> str:
    return hashlib.blake2b(f"{fingerprint}:{offset}".encode(), digest_size=8).hexdigest()


def table(commit: dict) -> pa.Table:
    """The events of one pending commit (`OffsetStore.pending_publication`), in file order,
    built from each read's stored batch (`state/event_rows.py`) with Arrow kernels."""
    from logingest_dagster.engine.state.event_rows import STORED_SCHEMA, read_batch

    reads = commit["events"]
    batches = [read_batch(read) for read in reads]
    stored = pa.Table.from_batches(batches, schema=STORED_SCHEMA)
    n = stored.num_rows
    committed_us = round(commit["committed_at"] * 1e6)
    read_of = int32s(
        np.repeat(np.arange(len(reads), dtype=np.int32), [b.num_rows for b in batches])
    )
    times = stored["time"]
    columns = {
        "event_id": _event_ids(reads, batches),
        "time": _call("coalesce", times, int64_scalar(committed_us)).cast(UTC_MICROS),
        "time_source": _call(
            "if_else", _call("is_valid", times), string_scalar("logged"), string_scalar("ingested")
        ),
        "level": pa.DictionaryArray.from_arrays(
            stored["level"].cast(pa.int32()).combine_chunks(), _LEVEL_NAMES
        ),
        "offset": stored["offset"],
        "line_number": stored["line_number"],
        "logger": stored["logger"],
        "message": stored["message"],
        "template_id": stored["template_id"].cast(pa.string()),
        "template": stored["template"].cast(pa.string()),
        "record": stored["record"].cast(pa.string()),
        "truncated": stored["truncated"],
        "run_id": _repeated(commit["run_id"], n),
        "committed_at": _call("take", int64s([committed_us], UTC_MICROS), _zeros(n)),
    }
    for name in ("path", "file", "service"):
        columns[name] = _call("take", strings([read[name] for read in reads]), read_of)
    return pa.Table.from_arrays([columns[name] for name in SCHEMA.names], schema=SCHEMA)


def _event_ids(reads: list[dict], batches: list[pa.RecordBatch]) -> pa.Array:
    """`event_id` of each event: blake2b digests (hashlib, one call per event: the one step per
    event left in Python), written as hex by numpy."""
    blake2b = hashlib.blake2b
    digests = []
    for read, batch in zip(reads, batches, strict=True):
        prefix = f"{read['fingerprint']}:".encode()
        offsets = np.frombuffer(batch["offset"].buffers()[1], np.int64)
        offsets = offsets[batch["offset"].offset : batch["offset"].offset + batch.num_rows]
        digests += [blake2b(prefix + b"%d" % o, digest_size=8).digest() for o in offsets.tolist()]
    raw = np.frombuffer(b"".join(digests), np.uint8)
    text = np.empty(2 * len(raw), np.uint8)
    text[0::2], text[1::2] = _HEX[raw >> 4], _HEX[raw & 15]
    ends = np.arange(0, len(text) + 1, 16, dtype=np.int32)
    return pa.Array.from_buffers(
        pa.string(), len(digests), [None, pa.py_buffer(ends), pa.py_buffer(text)]
    )


def _call(name: str, *args, options=None):
    return _compute.call_function(name, list(args), options)


def _zeros(n: int) -> pa.Array:
    return int32s(np.zeros(n, np.int32))


def _repeated(value: str, n: int) -> pa.Array:
    return _call("take", strings([value]), _zeros(n))


def levels_array(levels: list[str]) -> pa.Array:
    """Dictionary-encoded over the canonical levels, so every file has the same dictionary."""
    index = {level: i for i, level in enumerate(LEVELS)}
    return dictionary([index[level] for level in levels], LEVELS)


_HEX = np.frombuffer(b"0123456789abcdef", np.uint8)
_LEVEL_NAMES = strings(LEVELS)
