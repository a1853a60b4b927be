"""Every shape of input: `logingest run` against `logingest scan`, and where a run's fixed cost goes.

Shapes: a few large files (`few`, 20 x 9 MB), many small ones (`many`, 1,000 x 100 KB), one 2 GB
file (`big`) and a mix (`mix`: 40 MB, 5 MB and 2-200 KB files). For each, scan and a run from a
fresh home (new Dagster instance) alternate `--pairs` times; the ratio of each pair is taken, and
the median reported, so a machine shared with other work moves both sides of a ratio alike. Then,
on the last run's home, a run that finds nothing new (20 files of `few`; 10,000 of `many10k`).

The breakdown of a run comes from its own event log (timestamps of the run's events) and the
wall clock of the process around it:
  start-up  process start to the run's start: imports, the instance, the job, the forkserver;
  discover  the run's start to discovery's last event (its step process included);
  ingest    the first ingestion step launched to the last one done (scanning included);
  per step  the mean, over ingestion steps, of a step's time outside its own scan: launch to its
            input loaded, plus its output to its success;
  publish   the publish step launched to its success (commit, Parquet, checks);
  exit      the run's end to the process's exit.

    python benchmarks/bench_shapes.py --size tiny|full    (3 pairs at full size, 1 at tiny)
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import corpus
import harness as h

SHAPES = ("few", "many", "big", "mix")
TARGETS = {"few": "≤ 2", "many": "≤ 2", "big": "≤ 1.3", "mix": ""}
NOTHING_NEW = (("few", 1.5), ("many10k", 2.0))


def _op_step(step_key: str) -> str:
    """`ingest_graph.ingest_log_files[group_0]` -> `ingest_log_files[group_0]`: the op's own
    step, whatever graph-backed asset it runs in."""
    key, bracket, mapping = step_key.partition("[")
    return key.rpartition(".")[2] + bracket + mapping


def _breakdown(dagster_home: Path, started: float, ended: float) -> dict:
    """Seconds per phase of the one run recorded in `dagster_home` (see the module docstring)."""
    from dagster import DagsterInstance

    instance = DagsterInstance.from_config(str(dagster_home))
    try:
        run = instance.get_runs(limit=1)[0]
        records = instance.all_logs(run.run_id)
    finally:
        instance.dispose()
    first: dict[tuple[str, str], float] = {}
    last: dict[tuple[str, str], float] = {}
    run_start = run_end = None
    for r in records:
        event = r.dagster_event
        if event is None:
            continue
        kind = event.event_type_value
        if kind == "PIPELINE_START":
            run_start = r.timestamp
        elif kind in ("PIPELINE_SUCCESS", "PIPELINE_FAILURE"):
            run_end = r.timestamp
        if r.step_key:
            step = _op_step(r.step_key)
            first.setdefault((step, kind), r.timestamp)
            last[(step, kind)] = r.timestamp
    steps = {key for key, _ in first}
    ingest = sorted(s for s in steps if s.startswith("ingest_log_files"))

    def at(step: str, kind: str, table=first) -> float | None:
        return table.get((step, kind))

    overheads = []
    for s in ingest:
        launch, loaded = at(s, "STEP_WORKER_STARTING") or at(s, "STEP_START"), at(s, "STEP_INPUT")
        output, done = at(s, "STEP_OUTPUT"), at(s, "STEP_SUCCESS")
        if None not in (launch, loaded, output, done):
            overheads.append((loaded - launch) + (done - output))
    discover_end = max((t for (s, _), t in last.items() if s == "discover_log_files"), default=None)
    out = {
        "steps": len(ingest),
        "startup": (run_start - started) if run_start else None,
        "discover": (discover_end - run_start) if discover_end and run_start else None,
        "ingest": None,
        "per_step": statistics.mean(overheads) if overheads else None,
        "publish": None,
        "exit": (ended - run_end) if run_end else None,
    }
    if ingest:
        out["ingest"] = max(at(s, "STEP_SUCCESS") or 0 for s in ingest) - min(
            at(s, "STEP_WORKER_STARTING") or at(s, "STEP_START") or float("inf") for s in ingest
        )
    p0 = at("publish_results", "STEP_WORKER_STARTING") or at("publish_results", "STEP_START")
    p1 = at("publish_results", "STEP_SUCCESS")
    if p0 and p1:
        out["publish"] = p1 - p0
    return out


def _one_shape(s: h.Settings, exe: str, name: str, pairs: int) -> dict:
    d = s.corpus(name)
    m = corpus.manifest(d)
    n = m["files_count"]
    scans, runs, ratios, breakdowns = [], [], [], []
    h.log(f"shapes {d.name}: {pairs} pairs of scan and run")
    with h.scratch("shapes-") as tmp:
        h.run([exe, "scan", str(d)], timeout=s.timeout).check()  # hot cache
        for _ in range(pairs):
            scan = h.run([exe, "scan", str(d)], timeout=s.timeout).check()
            home = h.fresh_home(tmp, "home")
            t0 = time.time()
            run = h.run(h.run_cmd(exe, home, d, n, tmp), timeout=s.timeout, env=h.run_env())
            t1 = time.time()
            j = h.check_run(run.check().json(), "run")
            if j.get("files_read") != n or j.get("totals") != scan.json().get("totals"):
                s.fail(f"{d.name}: run read {j.get('files_read')} of {n} files or other totals")
            scans.append(scan.seconds)
            runs.append(run.seconds)
            ratios.append(run.seconds / scan.seconds)
            breakdowns.append(_breakdown(home / "dagster_home", t0, t1))
    return {
        "corpus": d.name,
        "files": n,
        "bytes": m["bytes"],
        "scan_s": statistics.median(scans),
        "run_s": statistics.median(runs),
        "ratio": statistics.median(ratios),
        "ratios": ratios,
        "breakdown": {
            key: statistics.median([b[key] for b in breakdowns if b[key] is not None] or [0])
            for key in breakdowns[0]
        },
    }


def _nothing_new(s: h.Settings, exe: str, name: str, pairs: int) -> dict:
    """A full run on a fresh home, then `pairs` runs that find nothing new: their median."""
    d = s.corpus(name)
    m = corpus.manifest(d)
    n = m["files_count"]
    h.log(f"shapes {d.name}: nothing new, {pairs} runs")
    with h.scratch("idle-") as tmp:
        home = h.fresh_home(tmp, "home")
        h.check_run(h.run(h.run_cmd(exe, home, d, n, tmp), timeout=s.timeout, env=h.run_env())
                    .check().json(), "full run")  # fmt: skip
        times = []
        for _ in range(pairs):
            again = h.run(h.run_cmd(exe, home, d, n, tmp), timeout=s.timeout, env=h.run_env())
            j = h.check_run(again.check().json(), "nothing-new run")
            if j.get("files_read"):
                s.fail(f"{d.name}: a run with nothing new read {j['files_read']} files")
            times.append(again.seconds)
    return {"corpus": d.name, "files": n, "seconds": statistics.median(times), "all": times}


def measure(s: h.Settings) -> dict:
    exe = h.logingest()
    pairs = 3 if s.size == "full" else 1
    load = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else []
    shapes = {name: _one_shape(s, exe, name, pairs) for name in SHAPES}
    idle = {
        name: _nothing_new(s, exe, name, pairs) | {"target": limit} for name, limit in NOTHING_NEW
    }
    load_after = Path("/proc/loadavg").read_text().split()[:3] if load else []
    return {"pairs": pairs, "shapes": shapes, "nothing_new": idle, "load": [load, load_after]}


def summary_rows(res: dict) -> list[list[str]]:
    rows = []
    for name, r in res["shapes"].items():
        what = f"{h.files(r['files'])}, {r['bytes'] / h.MB:,.0f} MB ({r['corpus']})"
        rows.append([f"run / scan, median of {res['pairs']} pairs, {what}", f"{r['ratio']:.2f}",
                     TARGETS[name]])  # fmt: skip
    for r in res["nothing_new"].values():
        rows.append([f"run that finds nothing new, seconds, {h.files(r['files'])} ({r['corpus']})",
                     h.fmt(r["seconds"], 2), f"≤ {r['target']}"])  # fmt: skip
    return rows


def render(res: dict) -> str:
    rows = []
    for r in res["shapes"].values():
        b = r["breakdown"]
        rows.append(
            [r["corpus"], f"{r['files']:,}", f"{r['bytes'] / h.MB:,.0f}", h.fmt(r["scan_s"], 2),
             h.fmt(r["run_s"], 2), f"{r['ratio']:.2f}", " ".join(f"{x:.1f}" for x in r["ratios"]),
             str(b["steps"])]
            + [h.fmt(b[k], 2) for k in ("startup", "discover", "ingest", "per_step", "publish",
                                        "exit")]
        )  # fmt: skip
    load = " → ".join("/".join(x) for x in res["load"] if x)
    return (
        "### Shapes: a run against the engine alone, and where the run's time goes\n\n"
        f"Medians of {res['pairs']} alternating scan/run pairs, fresh home and instance for each "
        f"run; load average (1/5/15 min) before and after: {load or 'n/a'}.\n\n"
        + h.table(
            [
                "corpus",
                "files",
                "MB",
                "scan s",
                "run s",
                "run/scan",
                "each pair",
                "steps",
                "start-up",
                "discover",
                "ingest",
                "per step",
                "publish",
                "exit",
            ],
            rows,
        )  # fmt: skip
        + "\n\nA run that finds nothing new (same home, after a full run), median:\n\n"
        + h.table(
            ["corpus", "files", "seconds", "target", "each"],
            [
                [
                    r["corpus"],
                    f"{r['files']:,}",
                    h.fmt(r["seconds"], 2),
                    f"≤ {r['target']}",
                    " ".join(f"{x:.2f}" for x in r["all"]),
                ]
                for r in res["nothing_new"].values()
            ],
        )  # fmt: skip
        + "\n"
    )


if __name__ == "__main__":
    sys.exit(h.standalone(measure, render, __doc__.splitlines()[0]))
