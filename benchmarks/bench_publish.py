"""Publish and whole-run time after 300 runs and after a month of 30-second runs (86,400).

Two homes over the same kind of log directory. The young one has had 300 real runs. The old one
first gets a month of history made directly (86,400 - 300 commits in the offset store, marked
published; their severity_history/ partitions; 30 days of events/ and severity_timeseries/ at
the sizes such runs write, one compacted file a day), then the same 300 real runs. Each timed
run appends a few lines and runs discover -> ingest -> commit -> publish -> the after-each-run
checks through `engine.pipeline`, the step bodies the Dagster ops run (Dagster's own overhead
per run does not depend on history and is measured by bench_orchestration). Timed runs alternate
between the two homes; the median of each is shown, with their ratio (target <= 1.5).

    python benchmarks/bench_publish.py --size tiny|full
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import harness as h
import pyarrow as pa
import sqlalchemy as sa

from logingest_dagster.engine import pipeline
from logingest_dagster.engine.levels import LEVELS
from logingest_dagster.engine.scan import ScanOptions
from logingest_dagster.engine.scan.result import EVENTS_PER_READ
from logingest_dagster.engine.state import open_store
from logingest_dagster.engine.state.schema import commits, published
from logingest_dagster.engine.warehouse import CHECKS, events, history, run_check, timeseries
from logingest_dagster.engine.warehouse.files import write_parquet_atomic
from logingest_dagster.settings import Settings

MONTH_RUNS = 86_400
RUN_EVERY_S = 30
FILES = 20
EVENTS_PER_RUN = 10  # WARN and above a run adds, in the simulated month
OPTIONS = ScanOptions(max_events=EVENTS_PER_READ, minute_counts=True)
CHECKS_AFTER_RUN = [c for c in CHECKS if c.after_each_run]
LEVEL_WORDS = ["INFO"] * 7 + ["WARN", "ERROR", "DEBUG"]


class Logs:
    """A directory of FILES logs; each run appends lines to a few of them, stamped now."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True)
        self.n = 0

    def grow(self, files: int = 5, lines: int = 4) -> None:
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S,%f")[:-3]
        for _ in range(files):
            with open(self.directory / f"app{self.n % FILES:02d}.log", "a") as f:
                for i in range(lines):
                    level = LEVEL_WORDS[(self.n + i) % len(LEVEL_WORDS)]
                    f.write(f"{stamp} {level} [main] c.a.Service - request {self.n} step {i}\n")
            self.n += 1


def one_run(home: Path, logs: Logs) -> dict[str, float]:
    """A run after the logs grew; seconds per step."""
    logs.grow()
    settings = Settings(log_dirs=[str(logs.directory)], partial_line_grace_seconds=0.0)
    times: dict[str, float] = {}
    with open_store(home) as store:
        t = time.perf_counter()
        found = pipeline.discover(settings, store)
        times["discover"] = time.perf_counter() - (t0 := t)
        t = time.perf_counter()
        results = pipeline.ingest(found.tasks, lambda _path: OPTIONS)
        times["ingest"] = time.perf_counter() - t
        t = time.perf_counter()
        pipeline.commit(store, f"run-{time.time_ns()}", found.plan, results)
        times["commit"] = time.perf_counter() - t
        t = time.perf_counter()
        pipeline.publish(store, home, retention_days=30)
        times["publish"] = time.perf_counter() - t
    t = time.perf_counter()
    failed = [c.name for c in CHECKS_AFTER_RUN if not run_check(c, home).passed]
    times["checks"] = time.perf_counter() - t
    times["run"] = time.perf_counter() - t0
    if failed:
        raise h.BenchError(f"checks failed under {home}: {failed}")
    return times


def simulate_month(home: Path, runs: int, now: float) -> None:
    """The store and warehouse a month of `runs` commits, every RUN_EVERY_S, would leave."""
    with open_store(home) as store, store.engine.begin() as conn:
        rows = [
            {"run_id": f"simulated-{i}", "committed_at": now - (runs - i) * RUN_EVERY_S}
            | {"files": 0, "lines": 0, "bytes": 0, "conflicts": 0, "events_dropped": 0}
            | {level.lower(): 0 for level in LEVELS}  # nothing new: keeps sums to the totals
            for i in range(runs)
        ]
        conn.execute(sa.insert(commits), rows)
        log = [
            dict(r, kind="run")
            for r in conn.execute(sa.select(commits).order_by(commits.c.id)).mappings()
        ]
        conn.execute(sa.update(published).values(history_through=log[-1]["id"]))
    warehouse = home / "warehouse"
    by_day: dict[str, list[dict]] = {}
    for row in log:
        by_day.setdefault(_day(row["committed_at"]), []).append(row)
    for day, day_rows in by_day.items():
        part = f"date={day}/compacted-{day_rows[-1]['id']:012d}.parquet"
        write_parquet_atomic(history.table(day_rows), warehouse / history.NAME / part)
        start = datetime.fromisoformat(day).replace(tzinfo=UTC).timestamp()
        write_parquet_atomic(
            _events_day(start, len(day_rows) * EVENTS_PER_RUN),
            warehouse / events.NAME / f"date={day}" / "compacted-000000000000.parquet",
        )
        write_parquet_atomic(
            _minutes_day(start),
            warehouse / timeseries.NAME / f"date={day}" / "compacted-000000000000.parquet",
        )


