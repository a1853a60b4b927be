"""A full run against an incremental run that finds nothing new, over 10,000 small files.

The full run starts from a fresh --home each time; the incremental runs reuse the last one's
home, where every file is already committed and unchanged.

    python benchmarks/bench_incremental.py --size tiny|full
"""

from __future__ import annotations

import sys

import corpus
import harness as h


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
    return {
        "corpus": d.name,
        "files": m["files_count"],
        "bytes": m["bytes"],
        "full_s": full.seconds,
        "incr_s": incr.seconds,
        "full": fj,
        "incr": ij,
    }


def summary_rows(res: dict) -> list[list[str]]:
    what = f"{res['files']:,} unchanged files ({res['corpus']})"
    return [
        [
            f"incremental run that finds nothing new, seconds, {what}",
            h.fmt(res["incr_s"], 2),
            "a few seconds",
        ],
        [f"full run, seconds, same {res['files']:,} files", h.fmt(res["full_s"], 2), ""],
    ]


def render(res: dict) -> str:
    ij = res["incr"]
    return (
        "### Incremental: full run against a run that finds nothing new\n\n"
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
        + "\n"
    )


if __name__ == "__main__":
    sys.exit(h.standalone(measure, render, __doc__.splitlines()[0]))
