"""What a run's events and minute counts add to a scan, in CPU seconds, measured in one process.

The `few` shape (20 files of about 9 MB of real and synthetic logs) is scanned on one thread four
ways: as `logingest scan` does (counts only), with minute counts, with events (at the run's
default minimum level and limit per read), and with both (as a run reads). Rounds alternate the
four, and each one's best CPU time (`time.thread_time` of the scanning thread) is kept, so other
work on a shared machine moves them alike. Printed: each one's CPU seconds and its ratio to the
plain scan, the events and records found, the cost per event, and, for a run's read, where its
time goes by phase (`engine_phases.py`).

    python benchmarks/bench_events.py --size tiny|full [--repeats N]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import engine_phases
import harness as h

from logingest_dagster.engine.scan.batch import scan_paths
from logingest_dagster.engine.scan.result import EVENTS_PER_READ, ScanOptions

VARIANTS = {
    "scan": ScanOptions(),
    "minute counts": ScanOptions(minute_counts=True),
    "events": ScanOptions(max_events=EVENTS_PER_READ),
    "run (both)": ScanOptions(max_events=EVENTS_PER_READ, minute_counts=True),
}


def _scan(directory: Path, options: ScanOptions) -> tuple[float, int, int]:
    """(CPU seconds of one single-threaded scan, events kept, records)."""
    start = time.thread_time()
    results = list(scan_paths([directory], workers=1, options_for=lambda _path: options))
    took = time.thread_time() - start
    return took, sum(len(r.events) for r in results), sum(r.records for r in results)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=("tiny", "full"), default="tiny")
    parser.add_argument("--repeats", type=int, default=None)
    args = parser.parse_args()
    s = h.Settings.for_size(args.size, repeats=args.repeats)
    directory = s.corpus("few")
    best: dict[str, float] = {}
    found: dict[str, tuple[int, int]] = {}
    for options in VARIANTS.values():  # warm-up: page cache, imports, compiled patterns
        _scan(directory, options)
    for _ in range(max(1, s.repeats)):
        for name, options in VARIANTS.items():
            took, events, records = _scan(directory, options)
            best[name] = min(best.get(name, took), took)
            found[name] = (events, records)
    base = best["scan"]
    events = found["events"][0]
    print(f"corpus {directory.name}: {found['scan'][1]:,} records, {events:,} events")
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'variant':<16}{'CPU s':>8}{'/ scan':>9}")
    for name, took in best.items():
        print(f"{name:<16}{took:>8.3f}{took / base:>9.2f}")
    if events:
        per_event = (best["events"] - base) / events * 1e6
        print(f"events cost {per_event:.2f} µs per event over the scan")
    run = engine_phases.phases(directory, VARIANTS["run (both)"])
    print(f"a run's read by phase (one thread, {run['total_s']:.3f} s CPU):")
    for phase, seconds in run["seconds"].items():
        print(f"  {phase:<52}{seconds:>8.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
