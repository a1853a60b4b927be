"""`warehouse/events/`: one row per record at or above the minimum level, with its own time.

Built from a commit's pending events (`OffsetStore.pending_publication`); `partitions` writes one
part file per commit and day. `event_id` is stable across re-reads of the same bytes: a hash of
the file's fingerprint (its identity, kept across renames and rotation) and the record's offset.
"""

from __future__ import annotations

import hashlib
import json

import pyarrow as pa

# The kernel by name: importing `pyarrow.compute` costs ~20 ms (see scan/formats.py).
from pyarrow import _compute

from logingest_dagster.engine.levels import LEVELS
from logingest_dagster.engine.warehouse.arrays import (
    bools,
    dictionary,
    int32s_with_nulls,
    int64s,
    strings,
)

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
    """The events of one pending commit (`OffsetStore.pending_publication`), in file order."""
    committed_us = round(commit["committed_at"] * 1e6)
    columns: dict[str, list] = {name: [] for name in SCHEMA.names if name not in _TEMPLATE_COLUMNS}
    templates = _TemplateColumns()
    for read in commit["events"]:
        events = json.loads(read["events"])
        n = len(events["offset"])
        columns["event_id"] += [event_id(read["fingerprint"], o) for o in events["offset"]]
        times = events["time"]
        columns["time"] += [committed_us if t is None else t for t in times]
        columns["time_source"] += ["ingested" if t is None else "logged" for t in times]
        columns["level"] += events["level"]
        columns["offset"] += events["offset"]
        columns["line_number"] += _line_numbers(events, read["start"])
        columns["logger"] += events["logger"]
        columns["message"] += events["message"]
        templates.add(events, n)
        columns["record"] += [r.rstrip("\r\n") for r in events["record"]]
        columns["truncated"] += events["truncated"]
        for name in ("path", "file", "service"):
            columns[name] += [read[name]] * n
    n = len(columns["event_id"])
    columns["run_id"] = [commit["run_id"]] * n
    columns["committed_at"] = [committed_us] * n
    arrays = []
    for name in SCHEMA.names:
        kind = SCHEMA.field(name).type
        if name in _TEMPLATE_COLUMNS:
            arrays.append(templates.column(name))
        elif name == "level":
            arrays.append(levels_array(columns[name]))
        elif kind == pa.string():
            arrays.append(strings(columns[name]))
        elif kind == pa.bool_():
            arrays.append(bools(columns[name]))
        else:
            arrays.append(int64s(columns[name], kind))
    return pa.Table.from_arrays(arrays, schema=SCHEMA)


_TEMPLATE_COLUMNS = ("template_id", "template")


class _TemplateColumns:
    """The two template columns of a commit's events, gathered as one index per event into the
    commit's distinct templates: an event's template is stored as a small integer (a read's
    `template_codes`), and the long strings are built once per template, not once per event."""

    def __init__(self) -> None:
        self.codes: list[int | None] = []
        self.code_of: dict[str, int] = {}
        self.texts: list[str] = []

    def add(self, events: dict, n: int) -> None:
        if "template_codes" in events:
            here = [
                self._code(id_, text)
                for id_, text in zip(events["template_ids"], events["template_texts"], strict=True)
            ]
            self.codes += [here[code] for code in events["template_codes"]]
        elif events.get("template_id"):  # a row written before `template_codes`
            pairs = zip(events["template_id"], events["template"], strict=True)
            self.codes += [None if id_ is None else self._code(id_, text) for id_, text in pairs]
        else:  # mining off, or failed, or a row from before templates (schema 5)
            self.codes += [None] * n

    def _code(self, template_id: str, text: str) -> int:
        code = self.code_of.setdefault(template_id, len(self.code_of))
        if code == len(self.texts):
            self.texts.append(text)
        return code

    def column(self, name: str) -> pa.Array:
        values = list(self.code_of) if name == "template_id" else self.texts
        indices = int32s_with_nulls(self.codes)
        return _compute.call_function("take", [strings(values), indices])


def _line_numbers(events: dict, start: int) -> list[int | None]:
    """In the file: the read's own numbers go on from the lines before its start, stored with
    the events since schema 6 (`first_line`, None where the row did not know them); events
    committed before that know it only for a read from the file's start."""
    first_line = events.get("first_line", 0 if start == 0 else None)
    if first_line is None:
        return [None] * len(events["line_number"])
    return [first_line + n for n in events["line_number"]]


def levels_array(levels: list[str]) -> pa.Array:
    """Dictionary-encoded over the canonical levels, so every file has the same dictionary."""
    index = {level: i for i, level in enumerate(LEVELS)}
    return dictionary([index[level] for level in levels], LEVELS)
