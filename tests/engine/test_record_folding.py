"""The compiled record folding (`level_fields.fold_*`, `count_records`) gives every line the code
and record mask, and every level the count, that the numpy rules give, block after block (the
state one line deep carried across cuts), on adversarial mixes of headers and trace lines."""

from __future__ import annotations

import random

import numpy as np
import pytest

from logingest_dagster.engine.scan import level_fields, records
from logingest_dagster.engine.scan.formats import PLAIN, custom_format, format_named
from logingest_dagster.engine.scan.records import RecordCounter

needs_library = pytest.mark.skipif(
    not level_fields.is_available(), reason="level_fields is not built (make setup builds it)"
)

# Headers of a column format (level in the third field), a JSON line, and every kind of line the
# continuation rules look at: indented frames, NOT_RECORD's alternatives (whole and cut short),
# Python's exception lines, Go's function lines, blank lines; and a trace line a column format
# reads as a header (`Caused by: ERROR: ...`, which NOT_RECORD takes back).
PIECES = [
    b"2026-11-26 12:00:00,001 INFO [main] App - ok",
    b"2026-11-26 12:00:00,002 ERROR [main] App - boom",
    b"2026-11-26 12:00:00,003 DETAIL: key exists",
    b"\tat com.acme.App.main(App.java:10)",
    b"    at com.acme.Pool.get(Pool.java:12)",
    b"Caused by: ERROR: duplicate key",
    b"Caused by: java.lang.IllegalStateException: x",
    b"Suppressed: java.io.IOException",
    b"... 12 more",
    b"... 3 common frames omitted",
    b"java.lang.RuntimeException: bad",
    b"com.acme.Error",
    b'Exception in thread "main" java.lang.Error',
    b"Traceback (most recent call last):",
    b'  File "x.py", line 1, in <module>',
    b"ValueError: bad",
    b"KeyboardInterrupt",
    b"pkg.mod.Error: x",
    b"During handling of the above exception, another exception occurred:",
    b"The above exception was the direct cause of the following exception:",
    b"goroutine 1 [running]:",
    b"main.main()",
    b"net/http.(*conn).serve(0xc000123)",
    b"created by main.start in goroutine 1",
    b"",
    b"   ",
    b"\t",
    b"Nov 26, 2026 12:00:01 PM com.acme.App main",
    b"INFO: started",
    b"plain words here",
    b'{"level":"error","msg":"x"}',
    b"$x.y.FooError",
    b"_a.b.Throwable:",
    b"Caused",
    b"goroutine x",
    b"12345 a number first",
]
FORMATS = [
    format_named("column2"),
    format_named("bracket_column2"),
    format_named("json"),
    PLAIN,
    custom_format(r"^\S+ \S+ (?P<level>[A-Z]+)"),
]


def _lines(rng: random.Random, count: int) -> list[bytes]:
    out = []
    for _ in range(count):
        line = rng.choice(PIECES)
        if rng.random() < 0.1:
            line = line[: rng.randint(0, len(line))]
        out.append(line + rng.choice([b"\n", b"\n", b"\r\n"]))
    return out


def _numpy_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(records.level_fields, "is_available", lambda: False)
    monkeypatch.setattr(records.level_fields, "count_records", lambda *_: False)


def _run(fmt, lines: list[bytes], cuts: list[int]) -> tuple[list, dict, list]:
    """Each block's (record mask, codes), the counts, and the state left, for the blocks `cuts`
    makes (one counter classifies, another counts)."""
    classifier, counter = RecordCounter(fmt), RecordCounter(fmt)
    folded = []
    bounds = [0, *cuts, len(lines)]
    for lo, hi in zip(bounds, bounds[1:], strict=False):
        data = memoryview(b"".join(lines[lo:hi]))
        if not data:
            continue
        record, codes = classifier._classify(classifier.frame(data))
        folded.append((None if record is None else record.tolist(), codes.tolist()))
        counter.add(counter.frame(data))
    return folded, counter.counts(), [classifier._prev_indented, classifier._prev_not_record]


@needs_library
@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: f.name)
@pytest.mark.parametrize("seed", range(3))
def test_compiled_folding_equals_the_numpy_rules(fmt, seed, monkeypatch):
    rng = random.Random(seed)
    lines = _lines(rng, 6000)
    cuts = sorted(rng.sample(range(1, len(lines)), 40))
    compiled = _run(fmt, lines, cuts)
    _numpy_rules(monkeypatch)
    assert _run(fmt, lines, cuts) == compiled
    assert sum(compiled[1].values()) > 1000


@needs_library
def test_blocks_where_every_line_is_a_record_fold_the_same(monkeypatch):
    # The shortcut (no mask at all) and the state it leaves for the next block.
    rng = random.Random(5)
    headers = [PIECES[0] + b"\n", PIECES[1] + b"\n"]
    lines = [rng.choice(headers) for _ in range(500)] + [b"\tat x\n", b"ValueError: y\n"]
    lines += [rng.choice(headers) for _ in range(500)]
    fmt = format_named("column2")
    compiled = _run(fmt, lines, [250, 500, 501, 502, 800])
    _numpy_rules(monkeypatch)
    assert _run(fmt, lines, [250, 500, 501, 502, 800]) == compiled


@needs_library
def test_counting_in_c_equals_bincount():
    rng = np.random.default_rng(3)
    codes = rng.integers(0, records.CODE_NONE + 1, 10_000).astype(np.uint8)
    record = rng.random(10_000) < 0.7
    every = codes[codes != records.CODE_CONTINUED]  # a block with no mask has no such line
    for lines, mask in ((codes, record), (every, None)):
        counts = np.zeros(len(records.LEVELS), dtype=np.int64)
        assert level_fields.count_records(lines, mask, records.UNKNOWN_CODE, counts)
        chosen = lines if mask is None else lines[mask]
        levels = np.where(chosen >= records.CODE_CONTINUED, records.UNKNOWN_CODE, chosen)
        assert counts.tolist() == np.bincount(levels, minlength=len(records.LEVELS)).tolist()
