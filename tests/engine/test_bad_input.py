"""Bad input never raises and never sinks other files: each case gets a clear `error`, or is
counted normally when it is only unusual (invalid UTF-8, an empty file, an enormous line)."""

from __future__ import annotations

import gzip
import os
import tracemalloc

import pytest

from logingest_dagster.engine.scan import ScanRequest, scan_files
from logingest_dagster.engine.scan.range_scanner import (
    LONG_LINE_PREFIX,
    MAX_LINE_BYTES,
    scan_range,
)
from logingest_dagster.engine.scan.result import DEFAULT_CHUNK_SIZE

GOOD = "2026-11-26 12:00:00,000 INFO [main] a - fine\n2026-11-26 12:00:01,000 WARN [main] a - hm\n"


def nonzero(counts: dict[str, int]) -> dict[str, int]:
    return {level: n for level, n in counts.items() if n}


def assert_skipped(result, *words: str) -> None:
    assert result.error, result
    for word in words:
        assert word.lower() in result.error.lower(), result.error
    assert result.records == 0 and result.lines == 0
    assert result.end == result.start  # nothing consumed: a later run may retry


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file(tmp_path):
    path = tmp_path / "secret.log"
    path.write_text(GOOD)
    path.chmod(0)
    assert_skipped(scan_range(str(path)), "permission")


def test_directory_named_like_a_log(tmp_path):
    (tmp_path / "x.log").mkdir()
    assert_skipped(scan_range(str(tmp_path / "x.log")), "directory")


def test_file_deleted_between_discovery_and_scan(tmp_path):
    path = tmp_path / "gone.log"
    path.write_text(GOOD)
    request = ScanRequest(str(path), 0, path.stat().st_size)
    path.unlink()
    [result] = list(scan_files([request], workers=1))
    assert_skipped(result, "no such file")


def test_binary_file(tmp_path):
    path = tmp_path / "core.log"
    path.write_bytes(b"\x7fELF\x02\x01\x01\x00" + os.urandom(4096))
    assert_skipped(scan_range(str(path)), "binary")


def test_invalid_utf8_is_counted_normally(tmp_path):
    path = tmp_path / "latin1.log"
    path.write_bytes(
        b"2026-11-26 12:00:00,000 INFO [main] a - caf\xe9 cr\xe8me\n"
        b"2026-11-26 12:00:01,000 ERROR [main] a - \xff\xfe\xc3\x28 broken\n"
        b"\xc3\x28 a line of garbage \xff\n"
    )
    result = scan_range(str(path))
    assert result.error is None
    assert nonzero(result.counts) == {"INFO": 1, "ERROR": 1, "UNKNOWN": 1}


def test_empty_file_is_not_an_error(tmp_path):
    path = tmp_path / "empty.log"
    path.write_bytes(b"")
    result = scan_range(str(path))
    assert (result.error, result.lines, result.records, result.end) == (None, 0, 0, 0)


def test_range_past_the_end_of_a_shrunk_file(tmp_path):
    path = tmp_path / "shrunk.log"
    path.write_text(GOOD)
    result = scan_range(str(path), start=10_000)
    assert (result.error, result.records, result.end) == (None, 0, 10_000)


def _write_long_line(path, size: int, before: bytes = b"", after: bytes = b"") -> None:
    with open(path, "wb") as f:
        f.write(before)
        f.write(b"2026-11-26 12:00:00,000 ERROR [main] a - ")
        block = b"x" * (1 << 20)
        for _ in range(size >> 20):
            f.write(block)
        f.write(after)


def test_50mb_line_without_newline_in_bounded_memory(tmp_path):
    path = tmp_path / "huge.log"
    _write_long_line(path, 50 << 20)
    tracemalloc.start()
    try:
        result = scan_range(str(path))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 << 20, peak  # the reader's buffer and a capped prefix, not the line
    assert result.error is None
    assert nonzero(result.counts) == {"ERROR": 1}  # one record, classified by its prefix
    assert (result.lines, result.long_lines, result.end) == (1, 1, path.stat().st_size)


def test_long_line_between_normal_lines(tmp_path):
    path = tmp_path / "mixed.log"
    before = b"2026-11-26 12:00:00,000 INFO [main] a - before\n"
    after = b"\n2026-11-26 12:00:01,000 WARN [main] a - after\n"
    _write_long_line(path, DEFAULT_CHUNK_SIZE + 2 * MAX_LINE_BYTES, before, after)
    result = scan_range(str(path))
    assert nonzero(result.counts) == {"INFO": 1, "ERROR": 1, "WARN": 1}
    assert (result.lines, result.long_lines, result.end) == (3, 1, path.stat().st_size)


