"""Discovery: `.log` files of each directory (not below), stat only, problems reported not raised."""

from __future__ import annotations

import os
import threading
import time

import pytest

from logingest_dagster.engine.discover import LogFileEntry, discover
from logingest_dagster.engine.discover import listing as discovery


def _names(found) -> list[str]:
    return [os.path.basename(e.path) for e in found.entries]


def test_finds_log_files_only_directly_inside_each_directory(tmp_path):
    (tmp_path / "a.log").write_text("x\n")
    (tmp_path / "b.log").write_text("yy\n")
    (tmp_path / "c.txt").write_text("no\n")
    (tmp_path / "a.log.1").write_text("rotated\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "deep.log").write_text("not recursed\n")

    found = discover([str(tmp_path)], max_workers=2)

    assert _names(found) == ["a.log", "b.log"]
    assert found.problems == []
    entry = found.entries[1]
    st = os.stat(tmp_path / "b.log")
    assert entry == LogFileEntry(
        str(tmp_path / "b.log"), st.st_size, st.st_mtime, st.st_dev, st.st_ino
    )


def test_paths_are_absolute_even_from_a_relative_directory(tmp_path, monkeypatch):
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "app.log").write_text("x\n")
    monkeypatch.chdir(tmp_path)
    found = discover(["logs"], max_workers=1)
    assert [e.path for e in found.entries] == [str(tmp_path / "logs" / "app.log")]


def test_a_missing_directory_is_a_problem_and_the_others_are_still_scanned(tmp_path):
    (tmp_path / "ok.log").write_text("x\n")
    found = discover([str(tmp_path / "nope"), str(tmp_path)], max_workers=2)
    assert _names(found) == ["ok.log"]
    assert found.problems == [f"log dir {tmp_path / 'nope'} does not exist"]


def test_a_file_given_as_directory_is_a_problem(tmp_path):
    (tmp_path / "file.log").write_text("x\n")
    found = discover([str(tmp_path / "file.log")], max_workers=1)
    assert found.entries == []
    assert "is not a directory" in found.problems[0]


def test_permission_denied_on_a_directory_is_a_problem(tmp_path, monkeypatch):
    # Tests may run as root, where chmod 000 denies nothing: refuse the listing instead.
    locked = tmp_path / "locked"
    locked.mkdir()
    (tmp_path / "open.log").write_text("x\n")
    real_scandir = os.scandir

    def scandir(path="."):
        if os.fspath(path) == str(locked):
            raise PermissionError(13, "Permission denied", str(locked))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    found = discover([str(locked), str(tmp_path)], max_workers=2)
    assert _names(found) == ["open.log"]
    assert found.problems == [f"log dir {locked}: permission denied"]


def test_symlinks_are_followed_and_loops_or_dangling_links_are_problems(tmp_path):
    target = tmp_path / "target.txt"
    target.write_text("via link\n")
    (tmp_path / "linked.log").symlink_to(target)
    (tmp_path / "loop1.log").symlink_to(tmp_path / "loop2.log")
    (tmp_path / "loop2.log").symlink_to(tmp_path / "loop1.log")
    (tmp_path / "dangling.log").symlink_to(tmp_path / "gone")

    found = discover([str(tmp_path)], max_workers=1)

    assert _names(found) == ["linked.log"]
    assert found.entries[0].inode == target.stat().st_ino  # the target's identity
    assert found.entries[0].size == len("via link\n")
    assert sorted(found.problems) == [
        f"{tmp_path / 'dangling.log'}: broken symlink (its target does not exist), skipped",
        f"{tmp_path / 'loop1.log'}: symlink loop, skipped",
        f"{tmp_path / 'loop2.log'}: symlink loop, skipped",
    ]


def test_names_are_filtered_before_any_stat(tmp_path):
    # A symlink loop is only noticed by stat: one not named *.log must go unnoticed.
    (tmp_path / "a.gz").symlink_to(tmp_path / "b.gz")
    (tmp_path / "b.gz").symlink_to(tmp_path / "a.gz")
    assert discover([str(tmp_path)], max_workers=1).problems == []


def test_non_regular_files_are_skipped(tmp_path):
    (tmp_path / "dir.log").mkdir()
    os.mkfifo(tmp_path / "pipe.log")
    (tmp_path / "real.log").write_text("x\n")
    found = discover([str(tmp_path)], max_workers=1)
    assert _names(found) == ["real.log"]
    assert found.problems == []


def test_a_directory_listed_twice_or_through_a_symlink_is_scanned_once(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "app.log").write_text("x\n")
    (tmp_path / "alias").symlink_to(logs)
    found = discover([str(logs), str(logs) + "/", str(tmp_path / "alias")], max_workers=3)
    assert [e.path for e in found.entries] == [str(logs / "app.log")]


def test_at_most_max_workers_directories_are_scanned_at_once(tmp_path, monkeypatch):
    dirs = []
    for i in range(8):
        d = tmp_path / f"d{i}"
        d.mkdir()
        (d / "x.log").write_text("x\n")
        dirs.append(str(d))
    active, peak, lock = 0, 0, threading.Lock()
    real_list_dir = discovery.list_dir

    def slow_list_dir(directory, *args, **kwargs):
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
        time.sleep(0.02)
        try:
            return real_list_dir(directory, *args, **kwargs)
        finally:
            with lock:
                active -= 1

    monkeypatch.setattr(discovery, "list_dir", slow_list_dir)
    found = discover(dirs, max_workers=3)
    assert len(found.entries) == 8
    assert peak == 3


def test_ten_thousand_files_are_discovered_well_under_a_second(tmp_path):
    dirs = [tmp_path / f"d{i}" for i in range(4)]
    for d in dirs:
        d.mkdir()
        for j in range(2500):
            (d / f"f{j}.log").touch()
            if j % 5 == 0:
                (d / f"f{j}.log.1").touch()
    timings = []
    for _ in range(3):  # the best of three: a noisy neighbour should not fail the test
        start = time.perf_counter()
        found = discover([str(d) for d in dirs], max_workers=4)
        timings.append(time.perf_counter() - start)
        assert len(found.entries) == 10_000
    assert min(timings) < 0.5, f"{min(timings):.3f} s"


@pytest.mark.parametrize("max_workers", [0, 1, 64])
def test_any_worker_count_works(tmp_path, max_workers):
    (tmp_path / "a.log").write_text("x\n")
    assert len(discover([str(tmp_path)], max_workers).entries) == 1
    assert discover([], max_workers).entries == []