def _day(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).date().isoformat()


def _events_day(start: float, n: int) -> pa.Table:
    times = [round((start + i * 86_400 / max(n, 1)) * 1e6) for i in range(n)]
    level_codes = [LEVELS.index("WARN" if i % 3 else "ERROR") for i in range(n)]
    text = [f"request {i} failed: upstream timed out after 3000 ms" for i in range(n)]
    columns = {
        "event_id": pa.array([f"{i:016x}" for i in range(n)]),
        "time": pa.array(times, events.UTC_MICROS),
        "time_source": pa.array(["logged"] * n),
        "level": pa.DictionaryArray.from_arrays(pa.array(level_codes, pa.int32()), list(LEVELS)),
        "path": pa.array([f"/var/log/app{i % FILES:02d}.log" for i in range(n)]),
        "file": pa.array([f"/var/log/app{i % FILES:02d}.log" for i in range(n)]),
        "offset": pa.array([i * 120 for i in range(n)], pa.int64()),
        "line_number": pa.array(list(range(1, n + 1)), pa.int64()),
        "service": pa.array([f"app{i % FILES:02d}" for i in range(n)]),
        "logger": pa.array(["c.a.Service"] * n),
        "message": pa.array(text),
        "record": pa.array(text),
        "truncated": pa.array([False] * n),
        "run_id": pa.array([f"simulated-{i // EVENTS_PER_RUN}" for i in range(n)]),
        "committed_at": pa.array(times, events.UTC_MICROS),
    }
    return pa.Table.from_pydict(columns, schema=events.SCHEMA)


def _minutes_day(start: float) -> pa.Table:
    keys = [(m, f, lv) for m in range(1440) for f in range(FILES) for lv in ("INFO", "WARN")]
    return pa.Table.from_pydict(
        {
            "minute": pa.array(
                [round((start + m * 60) * 1e6) for m, _, _ in keys], events.UTC_MICROS
            ),
            "path": pa.array([f"/var/log/app{f:02d}.log" for _, f, _ in keys]),
            "service": pa.array([f"app{f:02d}" for _, f, _ in keys]),
            "level": pa.DictionaryArray.from_arrays(
                pa.array([LEVELS.index(lv) for _, _, lv in keys], pa.int32()), list(LEVELS)
            ),
            "time_source": pa.array(["logged"] * len(keys)),
            "count": pa.array([2] * len(keys), pa.int64()),
        },
        schema=timeseries.SCHEMA,
    )


def measure(s: h.Settings) -> dict:
    real_runs = 300 if s.size == "full" else 30
    timed = 21 if s.size == "full" else 5
    with h.scratch("publish-") as tmp:
        young, old = tmp / "young", tmp / "old"
        h.log(f"publish: a month of {MONTH_RUNS - real_runs:,} runs made directly")
        started = time.perf_counter()
        simulate_month(old, MONTH_RUNS - real_runs, time.time() - real_runs * RUN_EVERY_S)
        h.log(f"publish: made in {time.perf_counter() - started:.1f} s")
        homes = {"young": (young, Logs(tmp / "logs-young")), "old": (old, Logs(tmp / "logs-old"))}
        for name, (home, logs) in homes.items():
            h.log(f"publish: {real_runs} real runs in the {name} home")
            for _ in range(real_runs):
                one_run(home, logs)
        samples: dict[str, list[dict]] = {"young": [], "old": []}
        for _ in range(timed):
            for name, (home, logs) in homes.items():
                samples[name].append(one_run(home, logs))
        with open_store(old) as store, store.engine.connect() as conn:
            old_commits = conn.execute(sa.select(sa.func.count()).select_from(commits)).scalar()
        days = len(list((old / "warehouse" / history.NAME).glob("date=*")))
    steps = ["discover", "ingest", "commit", "publish", "checks", "run"]
    medians = {
        name: {step: statistics.median(t[step] for t in runs) for step in steps}
        for name, runs in samples.items()
    }
    return {
        "real_runs": real_runs,
        "timed": timed,
        "old_commits": old_commits,
        "history_days": days,
        "medians": medians,
    }


def render(res: dict) -> str:
    young, old = res["medians"]["young"], res["medians"]["old"]
    rows = [
        [
            step,
            h.fmt(young[step] * 1e3, 1),
            h.fmt(old[step] * 1e3, 1),
            h.fmt_ratio(old[step], young[step]),
        ]
        for step in ("discover", "ingest", "commit", "publish", "checks", "run")
    ]
    return (
        f"### Publish after {res['real_runs']} runs and after a month ({res['old_commits']:,} "
        f"commits, {res['history_days']} days of partitions)\n\nMedian of {res['timed']} "
        "alternating runs, ms (`run` = discover + ingest + commit + publish + after-run checks)."
        "\n\n"
        + h.table(
            ["step", f"after {res['real_runs']} runs", "after a month", "month / young"], rows
        )
        + "\n"
    )


if __name__ == "__main__":
    sys.exit(h.standalone(measure, render, __doc__.splitlines()[0]))
