"""Throughput on hot cache: `logingest scan` against wc -l, grep -ciwE and seed-go, same files.

python benchmarks/bench_throughput.py --size tiny|full
"""

from __future__ import annotations

import os
import sys

import corpus
import harness as h


def _sum_counts(stdout: str, *, wc: bool) -> int:
    """Total of `wc -l` (per-file lines then 'total') or `grep -c` (path:count) output."""
    total = 0
    for line in stdout.strip().splitlines():
        if wc:
            count, _, name = line.strip().partition(" ")
            if name != "total":
                total += int(count)
        else:
            total += int(line.rsplit(":", 1)[-1])
    return total


def measure_corpus(s: h.Settings, role: str) -> dict:
    exe = h.logingest()
    d = s.corpus(role)
    m = corpus.manifest(d)
    files = h.log_files(d)
    row: dict = {"role": role, "corpus": d.name, "files": len(files), "bytes": m["bytes"]}
    row |= {"manifest_lines": m["lines"], "expected": m["levels"]}

    h.log(f"throughput {d.name}: logingest scan")
    engine = h.best_of(lambda i: [exe, "scan", str(d)], s)
    ej = engine.json()
    row |= {"engine_s": engine.seconds, "engine_inproc_s": ej.get("seconds"), "engine": ej}

    h.log(f"throughput {d.name}: wc -l")
    wc = h.best_of(lambda i: ["wc", "-l", *files], s)
    row |= {"wc_s": wc.seconds, "wc_lines": _sum_counts(wc.stdout, wc=True)}

    h.log(f"throughput {d.name}: grep -ciwE")
    c_env = dict(os.environ, LC_ALL="C")
    # Output goes to a file (h.run never uses /dev/null): GNU grep -c stops at the first match
    # when its output is /dev/null. Exit 1 only means no line matched.
    grep = h.best_of(lambda i: ["grep", "-ciwE", h.GREP_PATTERN, *files], s, env=c_env, ok=(0, 1))
    row |= {"grep_s": grep.seconds, "grep_lines": _sum_counts(grep.stdout, wc=False)}

    seed, why = h.seed_go(s)
    row["seed_note"] = why
    if seed:
        h.log(f"throughput {d.name}: seed-go")
        with h.scratch("seed-") as tmp:
            config = h.seed_go_config(d, tmp)
            peer = h.best_of(lambda i: [seed, str(config)], s)
        row |= {"seed_s": peer.seconds, "seed": peer.json()}
    else:
        h.log(f"seed-go skipped: {why}")
    return row


def measure(s: h.Settings) -> dict:
    return {"rows": [measure_corpus(s, role) for role in ("mixed", "medium")]}


def _rates(row: dict) -> dict:
    b = row["bytes"]
    return {
        "engine": h.mbps(b, row["engine_s"]),
        "inproc": h.mbps(b, row["engine_inproc_s"]) if row.get("engine_inproc_s") else None,
        "seed": h.mbps(b, row["seed_s"]) if "seed_s" in row else None,
        "wc": h.mbps(b, row["wc_s"]),
        "grep": h.mbps(b, row["grep_s"]),
    }


def summary_rows(res: dict) -> list[list[str]]:
    rows = []
    for row in res["rows"]:
        r = _rates(row)
        what = f"{h.files(row['files'])}, {row['bytes'] / h.MB:,.0f} MB ({row['corpus']})"
        rows.append([f"engine / seed-go, MB/s, {what}", h.fmt_ratio(r["engine"], r["seed"]), "≥ 1"])
        rows.append([f"engine / wc -l (read limit), {what}", h.fmt_ratio(r["engine"], r["wc"]), ""])
        rows.append([f"engine / grep -ciwE, {what}", h.fmt_ratio(r["engine"], r["grep"]), ""])
    return rows


def render(res: dict) -> str:
    speed, checks = [], []
    note = ""
    for row in res["rows"]:
        r = _rates(row)
        speed.append(
            [
                row["corpus"],
                f"{row['files']:,}",
                f"{row['bytes'] / h.MB:,.1f}",
                h.fmt_rate(r["engine"]),
                h.fmt_rate(r["inproc"]),
                h.fmt_rate(r["seed"]),
                h.fmt_rate(r["wc"]),
                h.fmt_rate(r["grep"]),
                h.fmt_ratio(r["engine"], r["seed"]),
                h.fmt_ratio(r["engine"], r["wc"]),
                h.fmt_ratio(r["engine"], r["grep"]),
            ]
        )
        engine = row["engine"]
        seed = row.get("seed")
        seed_levels = {k: v for k, v in (seed or {}).items() if k != "LINES"}
        checks.append(
            [
                row["corpus"],
                f"{row['manifest_lines']:,}",
                f"{engine.get('lines', 0):,}",
                f"{row['wc_lines']:,}",
                f"{seed['LINES']:,}" if seed and "LINES" in seed else "n/a",
                f"{h.agreement(row['expected'], engine.get('totals', {})):.1%}",
                f"{h.agreement(row['expected'], seed_levels):.1%}" if seed else "n/a",
                f"{row['grep_lines']:,}",
            ]
        )
        if row.get("seed_note"):
            note = f"\nseed-go column skipped: {row['seed_note']}.\n"
    return (
        "### Throughput (hot cache, MB/s = 10^6 bytes per wall-clock second, process start included)\n\n"
        + h.table(
            [
                "corpus",
                "files",
                "MB",
                "engine scan",
                "engine in-process",
                "seed-go",
                "wc -l",
                "grep -ciwE",
                "engine/seed-go",
                "engine/wc",
                "engine/grep",
            ],
            speed,
        )
        + "\n"
        + note
        + "\nSame files, what each counted. Level agreement: records counted under the level the "
        "generator wrote (GUIDE.md's table), over the larger of the two totals; seed-go counts "
        "every line as a record, under its first level-like word.\n\n"
        + h.table(
            [
                "corpus",
                "lines (generator)",
                "engine lines",
                "wc -l",
                "seed-go lines",
                "engine level agreement",
                "seed-go level agreement",
                "grep matching lines",
            ],
            checks,
        )
        + "\n"
    )


if __name__ == "__main__":
    sys.exit(h.standalone(measure, render, __doc__.splitlines()[0]))
