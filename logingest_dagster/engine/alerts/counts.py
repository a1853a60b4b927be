"""What the rules are evaluated on: counts per minute x file x level, by logged time, with examples.

`committed_minute_counts` is the one place that says where the counts come from. Today that is the
store's error events (ERROR and FATAL first lines, each with the time written at its start, or the
time of its commit when the line has none): they give ERROR/FATAL per minute, not the other levels,
so share rules wait for counts of every level (`MinuteCounts.all_levels`). Pointing this function
at the per-minute time series, once there is one, changes no rule.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

EXAMPLES_PER_MINUTE = 3
_PATHS_PER_QUERY = 500


@dataclass(frozen=True)
class MinuteCount:
    minute: int  # minutes since the epoch, UTC
    path: str
    level: str
    count: int


@dataclass
class MinuteCounts:
    """The counts the rules read: every minute known of the files concerned (for trailing
    medians), and `focus`, the (path, minute) pairs the run committed records into: the only
    minutes the rules judge, so a run alerts on what it brought in."""

    counts: list[MinuteCount] = field(default_factory=list)
    focus: set[tuple[str, int]] = field(default_factory=set)
    examples: dict[tuple[str, int], list[str]] = field(default_factory=dict)
    all_levels: bool = False  # True: `counts` holds every level, so shares can be computed


class EventSource(Protocol):
    def error_events(
        self, *, run_id: str | None = None, paths: Iterable[str] | None = None
    ) -> list[dict]: ...


def committed_minute_counts(store: EventSource, run_id: str | None) -> MinuteCounts:
    """The minutes `run_id` committed error events into, with every stored count of their files
    (None: every stored minute is in focus, for a check run on demand)."""
    if run_id is None:
        reads = store.error_events()
        focus = {key for read in reads for key, _, _ in _events(read)}
    else:
        own = store.error_events(run_id=run_id)
        focus = {key for read in own for key, _, _ in _events(read)}
        paths = sorted({path for path, _ in focus})
        reads = [
            read
            for i in range(0, len(paths), _PATHS_PER_QUERY)
            for read in store.error_events(paths=paths[i : i + _PATHS_PER_QUERY])
        ]
    tally: dict[tuple[str, int, str], int] = defaultdict(int)
    examples: dict[tuple[str, int], list[str]] = {}
    for read in reads:
        for key, level, line in _events(read):
            tally[(*key, level)] += 1
            if key in focus:
                kept = examples.setdefault(key, [])
                if len(kept) < EXAMPLES_PER_MINUTE:
                    kept.append(line)
    counts = [MinuteCount(m, p, lv, n) for (p, m, lv), n in sorted(tally.items())]
    return MinuteCounts(counts, focus, examples, all_levels=False)


def _events(read: dict) -> Iterable[tuple[tuple[str, int], str, str]]:
    """((path, minute), level, line) for each event of a stored read."""
    path, committed_minute = read["path"], int(read["committed_at"] // 60)
    logged = read.get("logged_at") or [None] * len(read["level"])
    for level, line, at in zip(read["level"], read["line"], logged, strict=True):
        yield (path, committed_minute if at is None else int(at // 60)), level, line
