"""Template mining: grouping accuracy on loghub against Drain3, and what mining costs.

Accuracy: each of loghub's seven labelled samples (`../shared/loghub`, see loghub_templates.py)
is mined from an empty state, message part only, by our miner and by Drain3 with its default
settings; grouping accuracy is computed from the ids each message got as it was mined.

Cost: microseconds per message on the same messages (one miner per system, best of the repeats;
`mine_many` over the sample, and `mine` one message at a time), and the share mining would add
to the 1,000-file corpus (`many`) with min_level WARN: every WARN, ERROR and FATAL record's
first line (whole line, header included, as the message column does not exist yet) mined by one
miner, in one batch and in a batch per file, against `logingest scan` and `logingest run` (fresh
home) of that corpus.

    python benchmarks/bench_templates.py --size tiny|full
"""

from __future__ import annotations

import logging
import sys
import time

import corpus
import harness as h
import loghub_templates as loghub

from logingest_dagster.engine.scan.range_scanner import scan_line_levels
from logingest_dagster.engine.templates import TemplateMiner
from logingest_dagster.engine.templates.masking import string_array

EVENT_LEVELS = frozenset({"WARN", "ERROR", "FATAL"})


def ours(messages: list[str]) -> list[str]:
    return TemplateMiner().mine_many(messages).template_id.to_pylist()


def ours_one_by_one(messages: list[str]) -> list[str]:
    miner = TemplateMiner()
    return [miner.mine(message).template_id for message in messages]


def drain3_miner():
    """Drain3 with its default settings, or None when it is not installed (`.[bench]`)."""
    try:
        from drain3 import TemplateMiner as Drain3
        from drain3.template_miner_config import TemplateMinerConfig
    except ImportError:
        return None
    logging.getLogger("drain3").setLevel(logging.WARNING)

    def mine(messages: list[str]) -> list[int]:
        config = TemplateMinerConfig()  # the defaults: no masking, depth 4, similarity 0.4
        config.profiling_enabled = False
        miner = Drain3(config=config)
        return [miner.add_log_message(message)["cluster_id"] for message in messages]

    return mine


