"""Loading a process without the cyclic garbage collector.

Importing Dagster, SQLAlchemy, alembic, numpy and pyarrow creates about a million objects that live
as long as the process, and the collector, set off by those allocations, walked them again and
again: a real share of every start-up (figures: benchmarks/README.md). So collection is paused
while a process loads, then
resumed with everything loaded so far frozen: later collections skip those objects, and forked
step processes do not copy the pages a collection would have touched.

The `logingest` console script enters through `cli.main`, which pauses collection before the
command line is even imported; a command resumes it once loaded (`scan` after the engine, `run`
once its Dagster instance is open). A short command that never resumes (`state`, `reset`) simply
ends without a collection. Importing the modules themselves changes nothing.
"""

from __future__ import annotations

import gc


def pause_collection() -> None:
    gc.disable()


def resume_collection() -> None:
    """If paused: freeze what is loaded so far and collect from now on."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()
