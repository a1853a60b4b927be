"""Records' and events' times found by the compiled matchers (`time_keys.c`) against the families'
RE2 patterns, in CPU seconds, measured in one process.

A run's read of a corpus (minute counts and events, one thread) is made with each engine in turn,
rounds alternating, and in each the CPU time (`time.thread_time`) spent in the minute counts
(`MinuteCounter.take`: choosing the family, finding every record's minute, counting) and in the
events' times (`exact_times`) is summed; each one's best round is kept. Printed: both engines'
seconds, per record or event, and the ratio; the results of both are checked equal.

    python benchmarks/bench_times.py --size tiny|full [--corpus few|many|mix] [--repeats N]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import harness as h

from logingest_dagster.engine.scan import events, minute_counts, time_keys
from logingest_dagster.engine.scan.batch import scan_paths
from logingest_dagster.engine.scan.result import ScanOptions

OPTIONS = ScanOptions(max_events=50_000, minute_counts=True)


def _read(directory: Path, compiled: bool) -> tuple[dict[str, float], int, int, list]:
    """(CPU seconds per part, records, events, results) of one read of `directory`."""
    time_keys._loaded, time_keys._library = False, None  # load again, or not at all
    if not compiled:
        time_keys._loaded = True
    spent = {"minute counts": 0.0, "event times": 0.0}
    saved = (minute_counts.MinuteCounter.take, events.exact_times)

    def timed(part, function):
        def run(*args):
            start = time.thread_time()
            try:
                return function(*args)
            finally:
                spent[part] += time.thread_time() - start

        return run

    minute_counts.MinuteCounter.take = timed("minute counts", saved[0])
    events.exact_times = timed("event times", saved[1])
    try:
        results = list(scan_paths([directory], workers=1, options_for=lambda _path: OPTIONS))
    finally:
        minute_counts.MinuteCounter.take, events.exact_times = saved
    found = [(r.path, r.minute_counts, [e.time for e in r.events]) for r in results]
    return spent, sum(r.records for r in results), sum(len(r.events) for r in results), found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=("tiny", "full"), default="tiny")
    parser.add_argument("--corpus", choices=("few", "many", "mix"), default="few")
    parser.add_argument("--repeats", type=int, default=None)
    args = parser.parse_args()
    s = h.Settings.for_size(args.size, repeats=args.repeats)
    directory = s.corpus(args.corpus)
    if not time_keys.is_available():
        print("time_keys is not built (make setup builds it): nothing to compare")
        return 1
    best: dict[str, dict[str, float]] = {"RE2": {}, "compiled": {}}
    results = {}
    for _ in range(max(1, s.repeats)):
        for name in best:
            spent, records, events_kept, results[name] = _read(directory, name == "compiled")
            for part, seconds in spent.items():
                best[name][part] = min(best[name].get(part, seconds), seconds)
    time_keys._loaded = False
    if results["RE2"] != results["compiled"]:
        print("ERROR: the engines' minute counts or event times differ")
        return 1
    print(f"corpus {directory.name}: {records:,} records, {events_kept:,} events (same both ways)")
    print(f"{'part':<15}{'RE2 s':>9}{'compiled s':>12}{'RE2 / compiled':>16}{'µs each':>16}")
    for part, each in (("minute counts", records), ("event times", events_kept)):
        re2, compiled = best["RE2"][part], best["compiled"][part]
        per = f"{re2 / each * 1e6:.2f} -> {compiled / each * 1e6:.2f}" if each else "-"
        print(f"{part:<15}{re2:>9.3f}{compiled:>12.3f}{re2 / max(compiled, 1e-9):>16.1f}{per:>16}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
