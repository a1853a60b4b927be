"""newline_positions: the same offsets as a plain walk over every byte, whatever the line lengths."""

from __future__ import annotations

import random

import numpy as np
import pytest

from logingest_dagster.engine.scan.lines import newline_positions


def _walk(data: bytes) -> list[int]:
    return [i for i, byte in enumerate(data) if byte == 10]


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"no newline",
        b"\n",
        b"1234567\n",  # the newline is the last byte of the only word
        b"12345678\n",  # ... the only byte after the words
        b"a\nb\nc\n",  # several newlines in one word
        b"\n" * 40,  # every byte
        b"x" * 100 + b"\n" + b"y" * 7,  # a tail with no newline
        b"x" * 63 + b"\n" + b"\n\n",  # a blank line straddling a word boundary
    ],
)
def test_edge_cases_match_a_byte_walk(data):
    assert newline_positions(data).tolist() == _walk(data)


@pytest.mark.parametrize("average", [2, 6, 12, 40, 130])
def test_random_line_lengths_match_a_byte_walk(average):
    # From lines mostly shorter than a word (the plain walk) to log-length ones (the word path),
    # with blank lines mixed in (two newlines in a word).
    rng = random.Random(average)
    lines = [b"x" * rng.randrange(0, 2 * average) for _ in range(5_000)]
    data = b"\n".join(lines) + b"\nend"
    assert newline_positions(data).tolist() == _walk(data)


def test_a_view_into_a_larger_buffer():
    buffer = bytearray(b"ab\ncd\n" * 1000)
    view = memoryview(buffer)[3:4001]
    expected = np.flatnonzero(np.frombuffer(bytes(view), np.uint8) == 10)
    assert newline_positions(view).tolist() == expected.tolist()


def test_log_length_lines_with_one_newline_per_word():
    # No line shorter than a word: each word holds at most one newline (the popcount path).
    rng = random.Random(7)
    data = b"".join(b"x" * rng.randrange(8, 300) + b"\n" for _ in range(5_000))
    assert newline_positions(data).tolist() == _walk(data)
