"""`logingest run` with its steps in process against one process per step, on every shape.

For each shape (`few` 20 x 9 MB, `many` 1,000 x 100 KB, `big` one 2 GB file), `--pairs` rounds of
a `scan`, then a run with `--executor in-process` and one with `--executor multiprocess`, each
from a fresh home (new Dagster instance), the executors' order swapped every round, so a machine
shared with other work moves all three alike. Medians of the rounds, and the in-process run's
breakdown (as bench_shapes.py reads it from the run's event log). Then runs that find nothing
new on `few` and `many10k`: a full run on a home per executor, then the two alternately.

    python benchmarks/bench_executors.py --size tiny|full    (4 rounds at full size, 1 at tiny)
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import corpus
import harness as h
from bench_shapes import _breakdown

SHAPES = ("few", "many", "big")
NOTHING_NEW = (("few", 1.5), ("many10k", 2.0))
EXECUTORS = ("in-process", "multiprocess")


def _run(s: h.Settings, exe: str, home: Path, d: Path, n: int, tmp: Path, executor: str):
    cmd = h.run_cmd(exe, home, d, n, tmp) + ["--executor", executor]
    t0 = time.time()
    run = h.run(cmd, timeout=s.timeout, env=h.run_env())
    return run, h.check_run(run.check().json(), f"run ({executor})"), t0, time.time()


def _one_shape(s: h.Settings, exe: str, name: str, rounds: int) -> dict:
    d = s.corpus(name)
    n = corpus.manifest(d)["files_count"]
    bytes_ = corpus.manifest(d)["bytes"]
    scans: list[float] = []
    runs: dict[str, list[float]] = {e: [] for e in EXECUTORS}
    breakdowns: dict[str, list[dict]] = {e: [] for e in EXECUTORS}
    h.log(f"executors {d.name}: {rounds} rounds of scan, in-process and multiprocess runs")
    with h.scratch("executors-") as tmp:
        h.run([exe, "scan", str(d)], timeout=s.timeout).check()  # hot cache
        for i in range(rounds):
            scan = h.run([exe, "scan", str(d)], timeout=s.timeout).check()
            scans.append(scan.seconds)
            for executor in EXECUTORS if i % 2 == 0 else EXECUTORS[::-1]:
                home = h.fresh_home(tmp, "home")
                run, j, t0, t1 = _run(s, exe, home, d, n, tmp, executor)
                if j.get("files_read") != n or j.get("totals") != scan.json().get("totals"):
                    s.fail(f"{d.name}: {executor} run read {j.get('files_read')} of {n} files")
                runs[executor].append(run.seconds)
                breakdowns[executor].append(_breakdown(home / "dagster_home", t0, t1))
    return {
        "corpus": d.name,
        "files": n,
        "bytes": bytes_,
        "scan_s": statistics.median(scans),
        "run_s": {e: statistics.median(v) for e, v in runs.items()},
        "ratio": {
            e: statistics.median(r / sc for r, sc in zip(v, scans, strict=True))
            for e, v in runs.items()
        },
        "all": {e: v for e, v in runs.items()} | {"scan": scans},
        "breakdown": {
            e: {
                key: statistics.median([b[key] for b in bs if b[key] is not None] or [0])
                for key in bs[0]
            }
            for e, bs in breakdowns.items()
        },
    }


def _nothing_new(s: h.Settings, exe: str, name: str, rounds: int) -> dict:
    d = s.corpus(name)
    n = corpus.manifest(d)["files_count"]
    h.log(f"executors {d.name}: nothing new, {rounds} rounds")
    times: dict[str, list[float]] = {e: [] for e in EXECUTORS}
    with h.scratch("executors-idle-") as tmp:
        homes = {e: h.fresh_home(tmp, f"home-{e}") for e in EXECUTORS}
        for e in EXECUTORS:
            _run(s, exe, homes[e], d, n, tmp, e)  # the full run
        for i in range(rounds):
            for e in EXECUTORS if i % 2 == 0 else EXECUTORS[::-1]:
                run, j, _, _ = _run(s, exe, homes[e], d, n, tmp, e)
                if j.get("files_read"):
                    s.fail(f"{d.name}: a {e} run with nothing new read {j['files_read']} files")
                times[e].append(run.seconds)
    return {
        "corpus": d.name,
        "files": n,
        "seconds": {e: statistics.median(v) for e, v in times.items()},
        "all": times,
    }


def measure(s: h.Settings) -> dict:
    exe = h.logingest()
    rounds = 4 if s.size == "full" else 1
    load = Path("/proc/loadavg").read_text().split()[:3]
    shapes = {name: _one_shape(s, exe, name, rounds) for name in SHAPES}
    idle = {
        name: _nothing_new(s, exe, name, rounds) | {"target": limit} for name, limit in NOTHING_NEW
    }
    load_after = Path("/proc/loadavg").read_text().split()[:3]
    return {"rounds": rounds, "shapes": shapes, "nothing_new": idle, "load": [load, load_after]}


def render(res: dict) -> str:
    ip, mp = EXECUTORS
    rows = []
    for r in res["shapes"].values():
        b = r["breakdown"][ip]
        rows.append(
            [r["corpus"], f"{r['files']:,}", f"{r['bytes'] / h.MB:,.0f}", h.fmt(r["scan_s"], 2),
             h.fmt(r["run_s"][ip], 2), h.fmt(r["run_s"][mp], 2), f"{r['ratio'][ip]:.2f}",
             f"{r['ratio'][mp]:.2f}", f"{r['run_s'][ip] / r['run_s'][mp]:.2f}"]
            + [h.fmt(b[k], 2) for k in ("startup", "discover", "ingest", "publish", "exit")]
        )  # fmt: skip
    idle_rows = [
        [r["corpus"], f"{r['files']:,}", h.fmt(r["seconds"][ip], 2), h.fmt(r["seconds"][mp], 2),
         f"≤ {r['target']}", " ".join(f"{x:.2f}" for x in r["all"][ip]),
         " ".join(f"{x:.2f}" for x in r["all"][mp])]
        for r in res["nothing_new"].values()
    ]  # fmt: skip
    load = " → ".join("/".join(x) for x in res["load"] if x)
    return (
        "### Executors: `logingest run` in process against one process per step\n\n"
        f"Medians of {res['rounds']} rounds (scan, then both runs in alternating order), fresh "
        f"home and instance for each run; load average before and after: {load}. The breakdown "
        "is the in-process run's.\n\n"
        + h.table(
            [
                "corpus",
                "files",
                "MB",
                "scan s",
                "in-process s",
                "multiprocess s",
                "in-process/scan",
                "multiprocess/scan",
                "in-process/multiprocess",
                "start-up",
                "discover",
                "ingest",
                "publish",
                "exit",
            ],
            rows,
        )  # fmt: skip
        + "\n\nA run that finds nothing new (its own home, after a full run), median:\n\n"
        + h.table(
            [
                "corpus",
                "files",
                "in-process s",
                "multiprocess s",
                "target",
                "each in-process",
                "each multiprocess",
            ],
            idle_rows,
        )  # fmt: skip
        + "\n"
    )


if __name__ == "__main__":
    sys.exit(h.standalone(measure, render, __doc__.splitlines()[0]))
