"""Every benchmark in one run, so the ratios come from one sitting of a noisy machine.

    python benchmarks/run_all.py --size tiny    # seconds; only shows the scripts still work
    python benchmarks/run_all.py --size full    # the real thing: 2.6 GB of corpus, minutes

Prints one Markdown report and writes it to benchmarks/out/latest.md (with the raw numbers in
latest.json); `--update-readme` also puts it into benchmarks/README.md. Exits 1 when a command
it needs failed (never for a missed target, nor for seed-go being unavailable).
"""

from __future__ import annotations

import json
import re
import sys
import time
from datetime import UTC, datetime

import bench_finders
import bench_incremental
import bench_memory
import bench_orchestration
import bench_shapes
import bench_template_share
import bench_templates
import bench_throughput
import harness as h

BENCHES = {
    "throughput": bench_throughput,
    "finders": bench_finders,
    "orchestration": bench_orchestration,
    "incremental": bench_incremental,
    "memory": bench_memory,
    "shapes": bench_shapes,
    "templates": bench_templates,
    "template_share": bench_template_share,
}
README = h.HERE / "README.md"
BEGIN, END = "<!-- latest:begin -->", "<!-- latest:end -->"


def main() -> int:
    p = h.arg_parser(__doc__.splitlines()[0])
    p.add_argument("--only", nargs="+", choices=list(BENCHES), help="run only these measurements")
    p.add_argument("--update-readme", action="store_true", help="write the report into README.md")
    a = p.parse_args()
    s = h.settings_from_args(a)
    started = time.perf_counter()
    results, sections, summary = {}, [], []
    for name, bench in BENCHES.items():
        if a.only and name not in a.only:
            continue
        t0 = time.perf_counter()
        try:
            res = bench.measure(s)
        except (h.BenchError, OSError) as exc:
            s.fail(f"{name}: {exc}")
            sections.append(f"### {name}\n\nfailed: {exc}\n")
            continue
        h.log(f"{name} done in {time.perf_counter() - t0:.1f} s")
        results[name] = res
        sections.append(bench.render(res))
        summary += bench.summary_rows(res)

    command = f"python benchmarks/run_all.py --size {s.size}"
    header = (
        f"## Latest results ({s.size})\n\n"
        f"`{command}` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, commit {h.git_commit()}, "
        f"{h.machine()}; best of {s.repeats}{' after one untimed run' if s.warmup else ''}, "
        f"{time.perf_counter() - started:.0f} s in all.\n"
    )
    if s.size == "tiny":
        header += "\nTiny corpora: process start dominates every figure; this only shows the scripts work.\n"
    report = "\n".join(
        [header, h.table(["ratio or figure (same run)", "measured", "target"], summary), ""]
        + sections
        + ([f"Errors: {'; '.join(s.errors)}\n"] if s.errors else [])
    )
    print(report)
    h.OUT.mkdir(parents=True, exist_ok=True)
    (h.OUT / "latest.md").write_text(report)
    (h.OUT / "latest.json").write_text(
        json.dumps({"size": s.size, "errors": s.errors, "results": results}, indent=1, default=str)
    )
    if a.update_readme:
        text = README.read_text()
        block = f"{BEGIN}\n{report}\n{END}"
        pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.S)
        README.write_text(
            pattern.sub(lambda _: block, text)
            if pattern.search(text)
            else text + "\n" + block + "\n"
        )
    h.log(f"wrote {h.OUT / 'latest.md'}")
    return 1 if s.errors else 0


if __name__ == "__main__":
    sys.exit(main())
