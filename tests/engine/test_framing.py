"""The compiled framing pass gives what numpy framing and the separate finder call give: the same
line offsets, first bytes and level tokens, whatever the line lengths."""

from __future__ import annotations

import random

import numpy as np
import pytest

from logingest_dagster.engine.scan import level_fields
from logingest_dagster.engine.scan.formats import COLUMNS, format_named
from logingest_dagster.engine.scan.lines import LineBlock, newline_positions
from tests.engine.test_level_fields import (
    FIXED_SAMPLES,
    random_column_line,
    random_fixed_line,
    random_json_line,
    random_lines,
    random_logfmt_line,
)

needs_library = pytest.mark.skipif(
    not level_fields.is_available(), reason="level_fields is not built (make setup builds it)"
)


def _reference(data: bytes) -> tuple[list[int], list[int]]:
    """Offsets and first bytes of the newline-terminated lines, by a walk over every byte."""
    offsets, first = [0], []
    for i, byte in enumerate(data):
        if byte == 10:
            first.append(data[offsets[-1]])
            offsets.append(i + 1)
    return offsets, first


def _random_bytes(seed: int) -> bytes:
    """Lines of every length from empty to several 16-byte blocks, newlines at every position of
    a block, `\\r` and NUL bytes, and sometimes an unfinished last line."""
    rng = random.Random(seed)
    out = bytearray()
    for _ in range(rng.randint(0, 400)):
        length = rng.choice([0, 0, 1, 2, 15, 16, 17, 31, 32, 33, rng.randint(0, 300)])
        out += bytes(rng.choice(b"ab \t\r\x00\xff") for _ in range(length)) + b"\n"
    if rng.random() < 0.3:
        out += b"unfinished"
    return bytes(out)


@needs_library
@pytest.mark.parametrize("seed", range(40))
def test_framing_finds_every_newline_terminated_line(seed):
    data = _random_bytes(seed)
    framed = level_fields.frame(np.frombuffer(data, np.uint8))
    assert framed is not None and framed.tokens is None
    offsets, first = _reference(data)
    assert framed.offsets.tolist() == offsets
    assert framed.first.tolist() == first


@needs_library
def test_a_chunk_of_lines_shorter_than_usual_is_framed_whole():
    # More lines than the first guess makes room for: framed again with room for them all.
    data = b"\n" * 5000 + b"a\n" * 3000
    framed = level_fields.frame(np.frombuffer(data, np.uint8))
    assert framed is not None
    assert framed.offsets.tolist() == _reference(data)[0]


@needs_library
def test_nothing_to_frame():
    for data in (b"", b"no newline"):
        framed = level_fields.frame(np.frombuffer(data, np.uint8), COLUMNS[1].finder)
        assert framed is not None
        assert framed.offsets.tolist() == [0] and framed.tokens is not None
        assert framed.tokens[1] == []


def _formats_and_lines():
    makers = {fmt.name: random_column_line for fmt in COLUMNS}
    makers |= {"json": random_json_line, "logfmt": random_logfmt_line}
    for name in sorted(FIXED_SAMPLES):
        makers[name] = lambda rng, name=name: random_fixed_line(name, rng)
    return sorted(makers.items())


@needs_library
@pytest.mark.parametrize(("name", "make"), _formats_and_lines())
def test_tokens_found_while_framing_are_those_of_the_finder_alone(name, make):
    fmt = format_named(name)
    data = b"".join(random_lines(make, 21, 2000))
    chars = np.frombuffer(data, np.uint8)
    framed = level_fields.frame(chars, fmt.finder)
    assert framed is not None and framed.tokens is not None
    separately = level_fields.tokens(fmt.finder, chars, framed.offsets)
    assert separately is not None
    assert framed.tokens[0].tolist() == separately[0].tolist()
    assert framed.tokens[1] == separately[1]
    assert len(separately[1]) > 1 or name == "syslog_pri"


@needs_library
def test_a_block_framed_in_c_equals_one_framed_by_numpy():
    data = b"".join(random_lines(random_column_line, 4, 3000))
    fmt = format_named("bracket_column2")
    compiled = LineBlock.frame(memoryview(data), fmt.finder)
    numpy = LineBlock.from_buffer(memoryview(data), newline_positions(data))
    assert compiled.offsets.tolist() == numpy.offsets.tolist()
    assert compiled.lines.equals(numpy.lines)
    assert compiled.first_bytes().tolist() == numpy.first_bytes().tolist()
    assert compiled.finder == fmt.finder and compiled.tokens is not None


def test_without_the_library_a_block_is_framed_by_numpy(monkeypatch):
    monkeypatch.setattr(level_fields, "_library", None)
    monkeypatch.setattr(level_fields, "_loaded", True)
    data = b"12:00 INFO a\n\n  at x\n"
    block = LineBlock.frame(memoryview(data), format_named("column1").finder)
    assert block.offsets.tolist() == [0, 13, 14, 21]
    assert block.tokens is None
    assert block.first_bytes().tolist() == [ord("1"), 10, 32]
