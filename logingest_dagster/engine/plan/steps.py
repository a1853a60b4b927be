"""How many ingestion steps a run gets, and which files go in each: sized by work, not file count.

A step is a process: start-up, resource set-up and its events cost about as much as the engine
scanning a few tens of MB, whatever the step reads. And one step already keeps every core busy
(its files, and the pieces of a large file, are scanned on threads). So a run gets more than one
step only when it has the work to pay for them: one step per `StepCost.bytes` of planned work, at
most one per slot (the run's `max_concurrent`, bounded by the cores). A file gets a step of its own
only when it alone is worth `StepCost.own_step_factor` steps; such files do not count against the
slots (the executor queues them), since they pay for their process many times over.

A user's `fan_out_limit` still forces one step per file for runs of up to that many files.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from logingest_dagster.engine.plan.packing import pack_balanced

T = TypeVar("T")


@dataclass(frozen=True)
class StepCost:
    """The fixed cost of one ingestion step, in bytes the engine would scan in that time.

    The defaults are measured by `benchmarks/bench_shapes.py` (its "per step" figure: a step's
    wall time minus its scan, from the run's event log; and `logingest scan`'s MB/s on `few`).
    """

    seconds: float = 0.3
    scan_bytes_per_second: float = 330e6
    own_step_factor: float = 10.0  # a file gets its own step when worth this many steps

    @property
    def bytes(self) -> int:
        return max(1, int(self.seconds * self.scan_bytes_per_second))


DEFAULT_STEP_COST = StepCost()


def plan_steps(
    tasks: Sequence[T],
    *,
    slots: int,
    weight: Callable[[T], int],
    cost: StepCost = DEFAULT_STEP_COST,
    one_step_per_file_up_to: int = 0,
) -> list[list[T]]:
    """Group `tasks` into ingestion steps (a list of lists, no empty one; [] for no tasks).

    `slots`: how many steps may run at once (the run's `max_concurrent`, at most the cores).
    `weight`: a task's planned bytes. `one_step_per_file_up_to`: the user's `fan_out_limit` (0:
    none); a run of at most that many tasks gets one step per task.
    """
    if not tasks:
        return []
    if len(tasks) <= one_step_per_file_up_to:
        return [[task] for task in tasks]
    own_step_bytes = cost.bytes * cost.own_step_factor
    alone = [task for task in tasks if weight(task) >= own_step_bytes]
    rest = [task for task in tasks if weight(task) < own_step_bytes]
    groups = [[task] for task in sorted(alone, key=weight, reverse=True)]
    if rest:
        work = sum(max(0, weight(task)) for task in rest)
        count = max(1, min(max(1, slots), math.ceil(work / cost.bytes)))
        groups += pack_balanced(rest, count, weight=lambda task: max(1, weight(task)))
    return groups
