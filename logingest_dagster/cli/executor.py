"""Which executor `logingest run` uses: its steps in this process, or one process per step.

Each ingestion step already scans on every core with threads, so on one machine a process per
step buys little and costs a forkserver, a process per step and each step's imports. In-process
is the command line's default; `--worker-count` (steps at once, as the seed's worker_count) or
`--executor multiprocess` asks for step processes. The code location (UI, sensor, schedule)
keeps the multiprocess executor, whose `max_concurrent` the launchpad shows.
"""

from __future__ import annotations

from typing import Any

AUTO, IN_PROCESS, MULTIPROCESS = "auto", "in-process", "multiprocess"
CHOICES = (AUTO, IN_PROCESS, MULTIPROCESS)


def choose_executor(requested: str, worker_count_from_command_line: int | None) -> str:
    """`in-process` or `multiprocess`: `auto` is in-process unless the command line set
    `--worker-count` (a settings file's worker_count alone does not ask for processes)."""
    if requested != AUTO:
        return requested
    return MULTIPROCESS if worker_count_from_command_line is not None else IN_PROCESS


def in_process_execution() -> dict[str, Any]:
    """The run config's `execution` block that runs every step in the run's own process."""
    return {"config": {"in_process": {}}}
