"""SIGKILL at any moment: the next clean run ends with every line counted exactly once.

The pipeline runs in a subprocess (lifecycle_driver.py) that kills itself with SIGKILL at a named
point: during discovery, after planning, in the middle of scanning a large file, after each SQL
statement of the commit transaction, just before COMMIT, after the commit but before the Parquet
write. Other processes are killed from outside at random moments. The state each kill leaves is
then changed a little more (a writer does not wait), and one clean run must repair everything.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from lifecycle_driver import LogWriter, run_pipeline, store_totals

from tests.helpers import published_events, timeseries_sums

DRIVER = Path(__file__).with_name("lifecycle_driver.py")
COMMIT_STATEMENTS = 13  # BEGIN IMMEDIATE ... UPDATE commits: every statement of this commit


class Scenario:
    """A committed baseline, then a rotation, a deletion, growth and a new file to ingest."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.home = root / "home"
        self.dirs = [root / "a", root / "b"]
        for d in self.dirs:
            d.mkdir(parents=True)
        a, b = self.dirs
        self.writer = w = LogWriter()
        w.append(a / "app.log", 200)
        w.append(a / "gone.log", 10)
        w.append(b / "b.log", 30)
        run_pipeline(self.home, self.dirs)
        w.append(a / "app.log", 5_000)  # the unread tail of the rotated file: big enough to
        os.rename(a / "app.log", a / "app.log.1")  # be killed in the middle of
        w.append(a / "app.log", 50)
        os.unlink(a / "gone.log")
        w.append(b / "b.log", 20)
        w.append(b / "new.log", 5)

    def run_killed_at(self, point: str) -> int:
        proc = subprocess.run(
            [sys.executable, str(DRIVER), "--home", str(self.home), "--kill-at", point]
            + [arg for d in self.dirs for arg in ("--log-dir", str(d))],
            capture_output=True,
            timeout=60,
        )
        assert proc.returncode in (0, -signal.SIGKILL), proc.stderr.decode()[-2000:]
        return proc.returncode

    def run_killed_after(self, seconds: float) -> None:
        proc = subprocess.Popen(
            [sys.executable, str(DRIVER), "--home", str(self.home)]
            + [arg for d in self.dirs for arg in ("--log-dir", str(d))],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert proc.stdout is not None
        proc.stdout.readline()  # "started": imports are done, the run begins
        time.sleep(seconds)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)

    def keep_writing(self) -> None:
        a, b = self.dirs
        self.writer.append(a / "app.log", 3)
        self.writer.append(b / "b.log", 2)

    def assert_exact_after_a_clean_run(self, what: str) -> None:
        run_pipeline(self.home, self.dirs, write_parquet=True)
        expected = self.writer.totals()
        assert store_totals(self.home) == expected, what
        table = pq.read_table(self.home / "warehouse" / "severity_totals.parquet").to_pydict()
        assert dict(zip(table["level"], table["count"], strict=True)) == expected, what
        # Each event once, even when the kill came between the commit and the publish.
        events = published_events(self.home)
        assert len(events) == expected["WARN"] + expected["ERROR"] + expected["FATAL"], what
        assert len(set(events["event_id"].to_pylist())) == len(events), what
        assert timeseries_sums(self.home) == expected, what


KILL_POINTS = (
    ["discovering", "planned", "scanning:1", "scanned:1", "scanning:2", "scanned:4"]
    + ["scanning:3", "scanning:4"]
    + [f"commit:{n}" for n in range(1, COMMIT_STATEMENTS + 1)]
    + ["before-commit", "committed", "published"]
)


def _kill_then_repair(tmp_path: Path, point: str) -> tuple[str, int]:
    scenario = Scenario(tmp_path / point.replace(":", "_"))
    code = scenario.run_killed_at(point)
    scenario.keep_writing()
    scenario.assert_exact_after_a_clean_run(f"killed at {point}")
    return point, code


@pytest.mark.slow
def test_sigkill_at_every_point_of_a_run_then_one_clean_run_is_exact(tmp_path):
    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 2)) as pool:
        codes = dict(pool.map(lambda p: _kill_then_repair(tmp_path, p), KILL_POINTS))
    not_reached = sorted(p for p, code in codes.items() if code != -signal.SIGKILL)
    assert not_reached == []  # every point was really reached, and killed there


def _random_kills(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    scenario = Scenario(tmp_path / f"random{seed}")
    for _ in range(2):  # killed again before a run gets through
        scenario.run_killed_after(rng.uniform(0.0, 0.3))
        scenario.keep_writing()
    scenario.assert_exact_after_a_clean_run(f"random kills, seed {seed}")


@pytest.mark.slow
def test_sigkill_from_outside_at_random_moments(tmp_path):
    with ThreadPoolExecutor(max_workers=min(6, os.cpu_count() or 2)) as pool:
        list(pool.map(lambda seed: _random_kills(tmp_path, seed), range(5)))
