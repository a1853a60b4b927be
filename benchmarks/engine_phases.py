"""Where the engine's scan time goes, phase by phase, measured in this process on one thread.

Each phase is a function of the engine wrapped for the duration of a scan; its time is its own
(exclusive: a phase called inside another counts for itself, not for its caller), in CPU seconds
of the scanning thread (`time.thread_time`), so the other work on a shared machine moves it less
than wall-clock time. What no phase covers (opening and stat-ing files, results, the batch's
bookkeeping) is `other`. The wrappers cost about a microsecond per call, a few hundred calls per
file: far below the phases measured.

Framing (newlines and level tokens, one compiled pass) is split further by framing each chunk
again with and without a format's finder (`framing_split`).

Why two threads are not twice one: `gil_held` splits one thread's CPU into the calls that release
the GIL (`readinto`, the compiled library's functions, pyarrow's kernels) and the rest, which holds
it; `thread_schedule` says, per thread of a two-thread scan, how long it ran, waited for a core
(the kernel's run queue: other processes) and was blocked (the GIL: the scan reads no disk on a
hot cache).
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from logingest_dagster.engine.scan import (
    batch,
    events,
    fallback,
    formats,
    level_fields,
    minute_counts,
    records,
)
from logingest_dagster.engine.scan import range_scanner as rs
from logingest_dagster.engine.scan.batch import scan_paths
from logingest_dagster.engine.scan.formats import format_from_key
from logingest_dagster.engine.scan.result import ScanOptions

# (phase, object, attribute): the engine's functions timed, in the order they are reported.
PHASES = (
    ("read (readinto, chunk loop)", rs.RangeScanner, "_read"),
    ("format detection (per file)", rs, "detect_head"),
    ("framing: newlines + level finders (C)", level_fields, "frame"),
    ("level codes (token lookup, RE2 where no finder)", records.RecordCounter, "_format_codes"),
    ("level codes (token lookup, RE2 where no finder)", level_fields, "tokens"),
    ("fallback to other formats", fallback.FormatFallback, "apply"),
    (
        "record folding (continuations: C passes, RE2 on few lines)",
        records.RecordCounter,
        "_classify",
    ),
    ("counting per level", records.RecordCounter, "add"),
    ("events (run only)", events.EventCollector, "take"),
    ("minute counts (run only)", minute_counts.MinuteCounter, "take"),
)
OTHER = "other (open, stat, results, threads)"


class _Clock:
    def __init__(self) -> None:
        self.own: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self._stack: list[list[float]] = []  # per active phase: [start, time of its children]

    def wrap(self, phase: str, function):
        def timed(*args, **kwargs):
            self._stack.append([time.thread_time(), 0.0])
            try:
                return function(*args, **kwargs)
            finally:
                start, children = self._stack.pop()
                spent = time.thread_time() - start
                self.own[phase] = self.own.get(phase, 0.0) + spent - children
                self.calls[phase] = self.calls.get(phase, 0) + 1
                if self._stack:
                    self._stack[-1][1] += spent

        return timed


@contextlib.contextmanager
def _wrapped(clock: _Clock) -> Iterator[None]:
    saved = [(owner, name, getattr(owner, name)) for _, owner, name in PHASES]
    try:
        for phase, owner, name in PHASES:
            setattr(owner, name, clock.wrap(phase, getattr(owner, name)))
        yield
    finally:
        for owner, name, function in saved:
            setattr(owner, name, function)


def phases(directory: Path, options: ScanOptions | None = None) -> dict:
    """CPU seconds per phase for one scan of `directory` on one thread, with the total."""
    clock = _Clock()
    options_for = (lambda _path: options) if options else None
    with _wrapped(clock):
        start = time.thread_time()
        results = list(scan_paths([directory], workers=1, options_for=options_for))
        total = time.thread_time() - start
    seconds = {phase: clock.own.get(phase, 0.0) for phase, _, _ in PHASES}
    seconds[OTHER] = total - sum(seconds.values())
    return {
        "total_s": total,
        "seconds": seconds,
        "calls": clock.calls,
        "bytes": sum(r.end - r.start for r in results),
        "format_keys": {r.path: r.format_key for r in results},
    }


def framing_split(format_keys: dict[str, str | None], chunk_size: int) -> dict:
    """CPU seconds to frame every file in chunks with only newlines found, and with each file's
    level finder as well (the scan's one pass): the finders' share of framing."""
    newlines = with_finders = 0.0
    for path, key in format_keys.items():
        fmt = format_from_key(key) if key else None
        finder = fmt.finder if fmt is not None else None
        with open(path, "rb", buffering=0) as f:
            while chunk := f.read(chunk_size):
                cut = chunk.rfind(b"\n") + 1
                data = np.frombuffer(chunk, dtype=np.uint8)[:cut]
                start = time.thread_time()
                level_fields.frame(data, None)
                middle = time.thread_time()
                level_fields.frame(data, finder)
                newlines += middle - start
                with_finders += time.thread_time() - middle
    return {"newlines_s": newlines, "with_finders_s": with_finders}


def in_process(directory: Path, workers: int) -> dict:
    """Wall and CPU seconds of one scan of `directory` on `workers` threads, in this process."""
    wall, cpu = time.perf_counter(), time.process_time()
    nbytes = sum(r.end - r.start for r in scan_paths([directory], workers=workers))
    return {
        "workers": workers,
        "wall_s": time.perf_counter() - wall,
        "cpu_s": time.process_time() - cpu,
        "bytes": nbytes,
    }


def load_average() -> str:
    with contextlib.suppress(OSError):
        return " / ".join(f"{x:.2f}" for x in os.getloadavg())
    return "n/a"


class _TimedFile:
    """A file whose `readinto` (which releases the GIL) is timed into `clock`."""

    def __init__(self, raw, clock: _Clock) -> None:
        self._raw = raw
        self.readinto = clock.wrap("nogil", raw.readinto)

    def __getattr__(self, name: str):
        return getattr(self._raw, name)

    def __enter__(self) -> _TimedFile:
        self._raw.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._raw.__exit__(*exc)


def gil_held(directory: Path) -> dict:
    """One thread's CPU seconds over a scan of `directory`: inside calls that release the GIL
    (`readinto`, the compiled library's functions, pyarrow's compute kernels) and the rest."""
    clock = _Clock()
    library = level_fields._function()
    saved_open, saved_call = rs.RangeScanner._open, formats.call
    try:
        rs.RangeScanner._open = lambda self: _TimedFile(saved_open(self), clock)
        formats.call = records.call = clock.wrap("nogil", saved_call)
        if library is not None:
            level_fields._library = library._replace(
                **{name: clock.wrap("nogil", getattr(library, name)) for name in library._fields}
            )
        start = time.thread_time()
        list(scan_paths([directory], workers=1))
        total = time.thread_time() - start
    finally:
        rs.RangeScanner._open, formats.call, records.call = saved_open, saved_call, saved_call
        level_fields._library = library
    nogil = clock.own.get("nogil", 0.0)
    return {"total_s": total, "nogil_s": nogil, "held_s": total - nogil}


def _schedstat() -> tuple[float, float]:
    """This thread's (seconds run, seconds waited for a core), from the kernel's schedstat."""
    with open(f"/proc/self/task/{threading.get_native_id()}/schedstat") as f:
        run, wait, _ = (int(x) for x in f.read().split())
    return run / 1e9, wait / 1e9


def thread_schedule(directory: Path, workers: int = 2) -> list[dict]:
    """Per scanning thread of a `workers`-thread scan: seconds in its scans, run on a core,
    waited for one, and blocked (the rest: waiting for the GIL). Empty where the kernel does
    not say (not Linux)."""
    if not os.path.exists(f"/proc/self/task/{threading.get_native_id()}/schedstat"):
        return []
    spent: dict[int, list[float]] = {}
    scan = batch.BatchScan._scan

    def timed(self, group, index):
        wall, (run, wait) = time.perf_counter(), _schedstat()
        try:
            return scan(self, group, index)
        finally:
            end_run, end_wait = _schedstat()
            row = spent.setdefault(threading.get_native_id(), [0.0, 0.0, 0.0])
            row[0] += time.perf_counter() - wall
            row[1] += end_run - run
            row[2] += end_wait - wait

    batch.BatchScan._scan = timed
    try:
        list(scan_paths([directory], workers=workers))
    finally:
        batch.BatchScan._scan = scan
    return [
        {"in_scans_s": t, "run_s": r, "queued_s": q, "blocked_s": max(0.0, t - r - q)}
        for t, r, q in spent.values()
    ]
