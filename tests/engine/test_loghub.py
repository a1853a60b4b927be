"""Real, labeled logs from loghub (../shared/loghub, outside the repository): the engine's counts
must match the labels exactly, per file and per line."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from logingest_dagster.engine.scan import scan_paths
from logingest_dagster.engine.scan.range_scanner import ScanOptions, scan_line_levels, scan_range

LOGHUB = Path(__file__).parents[2].parent / "shared" / "loghub"

pytestmark = pytest.mark.skipif(
    not (LOGHUB / "expected_counts.json").is_file(),
    reason=f"loghub samples not found at {LOGHUB} (they live outside the repository)",
)

LABELED = ["Apache", "HDFS", "Hadoop", "OpenStack", "Zookeeper"]
UNLABELED = ["Linux", "OpenSSH"]  # syslog without a level field


def expected_counts() -> dict[str, dict[str, int]]:
    return json.loads((LOGHUB / "expected_counts.json").read_text())


def nonzero(counts: dict[str, int]) -> dict[str, int]:
    return {level: n for level, n in counts.items() if n}


@pytest.mark.parametrize("name", LABELED)
def test_per_level_counts_match_the_labels(name):
    path = LOGHUB / f"{name}.log"
    result = scan_range(str(path))
    assert result.error is None
    assert nonzero(result.counts) == expected_counts()[name]
    assert result.end == path.stat().st_size


@pytest.mark.parametrize("name", LABELED)
def test_per_line_levels_match_the_labels(name):
    with open(LOGHUB / f"{name}.levels.csv", newline="") as f:
        labels = {int(row["line"]): row["level"] for row in csv.DictReader(f)}
    levels = scan_line_levels(str(LOGHUB / f"{name}.log"))
    assert len(levels) == len(labels)
    wrong = [(n, labels[n], levels[n - 1]) for n in sorted(labels) if levels[n - 1] != labels[n]]
    assert not wrong, wrong[:10]


@pytest.mark.parametrize("name", UNLABELED)
def test_logs_without_a_level_field_are_unknown(name):
    # OpenSSH's messages hold words like `error:`; they are message words, not a level field.
    result = scan_range(str(LOGHUB / f"{name}.log"))
    assert nonzero(result.counts) == {"UNKNOWN": 2000}


@pytest.mark.parametrize("name", LABELED)
def test_counts_hold_for_small_chunks_and_incremental_ranges(name):
    path = LOGHUB / f"{name}.log"
    small = scan_range(str(path), options=ScanOptions(chunk_size=4093))
    assert nonzero(small.counts) == expected_counts()[name]
    # Read in three ranges, as three runs would after the file grew; unfinished lines wait.
    size = path.stat().st_size
    total: dict[str, int] = {}
    start = 0
    for stop in (size // 3, 2 * size // 3, size):
        part = scan_range(str(path), start, stop, final=stop == size)
        for level, n in part.counts.items():
            total[level] = total.get(level, 0) + n
        start = part.end
    assert start == size
    assert nonzero(total) == expected_counts()[name]


def test_whole_directory_through_the_batch():
    results = {Path(r.path).stem: r for r in scan_paths([LOGHUB], workers=2)}
    assert set(results) >= set(LABELED) | set(UNLABELED)
    for name in LABELED:
        assert nonzero(results[name].counts) == expected_counts()[name]
