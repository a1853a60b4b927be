"""The compiled check that rules lines out before NOT_RECORD runs never rules out a line the
pattern matches (so the counts cannot change), and rules out ordinary log lines."""

from __future__ import annotations

import random

import numpy as np
import pyarrow as pa
import pytest

from logingest_dagster.engine.scan import level_fields
from logingest_dagster.engine.scan.formats import match_regex
from logingest_dagster.engine.scan.records import CODE_NONE, NOT_RECORD, bools

needs_library = pytest.mark.skipif(
    not level_fields.is_available(), reason="level_fields is not built (make setup builds it)"
)

# Pieces of every alternative of NOT_RECORD, whole and cut, and of lines it must not match.
PIECES = [
    b"Caused by:", b"1.", b"a..b", b".x", b"Error\t", b" more", b" common frames omitted", b"Caused by", b"Suppressed:", b"... ", b"... 12 more", b"...", b"12",
    b" common frames omitted", b"more", b"Traceback (most recent call last):", b"Traceback (",
    b"During handling of the above exception", b"The above exception was the direct cause",
    b"Exception in thread ", b"java.lang.", b"org.acme.", b"Foo", b"IllegalStateException",
    b"Error", b"Throwable", b"$Inner", b"_x", b".", b":", b" ", b"\t", b"\r", b"\f", b"\x0b",
    b"goroutine 7 [running]:", b"goroutine ", b"[", b"]", b"Nov 26, 2026 12:00:01 PM",
    b"Nov 6, 2026 1:00:01 AM", b"Jul 20 23:37:40", b"com.acme.App main", b"x", b"0",
    b"INFO", b"2026-11-26", b"\xe9", b"Exception", b"a.b", b"Error:",
]  # fmt: skip


def _lines(seed: int, count: int) -> list[bytes]:
    rng = random.Random(seed)
    return [
        b"".join(rng.choices(PIECES, k=rng.randint(0, 6))) + rng.choice([b"\n", b"\r\n", b""])
        for _ in range(count)
    ]


def _check(lines: list[bytes]) -> np.ndarray:
    data = b"".join(lines)
    offsets = np.concatenate(([0], np.cumsum([len(line) for line in lines]))).astype(np.int64)
    found = level_fields.may_not_be_records(
        np.frombuffer(data, np.uint8), offsets, np.arange(len(lines))
    )
    assert found is not None
    return found


@needs_library
@pytest.mark.parametrize("seed", range(6))
def test_a_line_the_pattern_matches_is_never_ruled_out(seed):
    lines = _lines(seed, 5000)
    matched = bools(match_regex(pa.array(lines, pa.large_binary()), NOT_RECORD))
    may = _check(lines)
    assert matched.sum() > 300  # every alternative gets its chance
    missed = [line for line, m, c in zip(lines, matched, may, strict=True) if m and not c]
    assert missed == []


@needs_library
def test_ordinary_lines_are_ruled_out():
    lines = [
        b"Jul 20 23:37:40 combo sshd(pam_unix)[3307]: authentication failure\n",
        b"Dec 10 09:17:54 LabSZ sshd[24622]: Failed password for invalid user\n",
        b"2024/03/22 10:30:07 server.go:216: started search service\n",
        b"com.acme.App started\n",
        b"INFO: Error budget fine\n",
    ]
    assert _check(lines).tolist() == [False] * len(lines)
    assert _check([b"\n", b"  at x\n", b"java.io.IOException: boom\n"]).all()


@needs_library
@pytest.mark.parametrize("seed", range(6))
def test_the_folding_passes_answer_for_the_pattern_only_where_it_would(seed):
    # fold_lines (non-head lines) and fold_suspects (head lines) settle NOT_RECORD themselves
    # where it surely matches, list the lines only the pattern can tell about, and leave the
    # rest: a line settled must match, a line left must not.
    lines = [line if line.endswith(b"\n") else line + b"\n" for line in _lines(seed, 5000)]
    matched = bools(match_regex(pa.array(lines, pa.large_binary()), NOT_RECORD))
    data = b"".join(lines)
    chars = np.frombuffer(data, np.uint8)
    offsets = np.concatenate(([0], np.cumsum([len(line) for line in lines]))).astype(np.int64)
    first = chars[offsets[:-1]]
    indented = (first == ord(" ")) | (first == ord("\t"))

    folded = level_fields.fold_lines(
        np.full(len(lines), CODE_NONE, np.uint8), first, chars, offsets
    )
    assert folded is not None
    flags, others = folded
    settled = (flags & 1).astype(bool) & ~indented
    left = ~settled & ~indented
    left[others] = False
    assert settled.sum() > 300  # most matches are settled without the pattern
    assert matched[settled].all()
    assert not matched[left].any()

    codes = np.zeros(len(lines), np.uint8)  # every line a head (INFO)
    suspects = level_fields.fold_suspects(codes, first, chars, offsets)
    assert suspects is not None
    settled = codes == CODE_NONE
    left = ~settled
    left[suspects] = False
    assert matched[settled].all()
    assert not matched[left].any()
    assert (settled | ~left).sum() < len(lines)  # some lines are ruled out outright
