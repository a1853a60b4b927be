"""Packing read tasks into byte-balanced groups, so a run over thousands of files has few steps.

A Dagster step costs far more (process start, imports, events) than scanning a small file takes:
one step per file would spend the run starting steps (figures: benchmarks/README.md).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")


def pack_balanced(items: Sequence[T], groups: int, weight: Callable[[T], int]) -> list[list[T]]:
    """Split items into at most `groups` lists of near-equal total weight (largest first, greedy).

    Greedy largest-first is within 4/3 of the optimal makespan, and the order of files inside a
    group keeps big files first so the group's threads finish together.
    """
    groups = max(1, min(groups, len(items)))
    heap: list[tuple[int, int]] = [(0, i) for i in range(groups)]
    out: list[list[T]] = [[] for _ in range(groups)]
    for item in sorted(items, key=weight, reverse=True):
        load, index = heapq.heappop(heap)
        out[index].append(item)
        heapq.heappush(heap, (load + max(1, weight(item)), index))
    return [group for group in out if group]
