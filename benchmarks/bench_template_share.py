"""Mining's share of a real run: `logingest run` over the 1,000-file corpus (`many`) with
`events.min_level` WARN, with template mining on and off (`events.templates`), alternating.

Each run starts from a fresh home (a new offset store, warehouse and Dagster instance), so both
read the whole corpus; the pairs alternate (on, off, on, off, ...) so that a change in the
machine's load touches both alike. Reported: each run's seconds, the median of each, and the
ratio of the medians (the issue's target: mining adds at most 10%, a ratio <= 1.10), plus each
pair's own ratio, since on a shared machine the pairs move more than the medians.

    python benchmarks/bench_template_share.py --size full [--repeats N]
"""

from __future__ import annotations

import json
import os
import statistics
import sys
from pathlib import Path

import pyarrow.dataset as ds
import pyarrow.parquet as pq

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import corpus  # noqa: E402
import harness as h  # noqa: E402


def run_cmd(exe: str, home: Path, log_dir: Path, nfiles: int, mine: bool) -> list[str]:
    config = home.parent / f"settings-{'on' if mine else 'off'}.json"
    settings = {
        "walker": {"log_dirs": [str(log_dir)]},
        "discovered_files_channel_size": max(500, nfiles),
        "events": {"min_level": "WARN", "templates": mine},
        # The corpus's records are dated years back: keep them, so events/ holds every event
        # the run mined (with the default 30 days, the run would write and then expire them).
        "warehouse": {"retention_days": 0},
    }
    config.write_text(json.dumps(settings))
    return [exe, "run", "--config", str(config), "--home", str(home), "--json"]


def templated(home: Path) -> tuple[int, int, int]:
    """(events, events with a template, rows of templates.parquet) of a run's warehouse."""
    events = ds.dataset(home / "warehouse" / "events", partitioning="hive").to_table(
        columns=["template_id"]
    )
    templates = pq.read_metadata(home / "warehouse" / "templates.parquet").num_rows
    column = events["template_id"]
    return events.num_rows, events.num_rows - column.null_count, templates


def measure(s: h.Settings) -> dict:
    d = s.corpus("many")
    n_files = corpus.manifest(d)["files_count"]
    exe = h.logingest()
    pairs = max(3, s.repeats)
    seconds: dict[str, list[float]] = {"on": [], "off": []}
    counts: dict[str, tuple[int, int, int]] = {}
    load_before = os.getloadavg()
    with h.scratch("template-share-") as tmp:
        if s.warmup:  # page cache and bytecode, untimed
            home = h.fresh_home(tmp, "warmup")
            h.run(run_cmd(exe, home, d, n_files, True), timeout=s.timeout, env=h.run_env()).check()
        for i in range(pairs):
            order = ("on", "off") if i % 2 == 0 else ("off", "on")
            for mode in order:
                home = h.fresh_home(tmp, f"{mode}{i}")
                cmd = run_cmd(exe, home, d, n_files, mode == "on")
                r = h.run(cmd, timeout=s.timeout, env=h.run_env()).check()
                h.check_run(r.json(), f"run with mining {mode}")
                seconds[mode].append(r.seconds)
                counts[mode] = templated(home)
                h.log(f"pair {i + 1}/{pairs}: mining {mode}: {r.seconds:.2f} s")
    on, off = counts["on"], counts["off"]
    if on[1] != on[0] or not on[2]:
        s.fail(f"with mining on, {on[0] - on[1]} of {on[0]} events have no template")
    if off[1] or off[2]:
        s.fail(f"with mining off, {off[1]} events have a template")
    return {
        "corpus": d.name,
        "files": n_files,
        "events": on[0],
        "templates": on[2],
        "on_s": seconds["on"],
        "off_s": seconds["off"],
        "load_before": load_before,
        "load_after": os.getloadavg(),
        "machine": h.machine(),
        "commit": h.git_commit(),
    }


def render(res: dict) -> str:
    on, off = statistics.median(res["on_s"]), statistics.median(res["off_s"])
    pair_ratios = [a / b for a, b in zip(res["on_s"], res["off_s"], strict=True)]
    load = "/".join(f"{x:.2f}" for x in res["load_before"])
    load_after = "/".join(f"{x:.2f}" for x in res["load_after"])
    rows = [
        [
            "mining on",
            f"{on:.2f}",
            " ".join(f"{x:.2f}" for x in res["on_s"]),
        ],
        [
            "mining off",
            f"{off:.2f}",
            " ".join(f"{x:.2f}" for x in res["off_s"]),
        ],
    ]
    return "\n".join(
        [
            f"`logingest run` over `{res['corpus']}` ({res['files']:,} files), events.min_level "
            f"WARN: {res['events']:,} events, {res['templates']:,} templates; "
            f"{len(res['on_s'])} alternating pairs, fresh home each run; load average "
            f"(1/5/15 min) {load} → {load_after}; {res['machine']}; commit {res['commit']}.",
            "",
            h.table(["run", "median s", "each s"], rows),
            "",
            f"Ratio of medians (on / off): **{on / off:.3f}** (target ≤ 1.10); each pair: "
            + " ".join(f"{r:.3f}" for r in pair_ratios)
            + f"; median of pair ratios {statistics.median(pair_ratios):.3f}.",
        ]
    )


if __name__ == "__main__":
    sys.exit(
        h.standalone(measure, render, "Template mining's share of a run over the many corpus.")
    )


def summary_rows(res: dict) -> list[list[str]]:
    on, off = statistics.median(res["on_s"]), statistics.median(res["off_s"])
    return [
        [
            f"run with template mining / without, `{res['corpus']}`, WARN+",
            h.fmt_ratio(on, off),
            "≤ 1.10",
        ]
    ]
