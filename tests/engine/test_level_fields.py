"""The compiled level finders give exactly the tokens the formats' RE2 patterns extract."""

from __future__ import annotations

import os
import random
import shutil

import numpy as np
import pyarrow as pa
import pytest

from logingest_dagster.engine.scan import level_fields, scan_range
from logingest_dagster.engine.scan.formats import COLUMNS, extract_tokens, format_named, match_regex
from logingest_dagster.engine.scan.lines import newline_positions
from logingest_dagster.engine.scan.records import bools

needs_library = pytest.mark.skipif(
    not level_fields.is_available(), reason="level_fields is not built (make setup builds it)"
)

# Pieces chosen to hit every branch of the column pattern: brackets open and closed with spaces
# inside, openers and closers around tokens, `module:level` tokens, bytes that are white space to
# RE2 (`\f`, `\r`) or not (`\v`), non-ASCII bytes, and level words.
COLUMN_PIECES = [
    b"2026-11-26", b"12:00:00,001", b"INFO", b"warn", b"[error]", b"[core:crit]", b"x.ERROR:",
    b"LOG:", b"DETAIL:", b"[main]", b"[RMI", b"TCP", b"Conn(2)]", b"[unclosed", b"msg", b"|",
    b"[", b"]", b"INFO]", b"(DEBUG)", b"<notice>", b"Info,", b"INFO:root:x", b"-", b"1234",
    b"a]b", b"[a][b", b"c]", b"FAILURE", b"e.g.", b"\tWARN", b"WARN\x0b", b"\x0cERR", b"\r",
    b"caf\xc3\xa9", b"\xe9t\xe9", b"_x", b":", b"a=b", b"(x", b"<", b">,", b"WARN,)>",
    # Fields walked eight bytes at a time: long ones, with bytes at or below ' ' that are no
    # white space to RE2 (NUL, \x1f, \v) and bytes above 0x7f at every position of a word.
    b"com.example.service.Handler", b"abcdefg\x00hij", b"0123456\x1f789abcdef", b"\xa0\xff\x80x",
    b"abcdefghijklmno\x0bpq", b"1234567", b"12345678", b"123456789",
]  # fmt: skip
SEPARATORS = [b" ", b"  ", b"\t", b" \t ", b"\f", b"\x0b"]

# JSON: every level key in several cases (and journald's case-sensitive PRIORITY), keys that
# only look like one, values quoted or not, numbers, escaped quotes hiding a key inside a string,
# nesting, white space around the colon, and lines that are not JSON objects.
JSON_KEYS = [
    b"level", b"LEVEL", b"Severity", b"lvl", b"loglevel", b"log.level", b"log_level", b"Log.Level",
    b"levelname", b"level_name", b"levelName", b"@l", b"@level", b"severity_text", b"SeverityText",
    b"PRIORITY", b"priority", b"levels", b"xlevel", b"log-level", b"severity_texts", b"@L",
    b"level\\", b"\xc5\xbfeverity",
]  # fmt: skip
JSON_VALUES = [
    b'"info"', b'"ERROR"', b"30", b'"50"', b"warn", b'""', b'"x1"', b"1e3", b"-1", b'"\\"error"',
    b"{}", b'{"level":"fatal"}', b"null", b'" info"', b'"notice"',
]  # fmt: skip
JSON_SPACES = [b"", b" ", b"\t", b"\x0b", b"\f", b"  "]

# logfmt: level keys at the start, after white space or glued to text, quoted strings with and
# without `=` before them, escapes (an escaped quote, a backslash before the newline), bare words.
LOGFMT_PIECES = [
    b"level=info", b"LEVEL=ERROR", b"lvl=warn", b"severity=30", b"log.level=debug",
    b"log_level=fatal", b"loglevel=notice", b'level="error"', b"level=", b'level="', b"level=1x",
    b"xlevel=info", b'msg="level=error"', b'msg="a b"', b'msg="x\\"y"', b'time="12:00"',
    b"msg=hello", b"\\", b"\\ level=warn", b'"', b"=", b"a=b=c", b"word", b'k="\\=x"', b"caller=a.go:1",
    b'err="boom', b"\x0blevel=info", b"level=\x0b",
]  # fmt: skip


