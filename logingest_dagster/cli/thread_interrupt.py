"""Raise KeyboardInterrupt inside another thread of this process, as Ctrl+C would on the main one.

An in-process run executes its steps on the run's worker thread, where no signal arrives: this is
how a cancel reaches a step there, as SIGINT reaches a step process. CPython delivers it at the
thread's next bytecode, so a thread waiting on its scan threads gets it when one of their pieces
completes (a chunk's work), and the step stops them and reports what it had counted.
"""

from __future__ import annotations

import ctypes
import threading


def interrupt_thread(thread: threading.Thread) -> bool:
    """Ask `thread` to raise KeyboardInterrupt; False if it is not running."""
    if thread.ident is None or not thread.is_alive():
        return False
    done = ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread.ident), ctypes.py_object(KeyboardInterrupt)
    )
    return done == 1
