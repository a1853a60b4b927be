"""What the rules are evaluated on: counts per minute x file x level, by logged time, with examples.

`committed_minute_counts` is the one place that says where the counts come from: the minutes a run
committed are its pending minute counts (`pending_minutes`, read before its publish hands them to
the warehouse), judged against the `severity_timeseries` dataset's earlier minutes of the same
files. Both hold every level, so share rules work too. Records with no time in their text count
under the minute of their commit, as in the dataset. Examples are the run's own events.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

EXAMPLES_PER_MINUTE = 3
# How far before the earliest minute judged the dataset is read: a day covers the default rules'
# trailing hour and share windows with room for longer ones.
HISTORY_MINUTES = 24 * 60
# Judged by a check run on demand: the dataset's newest day of minutes.
ON_DEMAND_MINUTES = 24 * 60
_NO_TIME = -1  # scan.result.NO_TIME


@dataclass(frozen=True)
class MinuteCount:
    minute: int  # minutes since the epoch, UTC
    path: str
    level: str
    count: int


@dataclass
class MinuteCounts:
    """The counts the rules read: every minute known of the files concerned (for trailing
    medians), and `focus`, the (path, minute) pairs the run committed records into: the only
    minutes the rules judge, so a run alerts on what it brought in."""

    counts: list[MinuteCount] = field(default_factory=list)
    focus: set[tuple[str, int]] = field(default_factory=set)
    examples: Mapping[tuple[str, int], list[str]] = field(default_factory=dict)
    all_levels: bool = True  # `counts` holds every level, so shares can be computed


class PendingSource(Protocol):
    def run_pending(self, run_id: str) -> list[dict]: ...


def committed_minute_counts(
    store: PendingSource, warehouse: Path, run_id: str | None
) -> MinuteCounts:
    """The minutes `run_id` committed records into, with the dataset's counts of their files
    before them; None: the dataset's newest day is in focus (a check run on demand)."""
    dataset = warehouse / "severity_timeseries"
    if run_id is None:
        history = _dataset_counts(dataset, None, None)
        newest = max((c.minute for c in history), default=0)
        focus = {(c.path, c.minute) for c in history if c.minute > newest - ON_DEMAND_MINUTES}
        return MinuteCounts(history, focus, {})
    tally: Counter[tuple[str, int, str]] = Counter()
    examples = ExamplesByMinute()
    for commit in store.run_pending(run_id):
        ingested = int(commit["committed_at"] // 60)
        for read in commit["minutes"]:
            counts = json.loads(read["counts"])
            for second, level, n in zip(
                counts["minute"], counts["level"], counts["count"], strict=True
            ):
                minute = ingested if second == _NO_TIME else int(second // 60)
                tally[(read["path"], minute, level)] += n
        for read in commit["events"]:
            examples.add(read, ingested)
    focus = {(path, minute) for path, minute, _ in tally}
    if not focus:
        return MinuteCounts()
    since = min(minute for _, minute in focus) - HISTORY_MINUTES
    history = _dataset_counts(dataset, {path for path, _ in focus}, since)
    counts = [MinuteCount(m, p, lv, n) for (p, m, lv), n in sorted(tally.items())]
    return MinuteCounts(history + counts, focus, examples)


class ExamplesByMinute(Mapping[tuple[str, int], list[str]]):
    """(path, minute) -> the first lines of its first EXAMPLES_PER_MINUTE events, in file order.

    A path's are decoded from its reads' stored events the first time one of them is asked for:
    only the minutes a rule flags need examples, and decoding every read's records cost more
    than all the rest of the alert counts on a busy run."""

    def __init__(self) -> None:
        self._reads: dict[str, list[tuple[dict, int]]] = {}
        self._found: dict[tuple[str, int], list[str]] = {}

    def add(self, read: dict, ingested: int) -> None:
        """A pending events row of the run, and its commit's minute (for events with no time)."""
        self._reads.setdefault(read["path"], []).append((read, ingested))

    def _decode(self, path: str) -> None:
        for read, ingested in self._reads.pop(path, ()):
            for minute, record in _example_candidates(read, ingested):
                kept = self._found.setdefault((path, minute), [])
                if len(kept) < EXAMPLES_PER_MINUTE:
                    kept.append(record.split("\n", 1)[0])

    def __getitem__(self, key: tuple[str, int]) -> list[str]:
        self._decode(key[0])
        return self._found[key]

    def __iter__(self) -> Iterator[tuple[str, int]]:
        for path in list(self._reads):
            self._decode(path)
        return iter(self._found)

    def __len__(self) -> int:
        return sum(1 for _ in self)


def _example_candidates(read: dict, ingested: int) -> list[tuple[int, str]]:
    """(minute, record) of a read's first EXAMPLES_PER_MINUTE events of each minute, in file
    order: all the examples it can give, found without a Python step per event."""
    import numpy as np

    from logingest_dagster.engine.state.event_rows import read_batch

    batch = read_batch(read)
    if not batch.num_rows:
        return []
    times = batch["time"]
    micros = np.frombuffer(times.buffers()[1], np.int64)[times.offset : times.offset + len(times)]
    valid = np.ones(len(times), bool) if times.null_count == 0 else _valid(times)
    minutes = np.where(valid, micros // 60_000_000, ingested)
    order = np.argsort(minutes, kind="stable")
    ordered = minutes[order]
    group_start = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    rank = np.arange(len(order)) - np.repeat(group_start, np.diff(np.r_[group_start, len(order)]))
    chosen = np.sort(order[rank < EXAMPLES_PER_MINUTE])
    records = batch["record"].take(chosen).to_pylist()
    return list(zip(minutes[chosen].tolist(), records, strict=True))


def _valid(array):
    """An Arrow array's validity bitmap as numpy booleans."""
    import numpy as np

    bits = np.frombuffer(array.buffers()[0], np.uint8)
    return np.unpackbits(bits, bitorder="little")[array.offset : array.offset + len(array)].astype(
        bool
    )


def _dataset_counts(dataset: Path, paths: set[str] | None, since: int | None) -> list[MinuteCount]:
    """The dataset's counts (of `paths`, from minute `since`), summed over time sources."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from logingest_dagster.engine.warehouse.partitions import day_dirs, parquet_files

    first_day = None if since is None else datetime.fromtimestamp(since * 60, UTC).date()
    tally: Counter[tuple[str, int, str]] = Counter()
    for date, day in sorted(day_dirs(dataset).items()):
        if first_day is not None and date < first_day.isoformat():
            continue
        for file in parquet_files(day):
            table = pq.read_table(file, columns=["minute", "path", "level", "count"])
            if paths is not None:
                table = table.filter(pc.is_in(table["path"], value_set=_strings(paths)))
            minutes = pc.cast(table["minute"], "int64").to_pylist()
            for micros, path, level, n in zip(
                minutes,
                table["path"].to_pylist(),
                table["level"].to_pylist(),
                table["count"].to_pylist(),
                strict=True,
            ):
                minute = micros // 60_000_000
                if since is None or minute >= since:
                    tally[(path, minute, level)] += n
    return [MinuteCount(m, p, lv, n) for (p, m, lv), n in sorted(tally.items())]


def _strings(values: set[str]):
    import pyarrow as pa

    return pa.array(sorted(values), pa.string())
