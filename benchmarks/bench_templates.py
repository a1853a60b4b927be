"""Template mining: grouping accuracy on loghub against Drain3, and what mining costs.

Accuracy: each of loghub's seven labelled samples (`../shared/loghub`, see loghub_templates.py)
is mined from an empty state, message part only, by our miner and by Drain3 with its default
settings; grouping accuracy is computed from the ids each message got as it was mined.

Cost: microseconds per message on the same messages (one miner per system, best of the repeats),
and the share mining would add to the 1,000-file corpus (`many`) with min_level WARN: every
WARN, ERROR and FATAL record's first line (whole line, header included, as the message column
does not exist yet) mined by one miner over all files, against `logingest scan` of that corpus.

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

EVENT_LEVELS = frozenset({"WARN", "ERROR", "FATAL"})


def ours(messages: list[str]) -> list[str]:
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
            row["ours_us"] = best_seconds(ours, messages, repeats) / len(messages) * 1e6
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
    events: list[tuple[str, str]] = []
    for path in h.log_files(d):
        levels = scan_line_levels(path)
        with open(path, encoding="utf-8", errors="replace", newline="") as f:
            lines = f.read().splitlines()
        events += [
            (line, path) for line, lv in zip(lines, levels, strict=False) if lv in EVENT_LEVELS
        ]
    h.log(f"templates {d.name}: mining {len(events):,} WARN+ first lines")
    best, templates = float("inf"), 0
    for _ in range(max(3, s.repeats)):
        miner = TemplateMiner()
        t0 = time.perf_counter()
        for line, path in events:
            miner.mine(line, path)
        best = min(best, time.perf_counter() - t0)
        templates = len(miner.state.templates)
    return {
        "corpus": d.name,
        "files": corpus.manifest(d)["files_count"],
        "events": len(events),
        "templates": templates,
        "mine_s": best,
        "scan_s": scan.seconds,
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
            f"template mining / scan, seconds, {c['events']:,} WARN+ lines of {h.files(c['files'])}",
            h.fmt_ratio(c["mine_s"], c["scan_s"]),
            "≤ 0.10 of a run",
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
                h.fmt(_mean(systems, "drain3_us"), 1),
            ]
        )
        header = ["system", "ours", "Drain3", "ours µs/msg", "Drain3 µs/msg"]
        out += h.table(header, rows) + "\n"
        if not res["drain3"]:
            out += "Drain3 is not installed (`pip install -e '.[bench]'`): its columns are empty.\n"
    else:
        out += "loghub samples not found: accuracy not measured.\n"
    c = res["corpus"]
    out += (
        f"\nCost on `{c['corpus']}` ({h.files(c['files'])}): {c['events']:,} WARN+ first lines "
        f"mined in {c['mine_s']:.2f} s ({c['mine_s'] / max(c['events'], 1) * 1e6:.1f} µs each, "
        f"{c['templates']:,} templates) against {c['scan_s']:.2f} s for `logingest scan`: "
        f"{h.fmt_ratio(c['mine_s'], c['scan_s'])} of a scan.\n"
    )
    return out


if __name__ == "__main__":
    sys.exit(h.standalone(measure, render, __doc__.splitlines()[0]))
