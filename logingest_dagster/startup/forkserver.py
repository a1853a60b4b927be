"""The forkserver that Dagster's multiprocess executor forks step processes from.

Its preload (Dagster, its storages, pyarrow, the engine) takes about 0.9 s. Started early, it
loads on the second core while this process is still importing Dagster itself; the executor then
finds it running (multiprocessing keeps one forkserver per process) instead of starting it.
"""

import multiprocessing
import multiprocessing.forkserver

STEP_PRELOAD_MODULES = ["logingest_dagster.startup.preload"]


def start_early() -> None:
    """Start the forkserver with the step preload now; returns at once (it loads on its own)."""
    multiprocessing.get_context("forkserver").set_forkserver_preload(STEP_PRELOAD_MODULES)
    multiprocessing.forkserver.ensure_running()
