"""The forkserver that Dagster's multiprocess executor forks step processes from.

Its preload (Dagster, its storages, pyarrow, the engine, the step code) is slow to import. Started
early, it loads on the second core while this process is still importing Dagster itself; the
executor then finds it running (multiprocessing keeps one forkserver per process) instead of
starting it.

The preload ends with the module that builds the job a step rebuilds (the code location, or the
CLI's job factory), named by that module itself: the step code and the job module then never name
each other, and a step forked from here finds both loaded.
"""

import multiprocessing
import multiprocessing.forkserver

STEP_PRELOAD = "logingest_dagster.startup.preload"


def preload_modules(job_module: str | None) -> list[str]:
    """What the forkserver imports before forking steps of a job built in `job_module`."""
    return [STEP_PRELOAD] + ([job_module] if job_module else [])


def start_early(job_module: str | None) -> None:
    """Start the forkserver with the step preload now; returns at once (it loads on its own)."""
    multiprocessing.get_context("forkserver").set_forkserver_preload(preload_modules(job_module))
    multiprocessing.forkserver.ensure_running()
