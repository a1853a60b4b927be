"""When a publish after a run that committed nothing new would change nothing (`warehouse/current.py`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from logingest_dagster.engine.warehouse.current import WRITTEN, is_current, mark_current

DAY = 86_400.0
NOW = 1_796_300_000.0


class Store:
    def __init__(self, unpublished: set[str]) -> None:
        self.unpublished = unpublished

    def unpublished_changes(self) -> set[str]:
        return self.unpublished


@pytest.fixture
def home(tmp_path) -> Path:
    warehouse = tmp_path / "warehouse"
    warehouse.mkdir()
    for name in WRITTEN:
        (warehouse / name).touch()
    mark_current(tmp_path, retention_days=30, now=NOW)
    return tmp_path


def test_current_after_a_complete_publish_the_same_day_with_only_this_runs_commit_left(home):
    assert is_current(home, Store({"this-run"}), "this-run", 30, now=NOW + 60)
    assert is_current(home, Store(set()), "this-run", 30, now=NOW + 60)


def test_not_current_while_another_commit_is_unpublished(home):
    assert not is_current(home, Store({"this-run", "killed-run"}), "this-run", 30, now=NOW)


def test_not_current_on_another_day_compaction_and_retention_have_work(home):
    assert not is_current(home, Store(set()), "this-run", 30, now=NOW + DAY)


def test_not_current_with_another_retention(home):
    assert not is_current(home, Store(set()), "this-run", 7, now=NOW)


def test_not_current_without_a_file_a_publish_writes(home):
    (home / "warehouse" / "file_stats.parquet").unlink()
    assert not is_current(home, Store(set()), "this-run", 30, now=NOW)


def test_not_current_without_a_mark(tmp_path):
    assert not is_current(tmp_path, Store(set()), "this-run", 30, now=NOW)
