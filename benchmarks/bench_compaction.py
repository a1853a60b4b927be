"""A month of events/ queried with DuckDB before and after compaction.

30 days of `events/` as runs every 30 s leave them (full: 2,880 part files a day, 86,400 in all;
tiny: 48 a day), 10 events a run. Three analyst queries over the whole month, each the median of
3, then every closed day compacted by the publish step's own `compact_closed_days`, then the same
queries again.

    python benchmarks/bench_compaction.py --size tiny|full
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta

import harness as h
import pyarrow.parquet as pq
from bench_publish import EVENTS_PER_RUN, _events_day

from logingest_dagster.engine.warehouse import events
from logingest_dagster.engine.warehouse.partitions import compact_closed_days

DAYS = 30
QUERIES = {
    "errors per hour": "SELECT date_trunc('hour', time) AS hour, level, count(*) FROM {src} "
    "GROUP BY ALL ORDER BY ALL",
    "word search": "SELECT time, path, message FROM {src} WHERE message ILIKE '%request 1234 %' "
    "ORDER BY time",
    "noisiest files": "SELECT path, count(*) AS n FROM {src} WHERE level = 'ERROR' "
    "GROUP BY path ORDER BY n DESC LIMIT 10",
}


def write_month(dataset, parts_per_day: int, first_day: date) -> int:
    """Part files as the publish step writes them, one per run and day (written without the
    fsync the real writer does: only their number and size matter here)."""
    files = 0
    for d in range(DAYS):
        day = first_day + timedelta(days=d)
        start = datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()
        table = _events_day(start, parts_per_day * EVENTS_PER_RUN)
        directory = dataset / f"date={day.isoformat()}"
        directory.mkdir(parents=True)
        for run in range(parts_per_day):
            part = table.slice(run * EVENTS_PER_RUN, EVENTS_PER_RUN)
            pq.write_table(part, directory / f"part-{d * parts_per_day + run + 1:012d}.parquet")
            files += 1
    return files


def time_queries(dataset) -> dict[str, float]:
    import duckdb

    src = f"read_parquet('{dataset}/*/*.parquet', hive_partitioning = true)"
    result = {}
    for name, sql in QUERIES.items():
        seconds = []
        for _ in range(3):
            con = duckdb.connect()  # a fresh connection: no cached metadata
            t = time.perf_counter()
            con.execute(sql.format(src=src)).fetchall()
            seconds.append(time.perf_counter() - t)
            con.close()
        result[name] = statistics.median(seconds)
    return result


def measure(s: h.Settings) -> dict:
    parts_per_day = 2880 if s.size == "full" else 48
    today = datetime.now(UTC).date()
    with h.scratch("compaction-") as tmp:
        warehouse = tmp / "warehouse"
        dataset = warehouse / events.NAME
        h.log(f"compaction: writing {DAYS} days x {parts_per_day} parts")
        files = write_month(dataset, parts_per_day, today - timedelta(days=DAYS))
        h.log("compaction: queries before")
        before = time_queries(dataset)
        t = time.perf_counter()
        done = compact_closed_days(warehouse, dataset, "time", set(), today)
        compact_s = time.perf_counter() - t
        after_files = len(list(dataset.glob("date=*/*.parquet")))
        h.log("compaction: queries after")
        after = time_queries(dataset)
    return {
        "parts_per_day": parts_per_day,
        "files_before": files,
        "files_after": after_files,
        "days": done.days,
        "compact_s": compact_s,
        "before": before,
        "after": after,
    }


def render(res: dict) -> str:
    rows = [
        [
            name,
            h.fmt(res["before"][name] * 1e3, 1),
            h.fmt(res["after"][name] * 1e3, 1),
            h.fmt_ratio(res["before"][name], res["after"][name]),
        ]
        for name in QUERIES
    ]
    return (
        f"### A month of events/ in DuckDB: {res['files_before']:,} part files "
        f"({res['parts_per_day']:,} a day) before, {res['files_after']:,} after compaction\n\n"
        f"Compacting the {res['days']} closed days took {res['compact_s']:.1f} s. Median of 3, "
        "ms.\n\n" + h.table(["query", "before", "after", "before / after"], rows) + "\n"
    )


if __name__ == "__main__":
    sys.exit(h.standalone(measure, render, __doc__.splitlines()[0]))
