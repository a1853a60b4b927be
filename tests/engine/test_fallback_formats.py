"""A line its file's format cannot explain is tried against the other formats before UNKNOWN.

A file that concatenates logs of several systems is detected from its head (the first system);
stretches in other formats get their levels from their own format, found the same way a file's is.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

from logingest_dagster.engine.scan import fallback, level_fields
from logingest_dagster.engine.scan.lines import LineBlock, newline_positions
from logingest_dagster.engine.scan.range_scanner import scan_range
from logingest_dagster.engine.scan.records import record_mask
from logingest_dagster.engine.scan.result import ScanOptions

LOGHUB = Path(__file__).parents[2].parent / "shared" / "loghub"
LABELED = ["Apache", "HDFS", "Hadoop", "OpenStack", "Zookeeper"]
LEVEL_LESS = ["Linux", "OpenSSH"]


def _log4j(i: int, level: str) -> str:
    return f"2026-11-26 12:00:{i % 60:02d},000 {level} [main] com.example.App - request {i}\n"


def _json(i: int, level: str) -> str:
    return json.dumps({"ts": f"2026-11-26T12:00:{i % 60:02d}Z", "level": level, "msg": "x"}) + "\n"


def test_a_stretch_in_another_format_gets_its_own_formats_levels(tmp_path):
    path = tmp_path / "two.log"
    lines = [_log4j(i, "INFO") for i in range(300)]
    lines += [_json(i, "error" if i % 3 == 0 else "debug") for i in range(300)]
    path.write_text("".join(lines))
    counts = scan_range(str(path)).counts
    assert (counts["INFO"], counts["ERROR"], counts["DEBUG"]) == (300, 100, 200)
    assert counts["UNKNOWN"] == 0


def test_a_few_stray_lines_stay_unknown(tmp_path):
    # Too few to be a stretch of another format: no guess from a handful of lines.
    path = tmp_path / "stray.log"
    lines = [_log4j(i, "WARN") for i in range(300)]
    lines[100:105] = [_json(i, "error") for i in range(5)]
    path.write_text("".join(lines))
    counts = scan_range(str(path)).counts
    assert (counts["WARN"], counts["UNKNOWN"], counts["ERROR"]) == (295, 5, 0)


def test_level_less_lines_after_a_known_format_stay_unknown(tmp_path):
    path = tmp_path / "then_plain.log"
    lines = [_log4j(i, "INFO") for i in range(200)]
    lines += [f"Nov 26 12:00:{i % 60:02d} host cron[{i}]: job {i} done\n" for i in range(400)]
    path.write_text("".join(lines))
    counts = scan_range(str(path)).counts
    assert (counts["INFO"], counts["UNKNOWN"]) == (200, 400)


@pytest.mark.skipif(not (LOGHUB / "expected_counts.json").is_file(), reason="no loghub samples")
def test_concatenated_loghub_samples_are_counted_as_each_system_alone(tmp_path):
    path = tmp_path / "all.log"
    with open(path, "wb") as out:
        for name in LABELED[:2] + LEVEL_LESS[:1] + LABELED[2:] + LEVEL_LESS[1:]:
            data = (LOGHUB / f"{name}.log").read_bytes()
            out.write(data if data.endswith(b"\n") else data + b"\r\n")
    expected = {}
    for name in LABELED:
        for level, n in json.loads((LOGHUB / "expected_counts.json").read_text())[name].items():
            expected[level] = expected.get(level, 0) + n
    level_less = sum(len((LOGHUB / f"{n}.log").read_bytes().splitlines()) for n in LEVEL_LESS)
    counts = scan_range(str(path)).counts
    assert {k: v for k, v in counts.items() if v and k != "UNKNOWN"} == expected
    assert counts["UNKNOWN"] == level_less


def test_the_quick_level_word_check_answers_as_the_pattern_does():
    # `_levelish` skips the regex where no level word's letters appear; it must never differ.
    from logingest_dagster.engine.scan.fallback import _LEVELISH, _levelish, _levelish_each

    rng = random.Random(7)
    lines = []
    pieces = [
        b"INFO", b"Warning:", b"xerror", b"error_x", b"ERR", b"crit.", b"finest", b"fine-",
        b"Panicked", b"alert", b"{", b"<13>", b" ", b"\t", b"word", b"12:00:00", b"\xe9rror",
        b"tr", b"ace", b"deb", b"ug", b"-", b"_", b"verbose", b"notice", b"severe", b"emerg",
    ]  # fmt: skip
    for _ in range(20_000):
        line = b"".join(rng.choices(pieces, k=rng.randint(0, 12)))
        if rng.random() < 0.1:
            line = b"x" * rng.randint(180, 210) + line  # words across the 200-byte cut
        assert _levelish(line) == (_LEVELISH.search(line[:200]) is not None), line
        lines.append(line)
    for start in range(0, len(lines), 16):
        window = lines[start : start + 16]
        assert _levelish_each(window) == [_LEVELISH.search(x[:200]) is not None for x in window]
    wordless = [b"{", b"<13>", b" ", b"word", b"12:00:00", b"tr", b"ace", b"-", b"\xe9rror"]
    for _ in range(500):  # windows with no level word: only `{` and `<` starts count
        window = [b"".join(rng.choices(wordless, k=rng.randint(0, 6))) for _ in range(16)]
        assert _levelish_each(window) == [_LEVELISH.search(x[:200]) is not None for x in window]


LEVELISH_PIECES = [
    b"INFO", b"Warning:", b"xerror", b"error_x", b"ERR", b"crit.", b"finest", b"fine-", b"finer",
    b"Panicked", b"alert", b"{", b"<13>", b" ", b"\t", b"word", b"12:00:00", b"\xe9rror", b"tr",
    b"ace", b"deb", b"ug", b"-", b"_", b"verbose", b"notice", b"severe", b"emerg", b"9warn",
    b"warn9", b"CRITICAL", b"Fatal", b"Debug", b"trACE", b"\r", b"\n", b"\x00", b"\xc9RROR",
]  # fmt: skip


@pytest.mark.skipif(not level_fields.is_available(), reason="level_fields is not built")
@pytest.mark.parametrize("seed", range(4))
def test_the_compiled_level_word_check_answers_as_the_pattern_does(seed):
    from logingest_dagster.engine.scan.fallback import _LEVELISH

    rng = random.Random(seed)
    lines = []
    for _ in range(20_000):
        line = b"".join(rng.choices(LEVELISH_PIECES, k=rng.randint(0, 12)))
        if rng.random() < 0.15:  # words across the 200-byte cut, and lines of 200 bytes or so
            line = b"x" * rng.randint(185, 205) + b" " * rng.randint(0, 1) + line
        lines.append(line + rng.choice([b"\n", b""]))
    data = b"".join(lines)
    offsets = np.concatenate(([0], np.cumsum([len(line) for line in lines]))).astype(np.int64)
    picked = np.array(sorted(rng.sample(range(len(lines)), 15_000)), dtype=np.int64)
    found = level_fields.levelish(np.frombuffer(data, np.uint8), offsets, picked)
    expected = [_LEVELISH.search(lines[i][:200]) is not None for i in picked.tolist()]
    assert 0.2 < sum(expected) / len(expected) < 0.9  # both answers get their chance
    assert found.tolist() == expected


def test_the_fallback_counts_the_same_without_the_compiled_check(tmp_path, monkeypatch):
    # A stretch of JSON lines after log4j ones, and a level-less stretch that mentions levels.
    path = tmp_path / "mixed.log"
    lines = [_log4j(i, "INFO") for i in range(3000)]
    lines += [_json(i, "error" if i % 3 == 0 else "debug") for i in range(3000)]
    lines += [
        f"Nov 26 12:00:{i % 60:02d} host cron[{i}]: job-{i}-error done\n" for i in range(3000)
    ]
    path.write_text("".join(lines))
    options = ScanOptions(chunk_size=64 << 10)
    compiled = scan_range(str(path), options=options)
    monkeypatch.setattr(level_fields, "levelish", lambda *_: None)
    python = scan_range(str(path), options=options)
    assert compiled.counts == python.counts
    assert (python.counts["INFO"], python.counts["ERROR"], python.counts["UNKNOWN"]) == (
        3000,
        1000,
        3000,
    )


def test_detection_picks_record_lines_without_trying_other_formats(monkeypatch):
    # The record mask detection samples from follows the continuation rules alone: running the
    # fallback there was a second detection on every file's head.
    def no_detection(*_):
        raise AssertionError("the record mask ran a detection")

    monkeypatch.setattr(fallback, "detect_format", no_detection)
    lines = [_json(i, "info").encode() for i in range(90)] + [b"  at frame\n"]
    data = b"".join(lines)
    block = LineBlock.from_buffer(memoryview(data), newline_positions(data))
    assert record_mask(block).tolist() == [True] * 90 + [False]
