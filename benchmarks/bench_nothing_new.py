"""A run that finds nothing new, this tree against another commit's, alternating in one sitting.

For `few` (20 files) and `many10k` (10,000 files): a full run on a home of each tree's own, then
`--repeats` rounds of one nothing-new `logingest run` per tree, the order swapped every round, so
a machine shared with other work weighs on both alike. Reported per tree: the median wall clock
(the issue's target: ≤ 1.5 s for 20 files, ≤ 2 s for 10,000) and the median CPU time (user +
sys of the whole process tree), which moves less with the load; and the load average around it.

    python benchmarks/bench_nothing_new.py --size tiny|full --baseline REV [--repeats N]
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import corpus
import harness as h
from bench_engine_throughput import _tree_at

CORPORA = (("few", 1.5), ("many10k", 2.0))


def _cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _baseline_tree(rev: str, into: Path) -> Path:
    """The package at `rev` with the project's dagster.yaml beside it (`logingest run` reads it)."""
    root = _tree_at(rev, into)
    yaml = subprocess.run(
        ["git", "-C", str(h.REPO), "show", f"{rev}:dagster.yaml"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    (root / "dagster.yaml").write_text(yaml)
    return root


def _run_cmd(root: Path, home: Path, log_dir: Path, n: int, tmp: Path) -> tuple[list, dict]:
    """`logingest run` from the package under `root` (`-P`: not the current directory's)."""
    cmd = h.run_cmd("logingest", home, log_dir, n, tmp)
    cli = "from logingest_dagster.cli import main; main()"
    return [sys.executable, "-P", "-c", cli, *cmd[1:]], h.run_env() | {"PYTHONPATH": str(root)}


def _one_corpus(s: h.Settings, trees: dict[str, Path], name: str, scratch: Path) -> dict:
    tmp = scratch / name  # its own settings file (`h.run_cmd` writes it once per directory)
    tmp.mkdir()
    d = s.corpus(name)
    n = corpus.manifest(d)["files_count"]
    commands = {}
    for label, root in trees.items():
        home = h.fresh_home(tmp, f"home-{name}-{len(commands)}")
        commands[label] = _run_cmd(root, home, d, n, tmp)
        cmd, env = commands[label]
        h.check_run(h.run(cmd, timeout=s.timeout, env=env).check().json(), "full run")
        h.run(cmd, timeout=s.timeout, env=env).check()  # the first publish after the full one
    walls: dict[str, list[float]] = {label: [] for label in trees}
    cpus: dict[str, list[float]] = {label: [] for label in trees}
    h.log(f"nothing new on {d.name}: {s.repeats} rounds of {', '.join(trees)}")
    load = os.getloadavg()
    for i in range(s.repeats):
        for label in list(trees) if i % 2 == 0 else list(trees)[::-1]:
            cmd, env = commands[label]
            cpu = _cpu_of_children()
            run = h.run(cmd, timeout=s.timeout, env=env).check()
            cpus[label].append(_cpu_of_children() - cpu)
            walls[label].append(run.seconds)
            if h.check_run(run.json(), "nothing-new run").get("files_read"):
                s.fail(f"{d.name}: a run with nothing new read files ({label})")
    return {
        "corpus": d.name,
        "files": n,
        "load": [load, os.getloadavg()],
        "wall": walls,
        "cpu": cpus,
    }


def measure(s: h.Settings, baseline: str | None) -> dict:
    h.logingest()  # compiles this tree's bytecode
    with h.scratch("nothing-new-") as tmp:
        trees = {"this tree": h.REPO}
        if baseline:
            (tmp / "baseline").mkdir()
            trees[baseline] = _baseline_tree(baseline, tmp / "baseline")
        started = time.time()
        results = [_one_corpus(s, trees, name, tmp) | {"target": t} for name, t in CORPORA]
    return {"results": results, "seconds": time.time() - started, "repeats": s.repeats}


def render(res: dict) -> str:
    rows = []
    for r in res["results"]:
        (l0, l1) = r["load"]
        for label in r["wall"]:
            wall, cpu = r["wall"][label], r["cpu"][label]
            rows.append(
                [
                    r["corpus"],
                    h.files(r["files"]),
                    label,
                    f"{statistics.median(wall):.2f}",
                    f"≤ {r['target']}",
                    f"{statistics.median(cpu):.2f}",
                    " ".join(f"{x:.2f}" for x in wall),
                    f"{l0[0]:.1f} → {l1[0]:.1f}",
                ]
            )
    header = ["corpus", "files", "tree", "wall s", "target", "CPU s", "each (wall)", "load"]
    return (
        f"#### A run that finds nothing new: medians of {res['repeats']} alternating rounds\n\n"
        + h.table(header, rows)
        + "\n"
    )


def main() -> int:
    parser = h.arg_parser(__doc__.splitlines()[0])
    parser.add_argument("--baseline", help="also time the runs of the package at this commit")
    args = parser.parse_args()
    s = h.settings_from_args(args)
    if args.repeats is None:
        s.repeats = 6 if s.size == "full" else 1
    try:
        result = measure(s, args.baseline)
    except h.BenchError as exc:
        s.fail(str(exc))
        return 1
    print(render(result))
    return 1 if s.errors else 0


if __name__ == "__main__":
    sys.exit(main())
