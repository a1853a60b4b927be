"""The engine against the read limit on a few hundred large real-shaped logs (issue 16, point 4).

`few200` is 200 files of about 9 MB (1.8 GB), tiled from the `few` shape's sources (the loghub
samples first, then every synthetic format). In one run, on hot cache, rounds alternate:
  engine   `logingest scan DIR` (both cores, process start included);
  grep     `LC_ALL=C grep -ciwE LEVEL_WORDS FILES`, one core (GNU grep is single-threaded);
  wc -l    the read limit;
  seed-go  the compiled Go seed, both cores (when Go is there to build it);
and each command's best round is kept. With `--baseline REV`, the engine as it was at commit REV
(its own compiled finders) takes part in the same rounds. Then, in this process: the scan's throughput on 1 and 2
threads, and where one thread's time goes (`engine_phases.py`), for `scan` (counts only) and for
the options a run reads with (events and minute counts as well).

    python benchmarks/bench_engine_throughput.py --size tiny|full [--repeats N] [--baseline REV]
"""

from __future__ import annotations

import compileall
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import engine_phases
import harness as h

from logingest_dagster.engine.scan.result import DEFAULT_CHUNK_SIZE, EVENTS_PER_READ, ScanOptions

GB = 1e9
TARGETS = {"engine GB/s": 1.2, "engine / grep": 2.0}


def _tree_at(rev: str, into: Path) -> Path:
    """The package as it was at `rev`, unpacked under `into`, its library built from its source."""
    sys.path.insert(0, str(h.REPO))  # the build hook, at the repository's root
    import hatch_build

    archive = into / "tree.tar"
    subprocess.run(
        ["git", "-C", str(h.REPO), "archive", "-o", str(archive), rev, "logingest_dagster"],
        check=True,
    )
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    (into / "build").mkdir()
    problem = hatch_build.compile_library(into, into / "build", into / hatch_build.LIBRARY)
    if problem:
        raise h.BenchError(f"baseline {rev}: {problem}")
    compileall.compile_dir(into / "logingest_dagster", quiet=1)
    return into


def _engine(root: Path, directory: Path) -> tuple[list, dict]:
    """`logingest scan DIR` from the package under `root`; `-P`: not the current directory's."""
    env = dict(os.environ, PYTHONPATH=str(root))
    cli = "from logingest_dagster.cli import main; main()"
    return [sys.executable, "-P", "-c", cli, "scan", str(directory)], env


def _commands(
    s: h.Settings, directory: Path, files: list[str], tmp: Path, baseline: str | None
) -> dict[str, tuple[list, dict]]:
    c_env = dict(os.environ, LC_ALL="C")
    h.logingest()  # compiles this tree's bytecode and warns when the finders are not built
    commands = {"engine": _engine(h.REPO, directory)}
    if baseline:
        (tmp / "baseline").mkdir()
        commands[f"engine@{baseline}"] = _engine(_tree_at(baseline, tmp / "baseline"), directory)
    commands |= {
        # Output to a file (h.run never uses /dev/null): GNU grep -c stops at the first match
        # when its output is /dev/null.
        "grep": (["grep", "-ciwE", h.GREP_PATTERN, *files], c_env),
        "wc -l": (["wc", "-l", *files], c_env),
    }
    seed, why = h.seed_go(s)
    if seed:
        commands["seed-go"] = ([seed, str(h.seed_go_config(directory, tmp))], os.environ.copy())
    else:
        h.log(f"seed-go skipped: {why}")
    return commands


def _rounds(s: h.Settings, commands: dict) -> dict[str, h.Run]:
    """Each command once per round, rounds alternating; each command's fastest round."""
    best: dict[str, h.Run] = {}
    rounds = ([-1] if s.warmup else []) + list(range(s.repeats))
    for i in rounds:
        for name, (cmd, env) in commands.items():
            run = h.run(cmd, timeout=s.timeout, env=env).check((0, 1) if name == "grep" else (0,))
            if i >= 0 and (name not in best or run.seconds < best[name].seconds):
                best[name] = run
    return best


def measure(s: h.Settings, baseline: str | None = None) -> dict:
    directory = s.corpus("few200")
    files = h.log_files(directory)
    nbytes = sum(os.path.getsize(f) for f in files)
    load_before = engine_phases.load_average()
    with h.scratch("engine-") as tmp:
        h.log(f"engine throughput: {len(files)} files, {nbytes / GB:.2f} GB, commands")
        best = _rounds(s, _commands(s, directory, files, tmp, baseline))
    h.log("engine throughput: in-process, 1 and 2 threads")
    threads = [engine_phases.in_process(directory, w) for w in (1, 2)]
    h.log("engine throughput: phases, one thread")
    scan = engine_phases.phases(directory)
    run = engine_phases.phases(
        directory, ScanOptions(max_events=EVENTS_PER_READ, minute_counts=True)
    )
    split = engine_phases.framing_split(scan["format_keys"], DEFAULT_CHUNK_SIZE)
    h.log("engine throughput: the GIL, one thread and two")
    gil = engine_phases.gil_held(directory)
    schedule = engine_phases.thread_schedule(directory)
    return {
        "files": len(files),
        "bytes": nbytes,
        "load_before": load_before,
        "load_after": engine_phases.load_average(),
        "seconds": {name: r.seconds for name, r in best.items()},
        "totals": best["engine"].json().get("totals"),
        "threads": threads,
        "scan_phases": scan,
        "run_phases": run,
        "framing": split,
        "gil": gil,
        "schedule": schedule,
    }


