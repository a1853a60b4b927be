"""Peak memory of `logingest scan` and `logingest run` on one 200 MB file and one 2 GB file.

Two figures per command: the largest single process (`/usr/bin/time`'s maximum resident set
size, or getrusage(RUSAGE_CHILDREN) in a small wrapper process without it), and the peak of the whole process tree's summed PSS,
sampled 10 times a second (it counts worker processes too, shared pages once).

    python benchmarks/bench_memory.py --size tiny|full
"""

from __future__ import annotations

import sys

import corpus
import harness as h


def measure(s: h.Settings) -> dict:
    exe = h.logingest()
    rows = []
    for role in ("medium", "big"):
        d = s.corpus(role)
        m = corpus.manifest(d)
        if s.warmup:
            h.run(["wc", "-l", *h.log_files(d)], timeout=s.timeout).check()
        h.log(f"memory {d.name}: logingest scan")
        scan = h.run([exe, "scan", str(d)], timeout=s.timeout, sample_tree=True).check()
        with h.scratch("mem-") as tmp:
            h.log(f"memory {d.name}: logingest run")
            cmd = h.run_cmd(exe, h.fresh_home(tmp, "home"), d, 1, tmp)
            run = h.run(cmd, timeout=s.timeout, env=h.run_env(), sample_tree=True).check()
        h.check_run(run.json(), f"run on {d.name}")
        rows.append(
            {
                "role": role,
                "corpus": d.name,
                "bytes": m["bytes"],
                "scan": {"s": scan.seconds, "rss": scan.max_rss_mb, "pss": scan.tree_pss_mb},
                "run": {"s": run.seconds, "rss": run.max_rss_mb, "pss": run.tree_pss_mb},
            }
        )
    return {"rows": rows}


def _pair(res: dict) -> tuple[dict, dict]:
    by = {r["role"]: r for r in res["rows"]}
    return by["medium"], by["big"]


def summary_rows(res: dict) -> list[list[str]]:
    medium, big = _pair(res)
    out = []
    for cmd in ("scan", "run"):
        out.append(
            [
                f"peak RSS of `{cmd}`, MB, one {big['bytes'] / h.MB:,.0f} MB file (largest process)",
                h.fmt(big[cmd]["rss"]),
                "≤ 250",
            ]
        )
        out.append(
            [
                f"peak RSS of `{cmd}`, {big['bytes'] / h.MB:,.0f} MB file / {medium['bytes'] / h.MB:,.0f} MB file",
                h.fmt_ratio(big[cmd]["rss"], medium[cmd]["rss"]),
                "≤ 1.2",
            ]
        )
    return out


def render(res: dict) -> str:
    medium, big = _pair(res)
    rows = []
    for cmd in ("scan", "run"):
        rows.append(
            [
                f"`{cmd}`",
                h.fmt(medium[cmd]["rss"]),
                h.fmt(big[cmd]["rss"]),
                h.fmt_ratio(big[cmd]["rss"], medium[cmd]["rss"]),
                h.fmt(medium[cmd]["pss"]),
                h.fmt(big[cmd]["pss"]),
                h.fmt_ratio(big[cmd]["pss"], medium[cmd]["pss"]),
                h.fmt_rate(h.mbps(medium["bytes"], medium[cmd]["s"])),
                h.fmt_rate(h.mbps(big["bytes"], big[cmd]["s"])),
            ]
        )
    m, b = f"{medium['bytes'] / h.MB:,.0f} MB", f"{big['bytes'] / h.MB:,.0f} MB"
    return (
        f"### Memory: one {m} file ({medium['corpus']}) against one {b} file ({big['corpus']})\n\n"
        + h.table(
            [
                "command",
                f"max RSS MB, {m}",
                f"max RSS MB, {b}",
                "RSS ratio",
                f"tree PSS MB, {m}",
                f"tree PSS MB, {b}",
                "PSS ratio",
                f"MB/s, {m}",
                f"MB/s, {b}",
            ],
            rows,
        )
        + "\n\nmax RSS: the largest single process (GNU time's %M). tree PSS: the peak of the summed PSS of the"
        " command and all its descendants, sampled at 10 Hz. One measurement each (no best-of).\n"
    )


if __name__ == "__main__":
    sys.exit(h.standalone(measure, render, __doc__.splitlines()[0]))
