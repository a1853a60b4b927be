"""A line its file's format cannot explain is tried against the other formats before UNKNOWN.

A file that concatenates logs of several systems is detected from its head (the first system);
stretches in other formats get their levels from their own format, found the same way a file's is.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from logingest_dagster.engine.scan.range_scanner import scan_range

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
