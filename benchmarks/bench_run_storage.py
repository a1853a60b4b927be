"""Dagster run storage per run: this tree against an earlier commit, in one run of this script.

Each side gets a fresh Dagster instance (SQLite) and the sample logs; a first `logingest run`
reads them all, then RUNS more each find a few new lines in one file (what a sensor tick every
30 s starts). Three sides: the earlier commit with its own dagster.yaml; this tree on Dagster's
default event log (a database per run and an index database); this tree with its dagster.yaml
(one event log database). Reported: bytes the instance's directory grew by per run and events
stored per run, against the earlier commit; then this tree's events per run by type.

    python benchmarks/bench_run_storage.py [--before REV] [--runs N]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tarfile
import tempfile
from collections import Counter
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
LINE = "2026-11-26 12:00:00,000 INFO [main] com.acme.App - request served\n"


def tree_at(rev: str, into: Path) -> Path:
    """The package as it was at `rev`, unpacked under `into` (for PYTHONPATH)."""
    archive = into / "tree.tar"
    subprocess.run(
        ["git", "-C", str(REPO), "archive", "-o", str(archive), rev, "logingest_dagster"],
        check=True,
    )
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    native = REPO / "logingest_dagster/engine/scan/_level_fields.so"
    if native.exists():  # the same compiled finders, so both sides scan alike
        (into / "logingest_dagster/engine/scan/_level_fields.so").write_bytes(native.read_bytes())
    return into


def instance_yaml(rev: str | None, default_event_log: bool = False) -> str:
    """dagster.yaml at `rev` (None: this tree's), without its event log storage if asked."""
    if rev is None:
        text = (REPO / "dagster.yaml").read_text()
    else:
        show = ["git", "-C", str(REPO), "show", f"{rev}:dagster.yaml"]
        text = subprocess.run(show, check=True, capture_output=True, text=True).stdout
    if not default_event_log:
        return text
    settings = yaml.safe_load(text)
    settings.pop("event_log_storage", None)
    return yaml.safe_dump(settings)


def du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def measure(package_root: Path | None, work: Path, runs: int, instance_settings: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LOGINGEST_", "DAGSTER_"))}
    env["DAGSTER_HOME"] = str(work / "dagster_home")
    if package_root is not None:
        env["PYTHONPATH"] = str(package_root)
    logs, home = work / "logs", work / "home"
    cli = [sys.executable, "-c", "from logingest_dagster.cli import main; main()"]
    run = [*cli, "run", "--home", str(home), "--log-dir", str(logs), "--worker-count", "2"]
    (work / "dagster_home").mkdir(parents=True, exist_ok=True)
    (work / "dagster_home" / "dagster.yaml").write_text(instance_settings)
    # Run from `work`: `python -c` puts the current directory first on sys.path, which in the
    # repository would load this tree's package over PYTHONPATH's.
    quiet = {"env": env, "check": True, "capture_output": True, "cwd": work}
    subprocess.run([*cli, "sample", "--home", str(work)], **quiet)
    (work / "sample").rename(logs)
    subprocess.run(run, **quiet)
    before = du(work / "dagster_home")
    target = sorted(logs.glob("*.log"))[0]
    for _ in range(runs):
        with target.open("a") as f:
            f.write(LINE * 10)
        subprocess.run(run, **quiet)
    grown = du(work / "dagster_home") - before
    from dagster import DagsterInstance
    from dagster._serdes import serialize_value

    os.environ["DAGSTER_HOME"] = env["DAGSTER_HOME"]  # dagster.yaml may name it (`env:`)
    by_type: Counter = Counter()
    size_by_type: Counter = Counter()
    with DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        for run in instance.get_runs(limit=runs):
            for entry in instance.all_logs(run.run_id):
                kind = entry.dagster_event_type.value if entry.is_dagster_event else "log line"
                by_type[kind] += 1
                size_by_type[kind] += len(serialize_value(entry))
    return {
        "bytes_per_run": grown / runs,
        "events_per_run": sum(by_type.values()) / runs,
        "by_type": {k: (n / runs, size_by_type[k] / runs) for k, n in by_type.items()},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--before", default="196047a", help="the earlier commit (default: before #13)"
    )
    parser.add_argument("--runs", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="run-storage-") as tmp:
        tmp = Path(tmp)
        (tmp / "before").mkdir()
        sides = {
            args.before: measure(
                tree_at(args.before, tmp / "before"),
                tmp / "before" / "work",
                args.runs,
                instance_yaml(args.before),
            ),
            "this tree, default event log": measure(
                None, tmp / "sharded", args.runs, instance_yaml(None, default_event_log=True)
            ),
            "this tree": measure(None, tmp / "after", args.runs, instance_yaml(None)),
        }
    old = sides[args.before]
    print(f"| per incremental run ({args.runs} runs) | " + " | ".join(sides) + " |")
    print("| --- " * (len(sides) + 1) + "|")
    for key, unit in (("bytes_per_run", " KB"), ("events_per_run", "")):
        scale = 1024 if unit else 1
        cells = [f"{old[key] / scale:,.0f}{unit}"] + [
            f"{side[key] / scale:,.0f}{unit} ({side[key] / old[key]:.2f})"
            for name, side in sides.items()
            if name != args.before
        ]
        print(f"| {key.replace('_', ' ')} | " + " | ".join(cells) + " |")
    print()
    print(f"| this tree, per run | events | KB of JSON | {args.before}: events | KB of JSON |")
    print("| --- | --- | --- | --- | --- |")
    new = sides["this tree"]["by_type"]
    for kind in sorted(set(new) | set(old["by_type"]), key=lambda k: -new.get(k, (0, 0))[1]):
        n, size = new.get(kind, (0, 0))
        n0, size0 = old["by_type"].get(kind, (0, 0))
        print(f"| {kind} | {n:.1f} | {size / 1024:.1f} | {n0:.1f} | {size0 / 1024:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
