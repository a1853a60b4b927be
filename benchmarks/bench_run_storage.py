"""Dagster run storage per run: this tree against an earlier commit, in one run of this script.

Each side gets a fresh Dagster instance (this tree's dagster.yaml for both, SQLite) and the sample logs;
a first `logingest run` reads them all, then RUNS more each find a few new lines in one file (what
a sensor tick every 30 s starts). Reported: bytes the instance's directory grew by per run, and
events stored per run, for the earlier commit and this tree, and their ratio.

    python benchmarks/bench_run_storage.py [--before REV] [--runs N]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

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


def du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def measure(package_root: Path | None, work: Path, runs: int) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LOGINGEST_", "DAGSTER_"))}
    env["DAGSTER_HOME"] = str(work / "dagster_home")
    if package_root is not None:
        env["PYTHONPATH"] = str(package_root)
    logs, home = work / "logs", work / "home"
    cli = [sys.executable, "-c", "from logingest_dagster.cli import main; main()"]
    run = [*cli, "run", "--home", str(home), "--log-dir", str(logs), "--worker-count", "2"]
    (work / "dagster_home").mkdir(parents=True, exist_ok=True)
    # Both sides on the same instance settings (the earlier tree's CLI did not copy its own).
    instance_yaml = (REPO / "dagster.yaml").read_text()
    (work / "dagster_home" / "dagster.yaml").write_text(instance_yaml)
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

    with DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        run_ids = [r.run_id for r in instance.get_runs(limit=runs)]
        events = sum(len(instance.all_logs(run_id)) for run_id in run_ids)
    return {"bytes_per_run": grown / runs, "events_per_run": events / runs}


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
        old = measure(tree_at(args.before, tmp / "before"), tmp / "before" / "work", args.runs)
        new = measure(None, tmp / "after", args.runs)
    print(f"| per incremental run ({args.runs} runs) | {args.before} | this tree | ratio |")
    print("| --- | --- | --- | --- |")
    for key, unit in (("bytes_per_run", " KB"), ("events_per_run", "")):
        scale = 1024 if unit else 1
        print(
            f"| {key.replace('_', ' ')} | {old[key] / scale:,.0f}{unit} | "
            f"{new[key] / scale:,.0f}{unit} | {new[key] / old[key]:.2f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
