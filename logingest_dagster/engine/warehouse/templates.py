"""`templates.parquet`: one row per message template, folded from the events of each run.

Publishing costs what the run read: the new events' rows are folded into the previous file's rows
(counts added, first and last time widened, paths merged, the newest template text kept) and the
result written atomically. The file's metadata names the last batch folded in (`through`), so
publishing the same batch again changes nothing.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from logingest_dagster.engine.levels import LEVELS
from logingest_dagster.engine.warehouse.arrays import int64s, strings
from logingest_dagster.engine.warehouse.events import UTC_MICROS
from logingest_dagster.engine.warehouse.files import write_parquet_atomic

TEMPLATES = "templates.parquet"
_LEVEL_COLUMNS = [level.lower() for level in LEVELS]
TEMPLATES_SCHEMA = pa.schema(
    [
        ("template_id", pa.string()),
        ("template", pa.string()),  # variable parts as <*>; the newest (most general) text
        ("first_seen", UTC_MICROS),  # logged time of its earliest event; null if none had one
        ("last_seen", UTC_MICROS),
        ("count", pa.int64()),  # events, all levels
        *[(name, pa.int64()) for name in _LEVEL_COLUMNS],
        ("paths", pa.list_(pa.string())),  # the streams it appears in, sorted
    ]
)
_THROUGH_KEY = b"logingest.templates_through"


@dataclass
class TemplateRow:
    """One template's row while folding."""

    template: str
    first_seen: float | None = None
    last_seen: float | None = None
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_LEVEL_COLUMNS, 0))
    paths: set[str] = field(default_factory=set)

    def seen(self, time: float | None) -> None:
        if time is None:
            return
        if self.first_seen is None or time < self.first_seen:
            self.first_seen = time
        if self.last_seen is None or time > self.last_seen:
            self.last_seen = time


def fold_events(rows: dict[str, TemplateRow], events: Iterable[Mapping]) -> None:
    """Add events (`template_id`, `template`, `time` as epoch seconds or None, `level`, `path`)
    to `rows`; an event's template text replaces the older one (templates only generalise)."""
    for event in events:
        template_id = event["template_id"]
        row = rows.get(template_id)
        if row is None:
            row = rows[template_id] = TemplateRow(event["template"])
        else:
            row.template = event["template"]
        row.seen(event["time"])
        row.counts[event["level"].lower()] += 1
        row.paths.add(event["path"])


def templates_table(rows: Mapping[str, TemplateRow], through: str = "") -> pa.Table:
    ids = sorted(rows)
    ordered = [rows[i] for i in ids]
    path_lists = [sorted(row.paths) for row in ordered]
    offsets = [0]
    for paths in path_lists:
        offsets.append(offsets[-1] + len(paths))
    paths = pa.ListArray.from_arrays(
        pa.Array.from_buffers(pa.int32(), len(offsets), [None, pa.py_buffer(_int32s(offsets))]),
        strings([p for paths in path_lists for p in paths]),
    )
    columns = {
        "template_id": strings(ids),
        "template": strings([row.template for row in ordered]),
        "first_seen": _timestamps([row.first_seen for row in ordered]),
        "last_seen": _timestamps([row.last_seen for row in ordered]),
        "count": int64s([sum(row.counts.values()) for row in ordered]),
        **{name: int64s([row.counts[name] for row in ordered]) for name in _LEVEL_COLUMNS},
        "paths": paths,
    }
    schema = TEMPLATES_SCHEMA.with_metadata({_THROUGH_KEY: through.encode()})
    return pa.table(columns, schema=schema)


def publish_templates(out_dir: Path, events: Iterable[Mapping], through: str) -> Path:
    """Fold a batch of events (one run's, named `through`) into `out_dir/templates.parquet`."""
    path = Path(out_dir) / TEMPLATES
    rows: dict[str, TemplateRow] = {}
    if path.exists():
        previous = pq.read_table(path)
        if (previous.schema.metadata or {}).get(_THROUGH_KEY) == through.encode():
            return path  # this batch is already in
        for record in previous.to_pylist():
            rows[record["template_id"]] = _row_of(record)
    fold_events(rows, events)
    return write_parquet_atomic(templates_table(rows, through), path)


def _row_of(record: Mapping) -> TemplateRow:
    def epoch(value) -> float | None:
        return None if value is None else value.timestamp()

    return TemplateRow(
        template=record["template"],
        first_seen=epoch(record["first_seen"]),
        last_seen=epoch(record["last_seen"]),
        counts={name: int(record[name]) for name in _LEVEL_COLUMNS},
        paths=set(record["paths"]),
    )


def _timestamps(epoch_seconds: list[float | None]) -> pa.Array:
    return int64s([None if t is None else round(t * 1e6) for t in epoch_seconds], UTC_MICROS)


def _int32s(values: list[int]) -> bytes:
    return array("i", values).tobytes()
