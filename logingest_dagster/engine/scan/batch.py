"""Scanning many files at once with every core busy, yielding each result as its file completes.

Threads, not processes: the scan spends its time in pyarrow compute (RE2), numpy and `readinto`,
all of which release the GIL, so two threads keep two cores busy with no start-up cost, no
pickling and shared compiled state: they scale about as well as a process pool and finish
small batches far sooner (benchmarks/README.md).

Used by `logingest scan` and by the Dagster ingestion step of a packed group of files.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

from logingest_dagster.engine.scan.formats import LogFormat, format_from_key
from logingest_dagster.engine.scan.range_scanner import RangeScanner, ScanOptions, ScanResult
from logingest_dagster.engine.scan.result import encoding_from_key
from logingest_dagster.engine.scan.split import Piece, merge_results, split_range

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
    # The file's format as stored from an earlier read (`ScanResult.format_key`): the scan then
    # neither reads the file's head nor detects, unless a level pattern overrides formats.
    format_key: str | None = None


# A range this large is cut into pieces scanned on several threads at once, so that one big file
# keeps every core busy; each piece is at least SPLIT_PIECE bytes, and there are at most
# SPLIT_PER_WORKER pieces per worker (more pieces than workers even out uneven pieces).
SPLIT_BYTES = 16 << 20
SPLIT_PIECE = 8 << 20
SPLIT_PER_WORKER = 4


@dataclass
class _Group:
    """A request and the pieces it is scanned as (one, unless it was split)."""

    request: ScanRequest
    pieces: list[Piece]
    # Set for a split request (planning needs them); otherwise resolved by the thread scanning.
    options: ScanOptions | None = None
    fmt: LogFormat | None = None
    results: list[ScanResult | None] = field(init=False)  # each piece's, once it has run

    def __post_init__(self) -> None:
        self.results = [None] * len(self.pieces)

    @property
    def left(self) -> int:
        """Pieces not finished yet."""
        return self.results.count(None)

    def merged(self) -> ScanResult:
        if len(self.pieces) == 1 and self.results[0] is not None:
            return self.results[0]
        max_events = self.options.max_events if self.options is not None else 0
        return merge_results(
            self.request.path, self.request.start, self.pieces, self.results, max_events
        )


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
        split_bytes: int = SPLIT_BYTES,
        split_piece: int = SPLIT_PIECE,
    ) -> None:
        self.workers = max(1, workers or default_workers())
        self.options_for = options_for
        self.split_bytes, self.split_piece = split_bytes, max(1, split_piece)
        self.stopped: list[ScanResult] = []
        self._groups: list[_Group] = []  # split requests not yet complete
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

    def _group(self, request: ScanRequest) -> _Group:
        """The request as pieces: several for a large uncompressed range when there are threads
        to scan them on, else one."""
        whole = _Group(request, [Piece(request.start, request.stop, None)])
        if self.workers == 1 or request.compressed or encoding_from_key(request.format_key):
            return whole  # a UTF-16 file (its stored key says so) is framed on code units
        if request.stop is not None and request.stop - request.start < self.split_bytes:
            return whole
        try:
            size = os.stat(request.path).st_size
        except OSError:
            return whole
        end = size if request.stop is None else min(size, request.stop)
        length = end - request.start
        if length < self.split_bytes:
            return whole
        options = self._options(request)
        count = min(length // self.split_piece, SPLIT_PER_WORKER * self.workers)
        split = split_range(
            request.path,
            request.start,
            request.stop,
            count,
            options,
            _known_format(request, options),
        )
        if split is None:
            return whole
        fmt, pieces = split
        group = _Group(request, pieces, options, fmt)
        self._groups.append(group)
        return group

    def _options(self, request: ScanRequest) -> ScanOptions | None:
        """A request's own options, else the per-file ones (a directory's level pattern)."""
        if request.options is None and self.options_for is not None:
            return self.options_for(request.path)
        return request.options

    def _run(self) -> Iterator[ScanResult]:
        if self.workers == 1:
            yield from self._run_inline()
            return
        pool = ThreadPoolExecutor(self.workers, thread_name_prefix="logingest-scan")
        pending: set[Future[ScanResult | None]] = set()
        queue: deque[tuple[_Group, int]] = deque()
        try:
            while True:
                while len(pending) < 2 * self.workers:
                    if not queue:
                        request = self._next_request()
                        if request is None:
                            break
                        group = self._group(request)
                        queue.extend((group, i) for i in range(len(group.pieces)))
                    pending.add(pool.submit(self._scan, *queue.popleft()))
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
            # Split requests stopped part-way: what their finished pieces counted, contiguously.
            for group in self._groups:
                if group.left and any(r is not None for r in group.results):
                    self.stopped.append(group.merged())
            self._groups.clear()

    def _run_inline(self) -> Iterator[ScanResult]:
        while (request := self._next_request()) is not None:
            result = self._scan(self._group(request), 0)
            if result is not None:
                yield result

    def _scan(self, group: _Group, index: int) -> ScanResult | None:
        """Scan one piece; returns the request's result once its last piece is done, else None
        (and None for an interrupted request, whose partial result goes to `stopped`)."""
        request, piece = group.request, group.pieces[index]
        last = index == len(group.pieces) - 1
        encoding = None
        if group.fmt is None:  # a whole request, resolved here on the scanning thread
            options = self._options(request)
            fmt = _known_format(request, options)
            if fmt is not None:
                encoding = encoding_from_key(request.format_key)
        else:
            options, fmt = group.options, group.fmt
        scanner = RangeScanner(
            request.path,
            piece.start,
            piece.stop,
            final=request.final if last else True,
            compressed=request.compressed,
            options=options,
            fmt=fmt,
            before=piece.before,
            encoding=encoding,
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
            result = ScanResult(request.path, piece.start, piece.start)
            result.error = f"internal error: {type(exc).__name__}: {exc}"
        except BaseException:
            if self._finish(group, index, scanner.result):
                self.stopped.append(group.merged())
            raise
        finally:
            with self._lock:
                self._running.pop(key, None)
        if not self._finish(group, index, result):
            return None  # other pieces still running
        merged = group.merged()
        if merged.interrupted:
            self.stopped.append(merged)
            return None
        return merged

    def _finish(self, group: _Group, index: int, result: ScanResult) -> bool:
        """Record a piece's result; True when it was the group's last."""
        with self._lock:
            group.results[index] = result
            if group.left:
                return False
            if len(group.pieces) > 1:
                self._groups.remove(group)
            return True


def _known_format(request: ScanRequest, options: ScanOptions | None) -> LogFormat | None:
    """The request's stored format, unless a level pattern overrides formats (then: detect)."""
    if options and options.level_pattern:
        return None
    return format_from_key(request.format_key)


def scan_files(
    requests: Iterable[ScanRequest | str],
    workers: int | None = None,
    options_for: OptionsFor | None = None,
    **split: int,
) -> BatchScan:
    """Scan each request (or path) on `workers` threads; yields results as files complete.

    `options_for(path)` gives per-file options (a directory's level pattern) for requests that
    carry none. Never raises for a bad file: its result has an `error`.
    """
    return BatchScan(requests, workers, options_for, **split)


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
