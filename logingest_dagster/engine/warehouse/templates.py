"""`templates.parquet`: one row per message template, folded from the events each commit published.

Publishing costs what the commits added: their events' rows (`events.table`) are folded into the
previous file's rows (counts added, first and last logged time widened, paths merged, the newest
template text kept) and the result written atomically. The file's metadata names the last commit
folded in, so a publish that is repeated (killed after writing this file, before the store
recorded its commits as published) folds no commit twice: commit ids only grow, and commits are
published in their order under the store's write lock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

# The kernels by name: importing `pyarrow.compute` costs ~20 ms (see scan/formats.py).
from pyarrow import _compute

from logingest_dagster.engine.arrays import int32s, int64s, numpy_view, string_scalar, strings
from logingest_dagster.engine.levels import LEVELS
from logingest_dagster.engine.warehouse.events import UTC_MICROS
from logingest_dagster.engine.warehouse.files import write_parquet_atomic

NAME = "templates"
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
_THROUGH_KEY = b"logingest.templates_through_commit"


@dataclass
class TemplateRow:
    """One template's row while folding; times in µs since the epoch."""

    template: str
    first_seen: int | None = None
    last_seen: int | None = None
    counts: list[int] = field(default_factory=lambda: [0] * len(LEVELS))
    paths: set[str] = field(default_factory=set)

    def seen(self, first: int | None, last: int | None) -> None:
        if first is not None and (self.first_seen is None or first < self.first_seen):
            self.first_seen = first
        if last is not None and (self.last_seen is None or last > self.last_seen):
            self.last_seen = last


def fold_events(rows: dict[str, TemplateRow], table: pa.Table) -> None:
    """Add an `events.table` (template_id, template, time, time_source, level as LEVELS'
    dictionary, path) to `rows`; events without a template are left out. A batch's template
    text replaces the older one (templates only generalise)."""
    ids = table["template_id"].combine_chunks()
    if ids.null_count == len(ids):
        return
    if ids.null_count:
        table = table.filter(_compute.call_function("is_valid", [ids]))
    id_codes, id_names = _encoded(table["template_id"])
    path_codes, path_names = _encoded(table["path"])
    level = table["level"].combine_chunks()
    level_codes = numpy_view(level.indices, np.int32)
    level_of = np.array([LEVELS.index(name) for name in level.dictionary.to_pylist()], np.int64)
    n_ids = len(id_names)
    counts = np.bincount(
        id_codes * len(LEVELS) + level_of[level_codes], minlength=n_ids * len(LEVELS)
    ).reshape(n_ids, len(LEVELS))
    times = numpy_view(table["time"].combine_chunks().view(pa.int64()), np.int64)
    logged = np.array(
        _compute.call_function(
            "equal", [table["time_source"], string_scalar("logged")]
        ).to_pylist(),
        np.bool_,
    )
    first = np.full(n_ids, np.iinfo(np.int64).max, np.int64)
    last = np.full(n_ids, np.iinfo(np.int64).min, np.int64)
    np.minimum.at(first, id_codes[logged], times[logged])
    np.maximum.at(last, id_codes[logged], times[logged])
    newest = np.zeros(n_ids, np.int64)
    np.maximum.at(newest, id_codes, np.arange(len(id_codes)))
    texts = table["template"].combine_chunks()
    pairs = np.unique(id_codes.astype(np.int64) * len(path_names) + path_codes)
    paths_of: dict[int, list[str]] = {}
    for pair in pairs.tolist():
        paths_of.setdefault(pair // len(path_names), []).append(path_names[pair % len(path_names)])
    for code, template_id in enumerate(id_names):
        text = texts[int(newest[code])].as_py()
        row = rows.get(template_id)
        if row is None:
            row = rows[template_id] = TemplateRow(text)
        else:
            row.template = text
        if first[code] <= last[code]:
            row.seen(int(first[code]), int(last[code]))
        row.counts = [a + b for a, b in zip(row.counts, counts[code].tolist(), strict=True)]
        row.paths.update(paths_of.get(code, ()))


def templates_table(rows: Mapping[str, TemplateRow], through: int = 0) -> pa.Table:
    ids = sorted(rows)
    ordered = [rows[i] for i in ids]
    path_lists = [sorted(row.paths) for row in ordered]
    offsets = [0]
    for paths in path_lists:
        offsets.append(offsets[-1] + len(paths))
    paths = pa.ListArray.from_arrays(
        int32s(offsets), strings([p for paths in path_lists for p in paths])
    )
    columns = {
        "template_id": strings(ids),
        "template": strings([row.template for row in ordered]),
        "first_seen": int64s([row.first_seen for row in ordered], UTC_MICROS),
        "last_seen": int64s([row.last_seen for row in ordered], UTC_MICROS),
        "count": int64s([sum(row.counts) for row in ordered]),
        **{
            name: int64s([row.counts[i] for row in ordered])
            for i, name in enumerate(_LEVEL_COLUMNS)
        },
        "paths": paths,
    }
    schema = TEMPLATES_SCHEMA.with_metadata({_THROUGH_KEY: str(through).encode()})
    return pa.table(columns, schema=schema)


def publish_templates(out_dir: Path, commits: Iterable[tuple[int, pa.Table]]) -> int:
    """Fold each commit's events (commit id, `events.table`) not yet in
    `out_dir/templates.parquet` into it, and return its rows. The file is written (empty) the
    first time even with nothing to fold, so the asset always has its file."""
    path = Path(out_dir) / TEMPLATES
    rows: dict[str, TemplateRow] = {}
    through = 0
    if path.exists():
        previous = pq.ParquetFile(path)
        through = int((previous.schema_arrow.metadata or {}).get(_THROUGH_KEY, b"0") or 0)
        new = [(cid, table) for cid, table in commits if cid > through]
        if not new:
            return previous.metadata.num_rows
        rows = _rows_of(previous.read())
    else:
        new = list(commits)
    for cid, table in sorted(new, key=lambda item: item[0]):
        fold_events(rows, table)
        through = max(through, cid)
    write_parquet_atomic(templates_table(rows, through), path)
    return len(rows)


def _rows_of(table: pa.Table) -> dict[str, TemplateRow]:
    def micros(name: str) -> list[int | None]:
        return table[name].combine_chunks().view(pa.int64()).to_pylist()

    ids = table["template_id"].to_pylist()
    texts = table["template"].to_pylist()
    firsts, lasts = micros("first_seen"), micros("last_seen")
    counts = [table[name].to_pylist() for name in _LEVEL_COLUMNS]
    paths = table["paths"].to_pylist()
    return {
        template_id: TemplateRow(
            template=texts[i],
            first_seen=firsts[i],
            last_seen=lasts[i],
            counts=[column[i] for column in counts],
            paths=set(paths[i]),
        )
        for i, template_id in enumerate(ids)
    }


def _encoded(column: pa.ChunkedArray) -> tuple[np.ndarray, list[str]]:
    encoded = _compute.call_function("dictionary_encode", [column.combine_chunks()])
    return numpy_view(encoded.indices, np.int32).astype(np.int64), encoded.dictionary.to_pylist()
