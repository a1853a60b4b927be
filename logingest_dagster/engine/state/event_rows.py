"""A read's pending events as the offset store keeps them (`pending_events.batch`, schema 10): its
record batch (`scan.event_columns.EVENT_SCHEMA`, line numbers counted in the file) with the two
template columns, as Arrow IPC bytes written in the commit's transaction and read back whole by
the publisher, so no Python runs per event between the scan and the Parquet files.

Rows committed before schema 10 hold their events as JSON (`pending_events.events`); `read_batch`
turns them into the same batch, so they publish as they always did.
"""

from __future__ import annotations

import json

import pyarrow as pa

from logingest_dagster.engine.arrays import bools, int64_scalar, int64s, strings
from logingest_dagster.engine.scan.event_columns import EVENT_SCHEMA, level_codes

TEMPLATE_TYPE = pa.dictionary(pa.int32(), pa.string())
# What `read_batch` gives: the events, and each one's template (null: not mined).
STORED_SCHEMA = EVENT_SCHEMA.append(pa.field("template_id", TEMPLATE_TYPE)).append(
    pa.field("template", TEMPLATE_TYPE)
)

# A large batch is compressed: zstd shrinks a busy log's events about 20 times, far quicker than
# the database writes, reads back and deletes the difference. A small one is not: compressing
# sets up a codec per buffer, about 0.5 ms a batch (lz4 and zstd alike), which 1,000 small
# reads pay in full for a few hundred KB saved.
_COMPRESSED = pa.ipc.IpcWriteOptions(compression="zstd")
_PLAIN = pa.ipc.IpcWriteOptions()
_COMPRESS_FROM_BYTES = 1 << 20


def encode(batch: pa.RecordBatch) -> bytes:
    """`batch` as Arrow IPC stream bytes (compressed when large)."""
    options = _COMPRESSED if batch.nbytes >= _COMPRESS_FROM_BYTES else _PLAIN
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, batch.schema, options=options) as writer:
        writer.write_batch(batch)
    return sink.getvalue().to_pybytes()


def stored_batch(
    events: pa.RecordBatch, first_line: int | None, templates: tuple[pa.Array, pa.Array] | None
) -> pa.RecordBatch:
    """A read's `Events.batch()` as it is stored: line numbers counted in the file from the
    `first_line` lines before the read (None: not known, null), and its templates (`template_id`,
    `template`, dictionary-encoded over the read's distinct templates; None: not mined)."""
    columns = dict(zip(events.schema.names, events.columns, strict=True))
    columns["line_number"] = _in_file(columns["line_number"], first_line)
    n = events.num_rows
    if templates is None:
        templates = (pa.nulls(n, TEMPLATE_TYPE), pa.nulls(n, TEMPLATE_TYPE))
    columns["template_id"], columns["template"] = templates
    return pa.RecordBatch.from_arrays(list(columns.values()), schema=STORED_SCHEMA)


def read_batch(row: dict) -> pa.RecordBatch:
    """A `pending_events` row's events as a batch of STORED_SCHEMA, in either encoding."""
    if row.get("batch") is not None:
        with pa.ipc.open_stream(pa.py_buffer(row["batch"])) as reader:
            return reader.read_next_batch()
    return _from_json(json.loads(row["events"]), row["start"])


def _in_file(line_numbers: pa.Array, first_line: int | None) -> pa.Array:
    if first_line is None:
        return pa.nulls(len(line_numbers), pa.int64())
    if not first_line:
        return line_numbers
    from pyarrow import _compute

    return _compute.call_function("add", [line_numbers, int64_scalar(first_line)])


def _from_json(events: dict, start: int) -> pa.RecordBatch:
    """A row written before schema 10 (JSON, a list per column)."""
    n = len(events["offset"])
    # Line numbers count from the read's start, and go on from the lines before it, stored since
    # schema 6 (`first_line`, None where not known); before that known only for a read from 0.
    first_line = events.get("first_line", 0 if start == 0 else None)
    columns = [
        int64s(events["offset"]),
        _in_file(int64s(events["line_number"]), first_line),
        pa.Array.from_buffers(pa.int8(), n, [None, pa.py_buffer(level_codes(events["level"]))]),
        int64s(events["time"]),
        strings(events["logger"]),
        strings(events["message"]),
        strings([r.rstrip("\r\n") for r in events["record"]]).cast(pa.large_string()),
        bools(events["truncated"]),
        *_json_templates(events, n),
    ]
    return pa.RecordBatch.from_arrays(columns, schema=STORED_SCHEMA)


def _json_templates(events: dict, n: int) -> tuple[pa.Array, pa.Array]:
    from logingest_dagster.engine.arrays import int32s_with_nulls

    if "template_codes" in events:  # each event's index into the read's distinct templates
        codes = int32s_with_nulls(events["template_codes"])
        ids, texts = events["template_ids"], events["template_texts"]
    elif events.get("template_id"):  # a template per event (before `template_codes`)
        index: dict[str, int] = {}
        texts = []
        for id_, text in zip(events["template_id"], events["template"], strict=True):
            if id_ is not None and id_ not in index:
                index[id_] = len(index)
                texts.append(text)
        codes = int32s_with_nulls([None if i is None else index[i] for i in events["template_id"]])
        ids = list(index)
    else:  # mining off or failed, or a row from before templates (schema 5)
        return pa.nulls(n, TEMPLATE_TYPE), pa.nulls(n, TEMPLATE_TYPE)
    return (
        pa.DictionaryArray.from_arrays(codes, strings(ids)),
        pa.DictionaryArray.from_arrays(codes, strings(texts)),
    )
