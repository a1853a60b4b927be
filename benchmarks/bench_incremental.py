"""Incremental runs: one that finds nothing new, and one after every file grew a line.

Over 10,000 small files (`many10k`), a full run starts from a fresh --home each time, and the
incremental runs reuse the last one's home, where every file is committed and unchanged. Over a
copy of the 1,000 files of 100 KB (`many`), every file gets one more line before each timed run:
the run reads 1,000 short ranges, each from its stored offset with its stored format.

    python benchmarks/bench_incremental.py --size tiny|full
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import corpus
import harness as h

APPENDED = b"2026-11-27 04:41:00,000 INFO [main] c.a.B - one more line\n"


def measure(s: h.Settings) -> dict:
    exe = h.logingest()
    d = s.corpus("many10k")
    m = corpus.manifest(d)
    env = h.run_env()
    with h.scratch("incr-") as tmp:

        def cmd(home):
            return h.run_cmd(exe, home, d, m["files_count"], tmp)

        h.log(f"incremental {d.name}: full runs (fresh home each time)")
        full = h.best_of(lambda i: cmd(h.fresh_home(tmp, "home")), s, env=env)
        h.log(f"incremental {d.name}: runs that find nothing new")
        incr = h.best_of(lambda i: cmd(tmp / "home"), s, env=env)
    fj, ij = h.check_run(full.json(), "full run"), h.check_run(incr.json(), "incremental run")
    if fj.get("files_read") != m["files_count"]:
        s.fail(f"the full run read {fj.get('files_read')} files of {m['files_count']}")
    if ij.get("files_read") or ij.get("bytes_read"):
        s.fail(
            f"the incremental run read {ij.get('files_read')} files, {ij.get('bytes_read')} bytes"
        )
    grown = measure_grown(s, exe)
    return {
        "corpus": d.name,
        "files": m["files_count"],
        "bytes": m["bytes"],
        "full_s": full.seconds,
        "incr_s": incr.seconds,
        "full": fj,
        "incr": ij,
        "grown": grown,
    }


def measure_grown(s: h.Settings, exe: str) -> dict:
    source = s.corpus("many")
    n = corpus.manifest(source)["files_count"]
    env = h.run_env()
    with h.scratch("grow-") as tmp:
        logs = tmp / "logs"
        shutil.copytree(source, logs, ignore=shutil.ignore_patterns("manifest.json"))
        home = h.fresh_home(tmp, "home")
        h.log(f"incremental {source.name}: a full run first (untimed)")
        first = h.run(h.run_cmd(exe, home, logs, n, tmp), timeout=s.timeout, env=env)
        h.check_run(first.check((0,)).json(), "full run")
        h.log(f"incremental {source.name}: runs after every file grew one line")
        grown = h.best_of(
            lambda i: h.run_cmd(exe, home, logs, n, tmp), s, before=lambda i: _grow(logs), env=env
        )
    gj = h.check_run(grown.json(), "run after growth")
    if gj.get("files_read") != n:
        s.fail(f"the run after growth read {gj.get('files_read')} files of {n}")
    return {"corpus": source.name, "files": n, "grown_s": grown.seconds, "run": gj}


def _grow(logs: Path) -> None:
    for path in logs.glob("*.log"):
        with path.open("ab") as f:
            f.write(APPENDED)


def summary_rows(res: dict) -> list[list[str]]:
    what = f"{res['files']:,} unchanged files ({res['corpus']})"
    return [
        [
            f"incremental run that finds nothing new, seconds, {what}",
            h.fmt(res["incr_s"], 2),
            "a few seconds",
        ],
        [f"full run, seconds, same {res['files']:,} files", h.fmt(res["full_s"], 2), ""],
        [
            f"run after each of {res['grown']['files']:,} files of 100 KB grew one line, "
            f"seconds ({res['grown']['corpus']})",
            h.fmt(res["grown"]["grown_s"], 2),
            "",
        ],
    ]


def render(res: dict) -> str:
    ij = res["incr"]
    return (
        "### Incremental: a full run, a run that finds nothing new, a run after growth\n\n"
        + h.table(
            [
                "corpus",
                "files",
                "MB",
                "full run s",
                "incremental run s",
                "incremental/full",
                "files unchanged",
                "files read",
            ],
            [
                [
                    res["corpus"],
                    f"{res['files']:,}",
                    f"{res['bytes'] / h.MB:,.1f}",
                    h.fmt(res["full_s"], 2),
                    h.fmt(res["incr_s"], 2),
                    h.fmt_ratio(res["incr_s"], res["full_s"]),
                    f"{ij.get('files_unchanged', 'n/a'):,}",
                    f"{ij.get('files_read', 'n/a'):,}",
                ]
            ],
        )
        + f"\n\nAfter every one of the {res['grown']['files']:,} files of `{res['grown']['corpus']}` "
        f"grew one line: {h.fmt(res['grown']['grown_s'], 2)} s, "
        f"{res['grown']['run'].get('bytes_read', 0):,} bytes read from "
        f"{res['grown']['run'].get('files_read', 0):,} files.\n"
    )


if __name__ == "__main__":
    sys.exit(h.standalone(measure, render, __doc__.splitlines()[0]))