def _rate(nbytes: int, seconds: float | None) -> float | None:
    return nbytes / GB / seconds if seconds else None


def _phase_rows(res: dict) -> list[list[str]]:
    scan, run, split = res["scan_phases"], res["run_phases"], res["framing"]
    rows = []
    for phase in scan["seconds"]:
        a, b = scan["seconds"][phase], run["seconds"][phase]
        rows.append(
            [
                phase,
                h.fmt(a, 3),
                f"{a / scan['total_s']:.0%}",
                h.fmt(b, 3),
                f"{b / run['total_s']:.0%}",
            ]
        )
    rows.append(["**total**", h.fmt(scan["total_s"], 3), "100%", h.fmt(run["total_s"], 3), "100%"])
    framing = scan["seconds"]["framing: newlines + level finders (C)"]
    both = split["with_finders_s"] or 1.0
    share = split["newlines_s"] / both
    rows.append(
        [
            "of framing: newline search alone (framed again without finders)",
            h.fmt(framing * share, 3),
            f"{framing * share / scan['total_s']:.0%}",
            "",
            "",
        ]
    )
    return rows


def _gil_line(res: dict) -> str:
    gil = res["gil"]
    line = (
        f"One thread's CPU: {gil['total_s']:.2f} s, of which {gil['nogil_s']:.2f} s in calls that"
        f" release the GIL (readinto, the compiled library, pyarrow kernels) and"
        f" {gil['held_s']:.2f} s ({gil['held_s'] / gil['total_s']:.0%}) holding it."
    )
    for i, t in enumerate(res["schedule"], 1):
        line += (
            f" Two threads, thread {i}: {t['in_scans_s']:.2f} s in scans, {t['run_s']:.2f} s on a"
            f" core, {t['queued_s']:.2f} s waiting for one, {t['blocked_s']:.2f} s blocked (GIL)."
        )
    return line


def render(res: dict) -> str:
    b, sec = res["bytes"], res["seconds"]
    rates = {name: _rate(b, t) for name, t in sec.items()}
    engine = rates["engine"]
    lines = [
        f"#### Engine throughput: {res['files']} files, {b / GB:.2f} GB (few200), hot cache",
        "",
        f"Best of the rounds, whole processes; load average (1/5/15 min) {res['load_before']}"
        f" before, {res['load_after']} after.",
        "",
        h.table(
            ["command", "seconds", "GB/s", "engine / this"],
            [
                [name, h.fmt(sec[name], 2), h.fmt(rates[name], 2), h.fmt_ratio(engine, rates[name])]
                for name in sec
            ],
        ),
        "",
        h.table(
            ["target (same run)", "measured", "target"],
            [
                ["engine GB/s", h.fmt(engine, 2), f"≥ {TARGETS['engine GB/s']}"],
                [
                    "engine / grep",
                    h.fmt_ratio(engine, rates["grep"]),
                    f"≥ {TARGETS['engine / grep']}",
                ],
                ["engine / seed-go", h.fmt_ratio(engine, rates.get("seed-go")), ""],
                ["engine / wc -l", h.fmt_ratio(engine, rates["wc -l"]), ""],
            ],
        ),
        "",
        "In this process (no start-up): "
        + "; ".join(
            f"{t['workers']} thread{'s' if t['workers'] > 1 else ''} "
            f"{_rate(t['bytes'], t['wall_s']):.2f} GB/s ({t['cpu_s']:.2f} s CPU)"
            for t in res["threads"]
        )
        + ".",
        "",
        _gil_line(res),
        "",
        "Where one thread's CPU time goes (seconds over the whole corpus; `run`: with events and "
        "minute counts, as a run reads):",
        "",
        h.table(["phase", "scan s", "scan share", "run s", "run share"], _phase_rows(res)),
        "",
        f"Totals: {res['totals']}",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = h.arg_parser(__doc__.splitlines()[0])
    parser.add_argument("--baseline", help="also time `scan` as it was at this commit")
    args = parser.parse_args()
    s = h.settings_from_args(args)
    try:
        result = measure(s, args.baseline)
    except h.BenchError as exc:
        s.fail(str(exc))
        return 1
    print(render(result))
    return 1 if s.errors else 0


if __name__ == "__main__":
    sys.exit(main())
