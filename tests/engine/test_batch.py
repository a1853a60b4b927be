"""scan_files / scan_paths: every request gets one result, as soon as its file completes; bad files
and cancellation never lose the other files' counts."""

from __future__ import annotations

import os
import threading

import pytest

from logingest_dagster.engine.scan import RangeScanner, ScanOptions, scan_range
from logingest_dagster.engine.scan.batch import ScanRequest, expand_paths, scan_files, scan_paths

LINE = "2026-11-26 12:00:00,000 {level} [main] c.f.App - message {i}\n"


def write_log(path, n: int, levels=("INFO", "WARN", "ERROR")) -> str:
    path.write_text("".join(LINE.format(level=levels[i % len(levels)], i=i) for i in range(n)))
    return str(path)


@pytest.mark.parametrize("workers", [1, 2, 4])
def test_each_request_gets_its_scan_range_result(tmp_path, workers):
    paths = [write_log(tmp_path / f"f{i}.log", 50 * (i + 1)) for i in range(7)]
    requests = [ScanRequest(p) for p in paths]
    requests.append(ScanRequest(paths[0], start=100, stop=1000, final=False))
    results = list(scan_files(requests, workers=workers))
    assert len(results) == len(requests)
    got = sorted((r.path, r.start, r.end, tuple(r.counts.items())) for r in results)
    want = sorted(
        (r.path, r.start, r.end, tuple(r.counts.items()))
        for r in (
            scan_range(q.path, q.start, q.stop, final=q.final, compressed=q.compressed)
            for q in requests
        )
    )
    assert got == want


def test_results_come_as_each_file_completes(tmp_path):
    slow = write_log(tmp_path / "slow.log", 10)
    fast = write_log(tmp_path / "fast.log", 10)
    release = threading.Event()

    def options_for(path: str) -> ScanOptions | None:
        if path == slow:
            assert release.wait(10)  # held until the fast file's result has been seen
        return None

    batch = scan_files([slow, fast], workers=2, options_for=options_for)
    first = next(batch)
    assert first.path == fast
    release.set()
    assert [r.path for r in batch] == [slow]


def test_requests_are_pulled_lazily(tmp_path):
    path = write_log(tmp_path / "x.log", 5)
    pulled = 0

    def requests():
        nonlocal pulled
        for _ in range(1000):
            pulled += 1
            yield ScanRequest(path)

    batch = scan_files(requests(), workers=2)
    next(batch)
    assert pulled <= 2 * 2 + 1
    batch.close()


def test_options_for_applies_to_requests_without_options(tmp_path):
    path = tmp_path / "custom.log"
    path.write_text("a|WARN|x\nb|ERROR|y\n")
    pattern = ScanOptions(level_pattern=r"\w+\|(?P<level>\w+)\|")
    [result] = list(scan_files([str(path)], workers=1, options_for=lambda p: pattern))
    assert (result.format, result.counts["WARN"], result.counts["ERROR"]) == ("custom", 1, 1)
    [plain] = list(scan_files([ScanRequest(str(path), options=ScanOptions())], workers=1))
    assert plain.format != "custom"


def _big_slow_request(tmp_path) -> ScanRequest:
    # Many tiny chunks: the scan takes long enough to be stopped in the middle.
    path = write_log(tmp_path / "big.log", 20_000)
    return ScanRequest(path, options=ScanOptions(chunk_size=256))


def test_cancel_stops_running_scans_and_keeps_their_partial_counts(tmp_path, monkeypatch):
    small = write_log(tmp_path / "small.log", 10)
    big = _big_slow_request(tmp_path)
    counting = threading.Event()
    publish = RangeScanner._publish

    def publish_and_signal(self):
        publish(self)
        if self.path == big.path and self.result.lines:
            counting.set()  # the big file's scan is under way

    monkeypatch.setattr(RangeScanner, "_publish", publish_and_signal)
    batch = scan_files([big, small], workers=2)
    assert next(batch).path == small
    assert counting.wait(10)
    batch.cancel()
    assert list(batch) == []
    [partial] = batch.stopped
    assert partial.path == big.path and partial.interrupted
    assert 0 < partial.end < os.path.getsize(big.path)
    assert partial.records > 0


def test_interrupt_in_the_consumer_stops_the_batch(tmp_path):
    small = write_log(tmp_path / "small.log", 10)
    big = _big_slow_request(tmp_path)
    with pytest.raises(KeyboardInterrupt), scan_files([big, small], workers=2) as batch:
        for _ in batch:
            raise KeyboardInterrupt
    assert all(r.path == big.path for r in batch.stopped)
    assert all(r.interrupted or r.end == os.path.getsize(big.path) for r in batch.stopped)


def test_scan_paths_expands_directories_to_their_log_files(tmp_path):
    write_log(tmp_path / "a.log", 100)
    write_log(tmp_path / "b.log", 10)
    (tmp_path / "notes.txt").write_text("INFO not a log\n")
    (tmp_path / "sub").mkdir()
    write_log(tmp_path / "sub" / "deeper.log", 10)
    single = write_log(tmp_path / "sub" / "explicit.txt", 3)
    requests = expand_paths([tmp_path, single])
    names = [os.path.basename(r.path) for r in requests]
    assert names == ["a.log", "b.log", "explicit.txt"]  # largest first, not recursive
    results = list(scan_paths([tmp_path, single], workers=2))
    assert sum(r.records for r in results) == 113