def random_column_line(rng: random.Random) -> bytes:
    line = rng.choice(SEPARATORS) if rng.random() < 0.1 else b""  # starting with white space
    for _ in range(rng.randint(0, 12)):
        line += rng.choice(COLUMN_PIECES) + rng.choice(SEPARATORS)
    return line.rstrip() if rng.random() < 0.5 else line


def random_json_line(rng: random.Random) -> bytes:
    items = []
    for _ in range(rng.randint(0, 4)):
        key = rng.choice(JSON_KEYS) if rng.random() < 0.6 else b"msg"
        sp = rng.choice(JSON_SPACES)
        items.append(sp + b'"' + key + b'"' + sp + b":" + rng.choice(JSON_SPACES))
        items[-1] += rng.choice(JSON_VALUES)
    line = rng.choice([b"", b" ", b"\t", b"x", b"["]) + b"{" + b",".join(items) + b"}"
    return line if rng.random() < 0.9 else line[: rng.randint(0, len(line))]


def random_logfmt_line(rng: random.Random) -> bytes:
    pieces = rng.choices(LOGFMT_PIECES, k=rng.randint(0, 8))
    return b"".join(p + rng.choice([b" ", b"", b"\t", b"  "]) for p in pieces)


# Fixed-syntax formats: well-formed lines of each, then bytes replaced, inserted or deleted, so
# that lines that almost fit (a digit short, a space too many, a bracket missing) are common.
FIXED_SAMPLES = {
    "klog": [b"I1126 12:00:00.123456   42 main.go:10] started", b"E0101 00:00:00.1 x",
             b"F1126 12:00:00.123456 x", b"W1126 12:00:00. x"],
    "syslog_pri": [b"<13>Nov 26 12:00:00 host app: x", b"<191>1 2026-11-26T12:00:00Z h a",
                   b"<0>x", b"<1234>x", b"<>x"],
    "logcat_threadtime": [b"11-26 12:00:00.123  1234  5678 E Tag: msg",
                          b"2026-11-26 12:00:00.123 1 2 W tag: msg", b"11-26 12:00:00.1\t1\t2\tA\tx"],
    "ruby_logger": [b"E, [2026-11-26T12:00:00.123 #123]  ERROR -- : boom",
                    b"I, [x] INFO -- app: ok", b"W, [] WARN -- "],
    "python_default": [b"ERROR:root:boom", b"WARNING:my.module<x>-1:msg", b"INFO::x", b"DEBUG:a:b:c"],
}  # fmt: skip
MUTATIONS = b"0123456789 \t-:.,[]<>#EIWFVDAabz_\x0b\x0c"


def random_fixed_line(name: str, rng: random.Random) -> bytes:
    line = bytearray(rng.choice(FIXED_SAMPLES[name]))
    for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):
        at = rng.randrange(len(line) + 1)
        what = rng.random()
        if what < 0.4 and at < len(line):
            line[at] = rng.choice(MUTATIONS)
        elif what < 0.7:
            line.insert(at, rng.choice(MUTATIONS))
        elif at < len(line):
            del line[at]
    return bytes(line)


def random_lines(make, seed: int, count: int) -> list[bytes]:
    rng = random.Random(seed)
    return [make(rng) + rng.choice([b"\n", b"\r\n", b" \n"]) for _ in range(count)]


def compiled(finder, data: bytes) -> tuple[list[bytes | None | int], np.ndarray]:
    """Each line's token (or UNSURE) from the compiled finder, and the line offsets."""
    newlines = newline_positions(data)
    offsets = np.concatenate(([0], newlines + 1)).astype(np.int64)
    if offsets[-1] != len(data):  # a last line with no newline
        offsets = np.append(offsets, len(data))
    found = level_fields.tokens(finder, np.frombuffer(data, np.uint8), offsets)
    assert found is not None
    token_of_line, distinct = found
    out = [
        i if i == level_fields.UNSURE else None if i == level_fields.NO_TOKEN else distinct[i - 1]
        for i in token_of_line.tolist()
    ]
    return out, offsets


