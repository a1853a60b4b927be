"""Runs whose process died before finishing them.

A run executes in one process, its run worker: the `logingest run` process for a CLI run, a
`dagster api execute_run` process that the code server started for a run the daemon launched from
the queue (UI, sensor, schedule). Killed there (SIGKILL, the OOM killer, a reboot), nothing is left
to record the end, and the run stays STARTED in the instance for good: the UI lists it as running,
and the queue's one-slot limit on the `logingest/job` tag (dagster.yaml) counts it, so no sensor,
schedule or UI run of the job would ever leave the queue again. Dagster's run monitoring cannot
see it either: the default run launcher has no way to check its run workers.

So each run is tagged with the process that executes it: a CLI run when it is created, any other
run by its first step (`run_worker_tags`, from the step process's multiprocessing parent). Before a
new CLI run, and on each sensor and schedule tick, the unfinished runs whose process is gone from
this host are marked failed. A process is named by its pid and its start time, so a pid the system
has since given to another process does not keep a dead run alive. Failing such a run loses
nothing: its commit is one transaction, so it either happened (killed later, while publishing) or
the next run reads those files again.
"""

from __future__ import annotations

import multiprocessing
import os
import socket

from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

HOST_TAG = "logingest/host"
PROCESS_TAG = "logingest/process"

# A CLI run is NOT_STARTED between its creation and its start, then STARTED, or CANCELING after a
# Ctrl+C; it never passes through the queue.
_UNFINISHED = [DagsterRunStatus.NOT_STARTED, DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING]


def process_tags(pid: int | None = None) -> dict[str, str]:
    """Tags naming process `pid` (default: this one) of this host, for the run it executes."""
    process = _process_id(os.getpid() if pid is None else pid)
    return {HOST_TAG: socket.gethostname(), PROCESS_TAG: process or ""}


def run_worker_tags() -> dict[str, str]:
    """`process_tags` of the run worker, called from a step: with the multiprocess executor a step
    is a child process that the run worker started (through a forkserver, which is the step's OS
    parent, hence multiprocessing's record of the parent); in process, the step's own."""
    parent = multiprocessing.parent_process()
    return process_tags(parent.pid if parent is not None else None)


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
            f"The process that executed this run ({process}) ended without finishing it "
            "(killed?). What it had not committed, the next run reads again."
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
