"""Multi-line records: a record is a line plus its continuation lines, counted once.

The counts must not depend on where the reader cuts the file into chunks, so every sample is also
scanned with chunk sizes from one byte up.
"""

from __future__ import annotations

import pytest

from logingest_dagster.engine.scan.range_scanner import (
    ScanOptions,
    scan_line_levels,
    scan_range,
)
from logingest_dagster.engine.scan.result import DEFAULT_CHUNK_SIZE

CHUNK_SIZES = (1, 7, 64, 4096, DEFAULT_CHUNK_SIZE)


def scan_text(tmp_path, text: str | bytes, chunk_size: int = DEFAULT_CHUNK_SIZE, **options):
    path = tmp_path / "records.log"
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return scan_range(str(path), options=ScanOptions(chunk_size=chunk_size, **options))


def nonzero(counts: dict[str, int]) -> dict[str, int]:
    return {level: n for level, n in counts.items() if n}


JAVA = """\
2026-11-26 12:00:00,001 INFO  [main] c.f.App - starting
2026-11-26 12:00:00,002 ERROR [main] c.f.App - request failed
java.lang.IllegalStateException: Connection pool shut down
\tat com.acme.Pool.get(Pool.java:12)
\tat com.acme.Service.call(Service.java:40)
\tSuppressed: java.io.IOException: close failed
\t\tat com.acme.Pool.close(Pool.java:80)
Caused by: org.postgresql.util.PSQLException: ERROR: duplicate key value violates unique constraint
\tat org.postgresql.core.v3.QueryExecutorImpl.receiveErrorResponse(QueryExecutorImpl.java:2675)
\t... 12 more
Caused by: java.net.SocketTimeoutException: Read timed out
\tat java.net.SocketInputStream.read(SocketInputStream.java:150)
\t... 3 common frames omitted
2026-11-26 12:00:00,003 WARN  [main] c.f.App - retrying
Exception in thread "main" java.lang.RuntimeException: boom
\tat com.acme.Main.main(Main.java:5)
2026-11-26 12:00:00,004 INFO  [main] c.f.App - recovered from the error
"""
JAVA_COUNTS = {"INFO": 2, "WARN": 1, "ERROR": 1}

PYTHON = """\
2026-11-26 12:00:00,001 - app - INFO - starting
2026-11-26 12:00:00,002 - app - ERROR - unhandled
Traceback (most recent call last):
  File "/app/main.py", line 3, in <module>
    main()
  File "/app/main.py", line 2, in main
    raise KeyError("level")
KeyError: 'level'

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File "/app/main.py", line 5, in <module>
    raise ValueError("bad")
ValueError: bad value: INFO is not a level here
2026-11-26 12:00:00,003 - app - WARNING - disk
2026-11-26 12:00:00,004 - app - CRITICAL - crashed
Traceback (most recent call last):
  File "/app/main.py", line 9, in <module>
    loop()
KeyboardInterrupt
2026-11-26 12:00:00,005 - app - INFO - done
"""
PYTHON_COUNTS = {"INFO": 2, "WARN": 1, "ERROR": 1, "FATAL": 1}

GO_PANIC = """\
time=2026-11-26T12:00:00Z level=info msg=starting
time=2026-11-26T12:00:01Z level=error msg="about to crash"
panic: runtime error: index out of range [5] with length 3

goroutine 1 [running]:
main.handler(0xc000012345, 0x3)
\t/app/main.go:12 +0x1d
net/http.(*conn).serve(0xc0000a8000, {0x6f2a10, 0xc0000b6000})
\t/usr/local/go/src/net/http/server.go:2009 +0x5f4
created by net/http.(*Server).Serve in goroutine 1
\t/usr/local/go/src/net/http/server.go:3086 +0x5cb
exit status 2
time=2026-11-26T12:00:02Z level=info msg=restarted
"""
# `panic:` and `exit status 2` have no level field: UNKNOWN records of their own.
GO_PANIC_COUNTS = {"INFO": 2, "ERROR": 1, "UNKNOWN": 2}

POSTGRES = """\
2026-11-26 12:00:01.123 UTC [1235] ERROR:  duplicate key value violates unique constraint "users_pkey"
2026-11-26 12:00:01.123 UTC [1235] DETAIL:  Key (id)=(1) already exists.
2026-11-26 12:00:01.123 UTC [1235] STATEMENT:  INSERT INTO users
\t  VALUES (1)
2026-11-26 12:00:02.123 UTC [1236] LOG:  checkpoint complete
"""
POSTGRES_COUNTS = {"INFO": 1, "ERROR": 1}

SAMPLES = {
    "java": (JAVA, JAVA_COUNTS),
    "python": (PYTHON, PYTHON_COUNTS),
    "go_panic": (GO_PANIC, GO_PANIC_COUNTS),
    "postgres": (POSTGRES, POSTGRES_COUNTS),
}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_continuation_lines_belong_to_the_record_above(tmp_path, name):
    text, expected = SAMPLES[name]
    result = scan_text(tmp_path, text)
    assert nonzero(result.counts) == expected, result.format
    assert result.lines == text.count("\n")


@pytest.mark.parametrize("name", sorted(SAMPLES))
@pytest.mark.parametrize("chunk_size", CHUNK_SIZES)
def test_counts_do_not_depend_on_chunk_size(tmp_path, name, chunk_size, token_engine):
    text, expected = SAMPLES[name]
    result = scan_text(tmp_path, text, chunk_size=chunk_size)
    assert nonzero(result.counts) == expected
    assert (result.lines, result.end) == (text.count("\n"), len(text.encode()))


