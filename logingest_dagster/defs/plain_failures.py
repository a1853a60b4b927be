"""A machine problem (full disk, read-only home, damaged store, unwritable warehouse) fails its
step as a `Failure` whose description is one line saying what and what to do: the UI shows it
as the step's error and `logingest run` prints it, instead of a traceback through Dagster's
executor. Anything else is a bug and keeps its traceback."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from dagster import Failure

from logingest_dagster.engine.problems import explain


@contextmanager
def plainly() -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        line = explain(exc)
        if line is None:
            raise
        raise Failure(description=line, allow_retries=False) from exc
