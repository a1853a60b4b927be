"""Orchestration cost: `logingest run` (a real Dagster run) against `logingest scan`, same files.

The corpus is 1,000 files of about 100 KB (`many`); every run starts from a fresh --home, so it
reads everything. Twice: with a fresh Dagster instance under that home too (the headline: a first
run on a new machine, which also creates the instance's SQLite storage), and with one Dagster
instance kept across runs (DAGSTER_HOME), as every run after a user's first one has.

    python benchmarks/bench_orchestration.py --size tiny|full
"""

from __future__ import annotations

import sys

import corpus
import harness as h


def measure(s: h.Settings) -> dict:
    exe = h.logingest()
    d = s.corpus("many")
    m = corpus.manifest(d)
    h.log(f"orchestration {d.name}: logingest scan")
    scan = h.best_of(lambda i: [exe, "scan", str(d)], s)
    n = m["files_count"]
    with h.scratch("orch-") as tmp:
        h.log(f"orchestration {d.name}: logingest run (fresh home and instance each time)")
        run = h.best_of(
            lambda i: h.run_cmd(exe, h.fresh_home(tmp, "home"), d, n, tmp), s, env=h.run_env()
        )
        h.log(f"orchestration {d.name}: logingest run (fresh home, one Dagster instance)")
        kept = h.run_env() | {"DAGSTER_HOME": str(h.fresh_home(tmp, "instance"))}
        warm = h.best_of(
            lambda i: h.run_cmd(exe, h.fresh_home(tmp, "home"), d, n, tmp), s, env=kept
        )
    rj, wj, sj = h.check_run(run.json(), "run"), h.check_run(warm.json(), "run"), scan.json()
    for j in (rj, wj):
        if j.get("files_read") != m["files_count"]:
            s.fail(f"run read {j.get('files_read')} files of {m['files_count']}")
    return {
        "corpus": d.name,
        "files": m["files_count"],
        "bytes": m["bytes"],
        "scan_s": scan.seconds,
        "run_s": run.seconds,
        "run_kept_instance_s": warm.seconds,
        "run": rj,
        "same_totals": rj.get("totals") == sj.get("totals") == wj.get("totals"),
    }


def summary_rows(res: dict) -> list[list[str]]:
    what = f"{h.files(res['files'])}, {res['bytes'] / h.MB:,.0f} MB ({res['corpus']})"
    return [
        [f"run / scan, seconds, {what}", h.fmt_ratio(res["run_s"], res["scan_s"]), "≤ 3"],
        [
            f"run / scan, seconds, {what}, Dagster instance kept across runs",
            h.fmt_ratio(res["run_kept_instance_s"], res["scan_s"]),
            "",
        ],
    ]


def render(res: dict) -> str:
    return (
        "### Orchestration: a Dagster run against the engine alone (fresh home, hot cache)\n\n"
        + h.table(
            [
                "corpus",
                "files",
                "MB",
                "instance",
                "scan s",
                "run s",
                "run/scan",
                "run MB/s",
                "same totals",
            ],
            [
                [
                    res["corpus"],
                    f"{res['files']:,}",
                    f"{res['bytes'] / h.MB:,.1f}",
                    instance,
                    h.fmt(res["scan_s"], 2),
                    h.fmt(seconds, 2),
                    h.fmt_ratio(seconds, res["scan_s"]),
                    h.fmt_rate(h.mbps(res["bytes"], seconds)),
                    "yes" if res["same_totals"] else "NO",
                ]
                for instance, seconds in (
                    ("new, under the fresh home", res["run_s"]),
                    ("kept across runs", res["run_kept_instance_s"]),
                )
            ],
        )
        + "\n"
    )


if __name__ == "__main__":
    sys.exit(h.standalone(measure, render, __doc__.splitlines()[0]))