@pytest.mark.parametrize("chunk_size", CHUNK_SIZES)
def test_crlf_endings_at_any_chunk_size(tmp_path, chunk_size):
    # With 7-byte chunks some `\r\n` pairs are split across reads.
    text = JAVA.replace("\n", "\r\n")
    result = scan_text(tmp_path, text, chunk_size=chunk_size)
    assert nonzero(result.counts) == JAVA_COUNTS
    assert result.end == len(text)


def test_crlf_pair_split_across_a_read_boundary(tmp_path):
    line = "2026-11-26 12:00:00,001 WARN [main] c.f.App - x\r\n"
    text = line * 3
    # The first chunk ends between the `\r` and the `\n` of the first line.
    result = scan_text(tmp_path, text, chunk_size=len(line) - 1)
    assert nonzero(result.counts) == {"WARN": 3}
    assert result.end == len(text)


def test_continuation_line_split_across_a_chunk_boundary(tmp_path):
    head = "2026-11-26 12:00:00,002 ERROR [main] c.f.App - failed\n"
    text = head + "java.lang.IllegalStateException: boom\n\tat com.acme.Pool.get(Pool.java:12)\n"
    for cut in range(len(head) - 3, len(text)):
        result = scan_text(tmp_path, text, chunk_size=cut)
        assert nonzero(result.counts) == {"ERROR": 1}, cut


def test_traceback_final_line_in_the_next_chunk(tmp_path):
    # The exception line is classified by the line before it, which ends the previous chunk.
    frames = '2026-11-26 12:00:00,001 - app - ERROR - x\nTraceback (most recent call last):\n  File "a.py", line 1\n'
    text = frames + "ValueError: bad\n"
    result = scan_text(tmp_path, text, chunk_size=len(frames))
    assert nonzero(result.counts) == {"ERROR": 1}


def test_multiline_start_pattern_overrides_the_heuristic(tmp_path):
    # Unindented continuation lines the heuristic cannot know: the user says where records start.
    text = """\
2026-11-26 12:00:00 INFO query plan:
SELECT * FROM t
WHERE x = 'ERROR'
2026-11-26 12:00:01 WARN slow
2026-11-26 12:00:02 ERROR failed
  detail line
"""
    plain = scan_text(tmp_path, text)
    assert nonzero(plain.counts) == {"INFO": 1, "WARN": 1, "ERROR": 1, "UNKNOWN": 2}
    for chunk_size in CHUNK_SIZES:
        result = scan_text(
            tmp_path, text, chunk_size=chunk_size, multiline_start_pattern=r"^\d{4}-\d\d-\d\d "
        )
        assert nonzero(result.counts) == {"INFO": 1, "WARN": 1, "ERROR": 1}
        assert result.lines == 6


def test_multiline_start_without_a_level_is_unknown(tmp_path):
    text = "== job 1 ==\nERROR something\n== job 2 ==\nfine\n"
    result = scan_text(tmp_path, text, multiline_start_pattern=r"^== ")
    assert nonzero(result.counts) == {"UNKNOWN": 2}


def test_blank_lines_are_lines_but_not_records(tmp_path):
    text = "2026-11-26 12:00:00 INFO a\n\n   \n\r\n2026-11-26 12:00:01 WARN b\n"
    result = scan_text(tmp_path, text)
    assert nonzero(result.counts) == {"INFO": 1, "WARN": 1}
    assert result.lines == 5


def test_traceback_in_a_file_without_levels(tmp_path):
    text = """\
starting worker
Traceback (most recent call last):
  File "w.py", line 1, in <module>
ZeroDivisionError: division by zero
worker exited
"""
    result = scan_text(tmp_path, text)
    assert result.format == "plain"
    assert nonzero(result.counts) == {"UNKNOWN": 2}


def test_line_levels_mark_continuations(tmp_path):
    path = tmp_path / "x.log"
    path.write_text(JAVA)
    levels = scan_line_levels(str(path))
    assert len(levels) == JAVA.count("\n")
    assert levels[:3] == ["INFO", "ERROR", None]
    assert levels[-1] == "INFO"
    assert sum(level is not None for level in levels) == sum(JAVA_COUNTS.values())


def test_a_range_starting_inside_a_stack_trace(tmp_path):
    # An incremental read that starts at the trace's frames adds no record for them.
    path = tmp_path / "x.log"
    path.write_text(JAVA)
    offset = JAVA.index("\tat com.acme.Pool.get")
    first = scan_range(str(path), 0, offset)
    rest = scan_range(str(path), first.end)
    assert first.end == offset
    total = {k: first.counts[k] + rest.counts[k] for k in first.counts}
    assert nonzero(total) == JAVA_COUNTS


def _with_a_new_word_in_the_level_column(path, lines: int) -> None:
    """3 lines in 5 have a level in the third field; the others a word seen only once there."""
    with open(path, "wb") as f:
        for i in range(lines):
            if i % 5 < 3:
                f.write(b"2026-11-26 12:00:00 INFO started job\n")
            else:
                f.write(b"2026-11-26 12:00:00 u%07d logged in\n" % i)


@pytest.mark.slow
def test_memory_stays_bounded_when_every_line_puts_a_new_word_in_the_level_column(tmp_path):
    # The counter remembers each token's code; unbounded, that memo grew with the file (50 MB
    # after 400,000 such lines). Three times the lines must not take much more memory.
    import tracemalloc

    peaks = []
    for lines in (300_000, 900_000):
        path = tmp_path / f"{lines}.log"
        _with_a_new_word_in_the_level_column(path, lines)
        tracemalloc.start()
        try:
            result = scan_range(str(path))
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
        assert result.format == "bracket_column2"
        assert (result.counts["INFO"], result.counts["UNKNOWN"]) == (lines * 3 // 5, lines * 2 // 5)
    assert peaks[1] < 1.3 * peaks[0], peaks