def line_array(lines: list[bytes]) -> pa.Array:
    return pa.array(lines, pa.large_binary())


@needs_library
@pytest.mark.parametrize("seed", range(4))
def test_every_column_format_finds_the_tokens_re2_extracts(seed):
    lines = random_lines(random_column_line, seed, 1500)
    data = b"".join(lines)
    for fmt in COLUMNS:
        want = fmt.tokens(line_array(lines)).to_pylist()
        assert any(want), fmt.name  # the sample exercises this column
        assert compiled(fmt.finder, data)[0] == want, fmt.name


@needs_library
@pytest.mark.parametrize("seed", range(4))
def test_json_finds_the_tokens_re2_extracts(seed):
    fmt = format_named("json")
    lines = random_lines(random_json_line, seed, 3000)
    want = fmt.tokens(line_array(lines)).to_pylist()
    assert sum(t is not None for t in want) > 500
    assert compiled(fmt.finder, b"".join(lines))[0] == want


@needs_library
@pytest.mark.parametrize("seed", range(4))
def test_logfmt_finds_the_tokens_re2_extracts_and_is_unsure_where_its_guard_fails(seed):
    fmt = format_named("logfmt")
    lines = random_lines(random_logfmt_line, seed, 3000)
    array = line_array(lines)
    got, _ = compiled(fmt.finder, b"".join(lines))
    guarded = bools(match_regex(array, fmt.guard)).tolist()
    assert 100 < guarded.count(False) < len(lines) - 500  # both kinds of line are exercised
    # Unsure exactly where the RE2 guard fails; elsewhere the token the fast pattern extracts.
    assert [t == level_fields.UNSURE for t in got] == [not g for g in guarded]
    fast = extract_tokens(array, fmt.fast).to_pylist()
    for line, token, want, sure in zip(lines, got, fast, guarded, strict=True):
        if sure:
            assert token == want, line


@needs_library
@pytest.mark.parametrize("name", ["logfmt", "json", "bracket_column2"])
def test_counting_with_the_compiled_finder_equals_counting_with_re2(name, monkeypatch):
    from logingest_dagster.engine.scan.records import LineBlock, RecordCounter

    make = {"logfmt": random_logfmt_line, "json": random_json_line}.get(name, random_column_line)
    data = b"".join(random_lines(make, 11, 4000))
    block = LineBlock.from_buffer(memoryview(data), newline_positions(data))
    with_library = RecordCounter(format_named(name))
    with_library.add(block)
    monkeypatch.setattr(level_fields, "tokens", lambda *args: None)
    with_re2 = RecordCounter(format_named(name))
    with_re2.add(block)
    assert with_library.counts() == with_re2.counts()
    assert sum(with_re2.counts().values()) - with_re2.counts()["UNKNOWN"] > 100


@needs_library
@pytest.mark.parametrize("name", sorted(FIXED_SAMPLES))
def test_fixed_syntax_formats_find_the_tokens_re2_extracts(name):
    fmt = format_named(name)
    lines = random_lines(lambda rng: random_fixed_line(name, rng), 5, 4000)
    want = fmt.tokens(line_array(lines)).to_pylist()
    assert 500 < sum(t is not None for t in want) < 3500  # matching and not, both common
    assert compiled(fmt.finder, b"".join(lines))[0] == want


@needs_library
def test_a_last_line_without_newline_ends_its_token():
    # RE2's `$` ends a token at the end of the text, as a newline would.
    lines = [b"12:00 INFO started\n", b"12:01 [WARN]"]
    fmt = format_named("bracket_column1")
    want = fmt.tokens(line_array(lines)).to_pylist()
    assert compiled(fmt.finder, b"".join(lines))[0] == want == [b"INFO", b"WARN"]