def best_seconds(mine, messages: list[str], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        mine(messages)
        best = min(best, time.perf_counter() - t0)
    return best


def measure(s: h.Settings) -> dict:
    result: dict = {"systems": [], "drain3": False}
    drain3 = drain3_miner()
    result["drain3"] = drain3 is not None
    repeats = max(3, s.repeats)
    if loghub.available():
        for name in loghub.SYSTEMS:
            messages, truth = loghub.messages(name), loghub.true_groups(name)
            row = {"system": name, "messages": len(messages)}
            row["ours"] = loghub.grouping_accuracy(truth, ours(messages))
            if ours_one_by_one(messages) != ours(messages):
                s.fail(f"{name}: mine and mine_many gave different ids")
            row["ours_us"] = best_seconds(ours, messages, repeats) / len(messages) * 1e6
            row["ours_single_us"] = (
                best_seconds(ours_one_by_one, messages, repeats) / len(messages) * 1e6
            )
            if drain3 is not None:
                row["drain3"] = loghub.grouping_accuracy(truth, drain3(messages))
                row["drain3_us"] = best_seconds(drain3, messages, repeats) / len(messages) * 1e6
            result["systems"].append(row)
    else:
        h.log(f"loghub samples not found at {loghub.LOGHUB}: accuracy skipped")
    result["corpus"] = corpus_share(s)
    return result


def corpus_share(s: h.Settings) -> dict:
    d = s.corpus("many")
    exe = h.logingest()
    h.log(f"templates {d.name}: logingest scan")
    scan = h.best_of(lambda i: [exe, "scan", str(d)], s)
    n_files = corpus.manifest(d)["files_count"]
    with h.scratch("templates-") as tmp:
        h.log(f"templates {d.name}: logingest run (fresh home each time)")
        run = h.best_of(
            lambda i: h.run_cmd(exe, h.fresh_home(tmp, "home"), d, n_files, tmp), s, env=h.run_env()
        )
    events: list[tuple[str, str]] = []
    for path in h.log_files(d):
        levels = scan_line_levels(path)
        with open(path, encoding="utf-8", errors="replace", newline="") as f:
            lines = f.read().splitlines()
        events += [
            (line, path) for line, lv in zip(lines, levels, strict=False) if lv in EVENT_LEVELS
        ]
    h.log(f"templates {d.name}: mining {len(events):,} WARN+ first lines")
    by_file: dict[str, list[str]] = {}
    for line, path in events:
        by_file.setdefault(path, []).append(line)
    file_arrays = {path: string_array(file_lines) for path, file_lines in by_file.items()}
    # An Arrow array, as the events dataset will hand the miner its `message` column.
    lines = string_array([line for line, _ in events])
    paths = [path for _, path in events]

    def one_batch() -> TemplateMiner:
        miner = TemplateMiner()
        miner.mine_many(lines, paths)
        return miner

    def batch_per_file() -> TemplateMiner:
        miner = TemplateMiner()
        for path, file_lines in file_arrays.items():
            miner.mine_many(file_lines, path)
        return miner

    timings = {}
    for name, mine in (("one_batch_s", one_batch), ("per_file_s", batch_per_file)):
        best = float("inf")
        for _ in range(max(3, s.repeats)):
            t0 = time.perf_counter()
            miner = mine()
            best = min(best, time.perf_counter() - t0)
        timings[name] = best
    return {
        "corpus": d.name,
        "files": corpus.manifest(d)["files_count"],
        "events": len(events),
        "templates": len(miner.state.templates),
        "scan_s": scan.seconds,
        "run_s": run.seconds,
        **timings,
    }


def _mean(rows: list[dict], key: str) -> float | None:
    values = [row[key] for row in rows if key in row]
    return sum(values) / len(values) if values and len(values) == len(rows) else None


def summary_rows(res: dict) -> list[list[str]]:
    rows = []
    mean = _mean(res["systems"], "ours")
    if mean is not None:
        rows.append(["template grouping accuracy, loghub mean of 7", h.fmt(mean, 3), "≥ 0.90"])
    c = res["corpus"]
    rows.append(
        [
            f"template mining / run, seconds, {c['events']:,} WARN+ lines of {h.files(c['files'])}",
            h.fmt_ratio(c["one_batch_s"], c["run_s"]),
            "≤ 0.10",
        ]
    )
    return rows


def render(res: dict) -> str:
    systems = res["systems"]
    out = "### Templates: grouping accuracy on loghub, ours against Drain3 (defaults)\n\n"
    if systems:
        rows = [
            [
                row["system"],
                h.fmt(row["ours"], 3),
                h.fmt(row.get("drain3"), 3),
                h.fmt(row["ours_us"], 1),
                h.fmt(row["ours_single_us"], 1),
                h.fmt(row.get("drain3_us"), 1),
            ]
            for row in systems
        ]
        rows.append(
            [
                "**mean**",
                h.fmt(_mean(systems, "ours"), 3),
                h.fmt(_mean(systems, "drain3"), 3),
                h.fmt(_mean(systems, "ours_us"), 1),
                h.fmt(_mean(systems, "ours_single_us"), 1),
                h.fmt(_mean(systems, "drain3_us"), 1),
            ]
        )
        header = [
            "system",
            "ours",
            "Drain3",
            "ours µs/msg (mine_many)",
            "ours µs/msg (mine)",
            "Drain3 µs/msg",
        ]
        out += h.table(header, rows) + "\n"
        if not res["drain3"]:
            out += "Drain3 is not installed (`pip install -e '.[bench]'`): its columns are empty.\n"
    else:
        out += "loghub samples not found: accuracy not measured.\n"
    c = res["corpus"]
    n = max(c["events"], 1)
    out += (
        f"\nCost on `{c['corpus']}` ({h.files(c['files'])}): {c['events']:,} WARN+ first lines "
        f"({c['templates']:,} templates). One batch: {c['one_batch_s']:.2f} s "
        f"({c['one_batch_s'] / n * 1e6:.1f} µs each); a batch per file: {c['per_file_s']:.2f} s "
        f"({c['per_file_s'] / n * 1e6:.1f} µs each); `logingest scan`: {c['scan_s']:.2f} s; "
        f"`logingest run`: {c['run_s']:.2f} s. Mining / run: "
        f"{h.fmt_ratio(c['one_batch_s'], c['run_s'])} (one batch), "
        f"{h.fmt_ratio(c['per_file_s'], c['run_s'])} (a batch per file).\n"
    )
    return out


if __name__ == "__main__":
    sys.exit(h.standalone(measure, render, __doc__.splitlines()[0]))