def test_scan_paths_marks_gzip_files_compressed(tmp_path):
    import gzip

    path = tmp_path / "old.log.gz"
    path.write_bytes(gzip.compress(b"2026-11-26 12:00:00 ERROR x\n" * 4))
    [result] = list(scan_paths([path], workers=1))
    assert result.counts["ERROR"] == 4


# -- one large range scanned as pieces on several threads ---------------------------------------

TRACE = (
    "2026-11-26 12:00:00,000 ERROR [main] c.f.App - failed {i}\n"
    "java.lang.IllegalStateException: pool shut down\n"
    "\tat com.acme.Pool.get(Pool.java:12)\n"
    "Caused by: org.postgresql.util.PSQLException: ERROR: duplicate key\n"
    "Traceback (most recent call last):\n"
    '  File "/app/main.py", line 3, in <module>\n'
    "KeyError: 'level'\n"
    "goroutine 1 [running]:\n"
    "main.main()\n"
)


def write_traces(path, n: int, crlf: bool = False, tail: str = "") -> str:
    text = "".join(
        (TRACE if i % 3 == 0 else LINE).format(level=("INFO", "WARN", "DEBUG")[i % 3], i=i)
        for i in range(n)
    )
    text += tail
    path.write_bytes((text.replace("\n", "\r\n") if crlf else text).encode())
    return str(path)


def key(r) -> tuple:
    return (r.path, r.start, r.end, r.lines, tuple(r.counts.items()), r.format, r.error)


@pytest.mark.parametrize("workers", [2, 3])
@pytest.mark.parametrize("crlf", [False, True], ids=["lf", "crlf"])
def test_split_requests_give_the_whole_range_result(tmp_path, workers, crlf):
    tail = "2026-11-26 12:00:01,000 ERROR [main] c.f.App - unfinished"
    path = write_traces(tmp_path / "big.log", 3000, crlf, tail)
    size = os.path.getsize(path)
    requests = [
        ScanRequest(path),
        ScanRequest(path, final=False),
        ScanRequest(path, start=777, stop=size - 333, final=False),
        ScanRequest(path, start=777, stop=size - 333),
        ScanRequest(write_log(tmp_path / "small.log", 20)),
    ]
    want = sorted(
        key(scan_range(q.path, q.start, q.stop, final=q.final, compressed=q.compressed))
        for q in requests
    )
    for piece in (997, 4096, 50_000):
        batch = scan_files(requests, workers=workers, split_bytes=10_000, split_piece=piece)
        assert sorted(key(r) for r in batch) == want
        assert batch.stopped == []


def test_split_request_with_options_for(tmp_path):
    path = tmp_path / "custom.log"
    path.write_text("".join(f"a|{('WARN', 'ERROR')[i % 2]}|x {i}\n" for i in range(5000)))
    pattern = ScanOptions(level_pattern=r"\w+\|(?P<level>\w+)\|")
    [result] = scan_files(
        [str(path)], workers=2, options_for=lambda p: pattern, split_bytes=1000, split_piece=500
    )
    assert (result.format, result.counts["WARN"], result.counts["ERROR"]) == ("custom", 2500, 2500)
    assert result.end == os.path.getsize(path)


def test_a_file_that_cannot_be_split_is_scanned_whole(tmp_path):
    binary = tmp_path / "bin.log"
    binary.write_bytes(b"\x7fELF" + b"\x00" * 50_000)  # a leading NUL run alone is a hole
    [result] = scan_files([str(binary)], workers=2, split_bytes=1000, split_piece=500)
    assert result.error and "binary" in result.error and result.end == 0


def test_cancel_keeps_one_contiguous_partial_result_for_a_split_request(tmp_path, monkeypatch):
    path = write_traces(tmp_path / "big.log", 20_000)
    counting = threading.Event()
    publish = RangeScanner._publish

    def publish_and_signal(self):
        publish(self)
        # The first piece's: a later piece may count first, and the partial result is what the
        # pieces from the start hold, so cancelling before the first counted would keep none.
        if self.result.start == 0 and self.result.lines:
            counting.set()

    monkeypatch.setattr(RangeScanner, "_publish", publish_and_signal)
    request = ScanRequest(path, options=ScanOptions(chunk_size=256))
    batch = scan_files([request], workers=2, split_bytes=10_000, split_piece=100_000)
    yielded: list = []
    consumer = threading.Thread(target=lambda: yielded.extend(batch))
    consumer.start()
    assert counting.wait(10)
    batch.cancel()
    consumer.join(10)
    assert yielded == []
    [partial] = batch.stopped
    assert partial.path == path and partial.start == 0 and partial.interrupted
    assert 0 < partial.end < os.path.getsize(path)
    # The counts are exactly those of [0, end): the rest of the file completes them.
    rest = scan_range(path, partial.end)
    whole = scan_range(path)
    assert partial.lines + rest.lines == whole.lines
