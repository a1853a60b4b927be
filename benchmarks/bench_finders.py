"""The compiled level finders against RE2, per format: each `mixed` file scanned on one thread.

python benchmarks/bench_finders.py --size tiny|full

In this process, so the figures are the engine's own work (no start-up, no second core): every
file is scanned with the compiled finders (`engine/level_fields.c`) and with the formats' RE2
patterns, alternately, best of N each. Formats without a compiled finder are timed too: their
ratio shows the noise.
"""

from __future__ import annotations

import sys
import time
from collections import defaultdict
from pathlib import Path

import harness as h

from logingest_dagster.engine.scan import level_fields, scan_range


def _scan_seconds(path: str, compiled: bool) -> tuple[float, str | None, dict[str, int]]:
    found = level_fields.tokens
    if not compiled:
        level_fields.tokens = lambda *args: None  # the engine's fallback: RE2 for every format
    try:
        t0 = time.perf_counter()
        result = scan_range(path)
        return time.perf_counter() - t0, result.format, result.counts
    finally:
        level_fields.tokens = found


def measure(s: h.Settings) -> dict:
    if not level_fields.is_available():
        raise h.BenchError("the compiled level finders are not built (make setup builds them)")
    d = s.corpus("mixed")
    h.log(f"finders {d.name}: each file on one thread, compiled and RE2")
    by_format: dict[str, dict] = defaultdict(
        lambda: {"files": 0, "bytes": 0, "compiled_s": 0.0, "re2_s": 0.0}
    )
    for path in h.log_files(d):
        best = {True: float("inf"), False: float("inf")}
        counts = {}
        for attempt in range(s.repeats + (1 if s.warmup else 0)):
            for compiled in (True, False):
                seconds, fmt, counts[compiled] = _scan_seconds(path, compiled)
                if attempt or not s.warmup:
                    best[compiled] = min(best[compiled], seconds)
        if counts[True] != counts[False]:
            s.fail(f"finders: {path} counts differ, compiled {counts[True]} vs RE2 {counts[False]}")
        row = by_format[fmt or "failed"]
        row["files"] += 1
        row["bytes"] += Path(path).stat().st_size
        row["compiled_s"] += best[True]
        row["re2_s"] += best[False]
    rows = sorted(({"format": f} | r for f, r in by_format.items()), key=lambda r: -r["bytes"])
    return {"corpus": d.name, "rows": rows}


def _total(res: dict) -> dict:
    rows = res["rows"]
    return {k: sum(r[k] for r in rows) for k in ("files", "bytes", "compiled_s", "re2_s")}


def summary_rows(res: dict) -> list[list[str]]:
    t = _total(res)
    what = f"{h.files(t['files'])}, {t['bytes'] / h.MB:,.0f} MB ({res['corpus']}), one thread"
    return [
        [
            f"compiled level finders / RE2, MB/s, {what}",
            h.fmt_ratio(t["re2_s"], t["compiled_s"]),
            "",
        ]
    ]


def render(res: dict) -> str:
    rows = []
    for r in [*res["rows"], {"format": "all"} | _total(res)]:
        compiled, re2 = h.mbps(r["bytes"], r["compiled_s"]), h.mbps(r["bytes"], r["re2_s"])
        rows.append(
            [
                r["format"],
                f"{r['files']:,}",
                f"{r['bytes'] / h.MB:,.1f}",
                h.fmt_rate(compiled),
                h.fmt_rate(re2),
                h.fmt_ratio(compiled, re2),
            ]
        )
    return (
        "### Level finders (in-process, one thread, MB/s; every format here but plain has a "
        "compiled finder)\n\n"
        + h.table(["format", "files", "MB", "compiled", "RE2", "compiled/RE2"], rows)
        + "\n"
    )


if __name__ == "__main__":
    sys.exit(h.standalone(measure, render, __doc__.splitlines()[0]))
