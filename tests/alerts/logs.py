"""Log files for the alert tests: a burst of errors in one minute, or a quiet file."""

from __future__ import annotations

import time
from pathlib import Path


def stamp(epoch: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(epoch)) + ",000"


def this_minute_start(minutes_ago: int = 2) -> float:
    """The start of a recent whole minute (recent: alerts judge the last day only)."""
    return (int(time.time() // 60) - minutes_ago) * 60.0


def write_burst(path: Path, errors: int = 150, minute: float | None = None) -> float:
    """`errors` ERROR lines within one minute, after an hour of quiet INFO; returns the minute."""
    minute = this_minute_start() if minute is None else minute
    lines = [f"{stamp(minute - 60 * m)} INFO [web] request ok {m}" for m in range(60, 0, -1)]
    lines += [f"{stamp(minute + i % 50)} ERROR [db] connection refused #{i}" for i in range(errors)]
    with path.open("a") as f:
        f.write("\n".join(lines) + "\n")
    return minute


def write_quiet(path: Path) -> None:
    """A few errors, one a minute, among INFO lines: below every default rule."""
    start = this_minute_start(30)
    lines = []
    for m in range(20):
        lines.append(f"{stamp(start + 60 * m)} INFO [web] request ok")
        if m % 4 == 0:
            lines.append(f"{stamp(start + 60 * m + 1)} ERROR [web] timeout talking to cache")
    path.write_text("\n".join(lines) + "\n")