@needs_library
def test_distinct_tokens_are_listed_once_in_order_of_first_appearance():
    data = b"a ERROR x\nb INFO y\nc ERROR z\nd 123 q\ne INFO\n"
    offsets = np.array([0, 10, 19, 29, 37, 44], dtype=np.int64)
    found = level_fields.tokens(
        format_named("column1").finder, np.frombuffer(data, np.uint8), offsets
    )
    assert found is not None
    token_of_line, distinct = found
    assert distinct == [b"ERROR", b"INFO"]
    assert token_of_line.tolist() == [1, 2, 1, 0, 2]


@needs_library
def test_a_token_like_the_line_aboves_is_told_apart_from_it():
    # The finder reuses the line above's token when the bytes are the same: runs of one token,
    # then tokens of the same length that differ in one byte, case, or a prefix of it.
    tokens = [b"INFO", b"INFO", b"INFO", b"INFX", b"info", b"INF", b"INFO", b"WARN", b"WARN"]
    tokens += [b"INFO", b"XNFO", b"ERROR", b"ERROR", b"ERRO", b"ERRORS", b"INFO"]
    lines = [b"a " + token + b" m\n" for token in tokens]
    fmt = format_named("column1")
    want = fmt.tokens(line_array(lines)).to_pylist()
    assert want == tokens
    for data in (b"".join(lines), b"".join(lines[3:])):
        assert compiled(fmt.finder, data)[0] == want[len(lines) - data.count(b"\n") :]
    framed = level_fields.frame(np.frombuffer(b"".join(lines), np.uint8), fmt.finder)
    assert framed is not None and framed.tokens is not None
    token_of_line, distinct = framed.tokens
    assert [distinct[i - 1] for i in token_of_line.tolist()] == tokens


def test_only_formats_with_a_compiled_twin_name_a_finder():
    # Wrapped formats (`cri+json`) put a prefix before the pattern the finder knows: RE2 only.
    assert format_named("json").finder is not None
    assert format_named("cri+json").finder is None
    assert format_named("syslog+logfmt").finder is None
    assert format_named("cri+klog").finder is None
    assert format_named("dotnet").finder is None  # rare formats keep RE2 alone


@pytest.mark.skipif(shutil.which("cc") is None, reason="no C compiler: levels are found with RE2")
def test_the_library_is_built_where_a_c_compiler_is():
    # `make setup` compiles it; a checkout that skipped that would scan several times slower.
    assert level_fields.is_available(), f"{level_fields.LIBRARY} missing or stale: run make setup"


def test_a_missing_library_means_re2(tmp_path):
    assert level_fields.load(tmp_path / "missing.so", level_fields.SOURCE) is None


@needs_library
def test_a_library_older_than_its_source_is_not_loaded(tmp_path):
    # After a checkout that changed the C code, until `make setup` rebuilds it.
    library, source = tmp_path / "lib.so", tmp_path / "level_fields.c"
    library.write_bytes(level_fields.LIBRARY.read_bytes())
    source.write_bytes(level_fields.SOURCE.read_bytes())
    os.utime(library, (1_000_000, 1_000_000))
    assert level_fields.load(library, source) is None
    os.utime(source, (999_000, 999_000))
    assert level_fields.load(library, source) is not None


@needs_library
def test_a_library_of_another_abi_is_not_loaded(tmp_path, monkeypatch):
    monkeypatch.setattr(level_fields, "ABI", level_fields.ABI + 1)
    assert level_fields.load(level_fields.LIBRARY, level_fields.SOURCE) is None


def test_without_the_library_the_scan_counts_the_same(tmp_path, monkeypatch):
    path = tmp_path / "app.log"
    lines = random_lines(random_column_line, 3, 500) + [b'{"level":"error"}\n'] * 3
    path.write_bytes(b"".join(lines))
    before = scan_range(str(path))
    monkeypatch.setattr(level_fields, "_library", None)  # as if it had not loaded
    monkeypatch.setattr(level_fields, "_loaded", True)
    assert not level_fields.is_available()
    after = scan_range(str(path))
    assert (after.format, after.counts, after.lines) == (before.format, before.counts, before.lines)
