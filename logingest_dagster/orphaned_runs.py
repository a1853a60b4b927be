"""Runs whose `logingest run` process died before finishing them.

`logingest run` executes its run in its own process. Killed there (SIGKILL, the OOM killer, a
reboot), nothing is left to record the end, and the run stays STARTED in the instance for good: the
UI lists it as running, and the queue's one-slot limit on the `logingest/job` tag (dagster.yaml)
counts it, so no sensor, schedule or UI run of the job would ever leave the queue again.

So each CLI run is tagged with the process that executes it, and before a new CLI run (and on each
sensor and schedule tick) the unfinished runs whose process is gone from this host are marked
failed. A process is named by its pid and its start time, so a pid the system has since given to
another process does not keep a dead run alive. Failing such a run loses nothing: its commit is
one transaction, so it either happened (killed later, while publishing) or the next run reads
those files again.
"""

from __future__ import annotations

import os
import socket

from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

HOST_TAG = "logingest/host"
PROCESS_TAG = "logingest/process"

# A CLI run is NOT_STARTED between its creation and its start, then STARTED, or CANCELING after a
# Ctrl+C; it never passes through the queue.
_UNFINISHED = [DagsterRunStatus.NOT_STARTED, DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING]


def process_tags() -> dict[str, str]:
    """Tags naming this process, for a run it executes itself."""
    return {HOST_TAG: socket.gethostname(), PROCESS_TAG: _process_id(os.getpid()) or ""}


def fail_orphaned_runs(instance: DagsterInstance) -> list[str]:
    """Mark failed (canceled, if it was canceling) each unfinished run executed by a process of
    this host that no longer exists; returns their run ids."""
    runs = instance.get_runs(
        filters=RunsFilter(statuses=_UNFINISHED, tags={HOST_TAG: socket.gethostname()})
    )
    ended = []
    for run in runs:
        process = run.tags.get(PROCESS_TAG, "")
        if not process or _process_id(int(process.split(":")[0])) == process:
            continue  # alive, or not ours to judge
        message = (
            f"The `logingest run` process ({process}) that executed this run ended without "
            "finishing it (killed?). What it had not committed, the next run reads again."
        )
        if run.status == DagsterRunStatus.CANCELING:
            instance.report_run_canceled(run, message=message)
        else:
            instance.report_run_failed(run, message=message)
        ended.append(run.run_id)
    return ended


def _process_id(pid: int) -> str | None:
    """`pid:start time` for a live process (the start time in clock ticks after boot, from
    /proc), `pid` where /proc does not exist; None if no process has that pid."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except FileNotFoundError:
        if os.path.isdir("/proc/self"):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass  # someone else's process: it exists
        return str(pid)
    # The command name (field 2) may hold spaces and parentheses; the fields after its closing
    # parenthesis start at field 3, so the start time (field 22) is the 20th of them.
    start_ticks = stat[stat.rindex(b")") + 2 :].split()[19].decode()
    return f"{pid}:{start_ticks}"
