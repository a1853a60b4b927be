"""What the rules are evaluated on: counts per minute x file x level, by logged time, with examples.

`committed_minute_counts` is the one place that says where the counts come from. Today that is the
store's error events (ERROR and FATAL first lines, each with the time written at its start, or the
time of its commit when the line has none): they give ERROR/FATAL per minute, not the other levels,
so share rules wait for counts of every level (`MinuteCounts.all_levels`). Pointing this function
at the per-minute time series, once there is one, changes no rule.
"""

from __future__ import annotations

from collections import Counter
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
    (None: every stored minute is in focus, for a check run on demand). Examples are the run's
    own first lines of each focus minute."""
    own = store.error_events() if run_id is None else store.error_events(run_id=run_id)
    focus = {(read["path"], m) for read in own for m in set(_minutes(read))}
    if run_id is None:
        reads = own
    else:
        paths = sorted({path for path, _ in focus})
        reads = [
            read
            for i in range(0, len(paths), _PATHS_PER_QUERY)
            for read in store.error_events(paths=paths[i : i + _PATHS_PER_QUERY])
        ]
    tally: Counter[tuple[str, int, str]] = Counter()
    for read in reads:
        path = read["path"]
        tally.update((path, m, lv) for m, lv in zip(_minutes(read), read["level"], strict=True))
    examples: dict[tuple[str, int], list[str]] = {}
    for read in own:
        for minute, line in zip(_minutes(read), read["line"], strict=True):
            kept = examples.setdefault((read["path"], minute), [])
            if len(kept) < EXAMPLES_PER_MINUTE:
                kept.append(line)
    counts = [MinuteCount(m, p, lv, n) for (p, m, lv), n in sorted(tally.items())]
    return MinuteCounts(counts, focus, examples, all_levels=False)


def _minutes(read: dict) -> list[int]:
    """Each event's minute: logged, or its commit's when its line has no time."""
    committed = int(read["committed_at"] // 60)
    logged = read.get("logged_at") or [None] * len(read["level"])
    return [committed if at is None else int(at // 60) for at in logged]
