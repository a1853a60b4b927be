"""Scanning many files at once with every core busy, yielding each result as its file completes.

Threads, not processes: the scan spends its time in pyarrow compute (RE2), numpy and `readinto`,
all of which release the GIL, so two threads keep two cores busy with no start-up cost, no
pickling and shared compiled state. (Measured on the mixed loghub-like corpus: threads scale
about as well as a process pool and finish small batches far sooner; see the report in the
engine's commit history and `benchmarks/`.)

Used by `logingest scan` and by the Dagster ingestion step of a packed group of files.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

from logingest_dagster.engine.scan import RangeScanner, ScanOptions, ScanResult

log = logging.getLogger(__name__)

OptionsFor = Callable[[str], "ScanOptions | None"]


@dataclass(frozen=True)
class ScanRequest:
    """One byte range of one file to scan; the arguments of `scan_range`."""

    path: str
    start: int = 0
    stop: int | None = None
    final: bool = True
    compressed: bool = False
    options: ScanOptions | None = None


def default_workers() -> int:
    """The cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


class BatchScan(Iterator[ScanResult]):
    """Scans requests on `workers` threads; iterating yields results in completion order.

    At most `2 * workers` requests are in flight, so a lazy iterable of 100,000 requests is never
    materialized. `cancel()` (from any thread) stops the running scans within a chunk: nothing
    more is yielded, requests not yet started are dropped, and the results of the scans that were
    running are kept in `stopped` (partial ones with `interrupted=True`). An exception raised into
    the consumer while it waits (KeyboardInterrupt), closing the iterator early, or leaving a
    `with` block does the same.
    """

    def __init__(
        self,
        requests: Iterable[ScanRequest | str],
        workers: int | None = None,
        options_for: OptionsFor | None = None,
    ) -> None:
        self.workers = max(1, workers or default_workers())
        self.options_for = options_for
        self.stopped: list[ScanResult] = []
        self._requests = iter(requests)
        self._running: dict[int, RangeScanner] = {}
        self._lock = threading.Lock()
        self._cancelled = threading.Event()
        self._results = self._run()

    def __next__(self) -> ScanResult:
        return next(self._results)

    def close(self) -> None:
        self._results.close()

    def __enter__(self) -> BatchScan:
        return self

    def __exit__(self, exc_type: object, *_: object) -> None:
        if exc_type is not None:
            self.cancel()
        self.close()

    def cancel(self) -> None:
        self._cancelled.set()
        with self._lock:
            for scanner in self._running.values():
                scanner.cancel()

    # -- internals -----------------------------------------------------------------------------

    def _next_request(self) -> ScanRequest | None:
        if self._cancelled.is_set():
            return None
        request = next(self._requests, None)
        if isinstance(request, str):
            request = ScanRequest(request, compressed=request.endswith(".gz"))
        return request

    def _run(self) -> Iterator[ScanResult]:
        if self.workers == 1:
            yield from self._run_inline()
            return
        pool = ThreadPoolExecutor(self.workers, thread_name_prefix="logingest-scan")
        pending: set[Future[ScanResult | None]] = set()
        try:
            while True:
                while len(pending) < 2 * self.workers:
                    request = self._next_request()
                    if request is None:
                        break
                    pending.add(pool.submit(self._scan, request))
                if not pending:
                    return
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    if self._cancelled.is_set():
                        pending |= done
                        return
                    result = future.result()
                    if result is not None:
                        yield result
        finally:
            # Normal end, early close, or an exception thrown into the consumer: stop what runs.
            if pending:
                self.cancel()
                for future in pending:
                    future.cancel()
            pool.shutdown(wait=True)
            for future in pending:
                if not future.cancelled() and future.exception() is None:
                    result = future.result()
                    if result is not None:
                        self.stopped.append(result)

    def _run_inline(self) -> Iterator[ScanResult]:
        while (request := self._next_request()) is not None:
            result = self._scan(request)
            if result is not None:
                yield result

    def _scan(self, request: ScanRequest) -> ScanResult | None:
        options = request.options
        if options is None and self.options_for is not None:
            options = self.options_for(request.path)
        scanner = RangeScanner(
            request.path,
            request.start,
            request.stop,
            final=request.final,
            compressed=request.compressed,
            options=options,
        )
        key = id(scanner)
        with self._lock:
            if self._cancelled.is_set():
                return None
            self._running[key] = scanner
        try:
            result = scanner.run()
        except Exception as exc:  # a bug, not a bad file: still never sink the other files
            log.exception("scanning %s failed", request.path)
            result = ScanResult(request.path, request.start, request.start)
            result.error = f"internal error: {type(exc).__name__}: {exc}"
        except BaseException:
            self.stopped.append(scanner.result)
            raise
        finally:
            with self._lock:
                self._running.pop(key, None)
        if result.interrupted:
            self.stopped.append(result)
            return None
        return result


def scan_files(
    requests: Iterable[ScanRequest | str],
    workers: int | None = None,
    options_for: OptionsFor | None = None,
) -> BatchScan:
    """Scan each request (or path) on `workers` threads; yields results as files complete.

    `options_for(path)` gives per-file options (a directory's level pattern) for requests that
    carry none. Never raises for a bad file: its result has an `error`.
    """
    return BatchScan(requests, workers, options_for)


def expand_paths(paths: Iterable[str | os.PathLike[str]]) -> list[ScanRequest]:
    """Directories become their `*.log` files (not recursive, like discovery); files stay.

    Largest first, so the last file to finish is a small one. A path that does not exist stays
    in the list and gets its error from the scan.
    """
    found: list[tuple[int, str]] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for entry in os.scandir(path):
                if entry.name.endswith(".log") and entry.is_file():
                    found.append((entry.stat().st_size, entry.path))
        else:
            try:
                size = path.stat().st_size
            except OSError:
                size = 0
            found.append((size, str(path)))
    found.sort(key=lambda item: (-item[0], item[1]))
    return [ScanRequest(p, compressed=p.endswith(".gz")) for _, p in found]


def scan_paths(
    paths: Iterable[str | os.PathLike[str]],
    workers: int | None = None,
    options_for: OptionsFor | None = None,
) -> BatchScan:
    """`scan_files` over files and directories (each directory's `*.log` files)."""
    return scan_files(expand_paths(paths), workers, options_for)