def test_long_unfinished_line_is_left_for_the_next_run(tmp_path):
    path = tmp_path / "growing.log"
    before = b"2026-11-26 12:00:00,000 INFO [main] a - before\n"
    _write_long_line(path, DEFAULT_CHUNK_SIZE + 2 * MAX_LINE_BYTES, before)
    result = scan_range(str(path), final=False)
    assert nonzero(result.counts) == {"INFO": 1}
    assert result.end == len(before)  # the writer may still be writing it


def test_long_line_prefix_is_capped(tmp_path):
    assert LONG_LINE_PREFIX < MAX_LINE_BYTES


def test_corrupt_gzip(tmp_path):
    path = tmp_path / "rotated.log.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00" + b"\x00" * 6 + os.urandom(2000))
    assert_skipped(scan_range(str(path), compressed=True), "gzip")


def test_truncated_gzip(tmp_path):
    path = tmp_path / "cut.log.gz"
    whole = gzip.compress(GOOD.encode() * 2000)
    path.write_bytes(whole[: len(whole) // 2])
    assert_skipped(scan_range(str(path), compressed=True), "gzip")


def test_plain_file_read_as_gzip(tmp_path):
    path = tmp_path / "not-really.log.gz"
    path.write_text(GOOD)
    assert_skipped(scan_range(str(path), compressed=True), "gzip")


def test_valid_gzip_is_counted(tmp_path):
    path = tmp_path / "ok.log.gz"
    path.write_bytes(gzip.compress(GOOD.encode() * 3))
    result = scan_range(str(path), compressed=True)
    assert nonzero(result.counts) == {"INFO": 3, "WARN": 3}


def test_fifo_does_not_block(tmp_path):
    path = tmp_path / "pipe.log"
    os.mkfifo(path)
    assert_skipped(scan_range(str(path)), "not a regular file")


def test_symlink_loop(tmp_path):
    (tmp_path / "a.log").symlink_to(tmp_path / "b.log")
    (tmp_path / "b.log").symlink_to(tmp_path / "a.log")
    assert_skipped(scan_range(str(tmp_path / "a.log")), "symbolic links")


def test_bad_level_pattern_is_an_error(tmp_path):
    from logingest_dagster.engine.scan import ScanOptions

    path = tmp_path / "x.log"
    path.write_text(GOOD)
    result = scan_range(str(path), options=ScanOptions(level_pattern=r"(?P<level>[a-z"))
    assert_skipped(result, "level pattern")


@pytest.mark.parametrize("workers", [1, 2])
def test_bad_files_do_not_sink_the_batch(tmp_path, workers):
    good = tmp_path / "good.log"
    good.write_text(GOOD)
    (tmp_path / "dir.log").mkdir()
    (tmp_path / "bin.log").write_bytes(b"\x00\x01\x02" * 100)
    (tmp_path / "empty.log").write_bytes(b"")
    (tmp_path / "loop.log").symlink_to(tmp_path / "loop.log")
    bad_gz = tmp_path / "bad.log.gz"
    bad_gz.write_bytes(b"not gzip at all")
    paths = ["good.log", "dir.log", "bin.log", "empty.log", "loop.log", "missing.log"]
    requests = [str(tmp_path / name) for name in paths] + [str(bad_gz)]
    results = {os.path.basename(r.path): r for r in scan_files(requests, workers=workers)}
    assert set(results) == {*paths, "bad.log.gz"}
    assert nonzero(results["good.log"].counts) == {"INFO": 1, "WARN": 1}
    assert results["empty.log"].error is None
    for name in ("dir.log", "bin.log", "loop.log", "missing.log", "bad.log.gz"):
        assert results[name].error, name


def test_a_leading_run_of_nul_bytes_is_a_hole_not_a_binary_file(tmp_path):
    path = tmp_path / "holed.log"
    path.write_bytes(b"\0" * 100_000 + GOOD.encode())
    result = scan_range(str(path))
    assert not result.error
    assert nonzero(result.counts) == {"INFO": 1, "WARN": 1}
    assert result.end == path.stat().st_size


def test_nul_bytes_after_the_hole_still_make_a_binary_file(tmp_path):
    path = tmp_path / "core.log"
    path.write_bytes(b"\0" * 10 + b"\x7fELF\x02\x01\x01\x00" + os.urandom(4096))
    assert_skipped(scan_range(str(path)), "binary")
