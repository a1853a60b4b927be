"""A machine that says no: a warehouse that cannot be written, a full disk, a read-only home, a
damaged or deleted offset store. `logingest run` says what happened and what to do in one line
(exit 1, no traceback), tells the truth about what was committed, and the next run recovers.

The read-only and full file systems are real: a private mount namespace (`unshare -m`) gives the
run a tmpfs or a read-only bind mount, so this needs root (or user namespaces)."""

from __future__ import annotations

import json
import os
import shlex
import subprocess

import pyarrow.dataset as ds
import pytest

from tests.helpers import LOGINGEST, logingest, parquet_totals

LINE = "2026-11-26 10:00:{:02d},000 {} [main] x - msg {}\n"


def _can_mount() -> bool:
    try:
        probe = subprocess.run(
            ["unshare", "-m", "sh", "-c", "mount -t tmpfs tmpfs /mnt"], capture_output=True
        )
    except FileNotFoundError:
        return False
    return probe.returncode == 0


needs_mounts = pytest.mark.skipif(not _can_mount(), reason="needs unshare -m and mount")
# Each test is two or three whole `logingest run`s: `make test-slow` runs them.
pytestmark = pytest.mark.slow


def logingest_with_mounts(mounts: str, *args: str, env: dict) -> subprocess.CompletedProcess:
    """`logingest *args` in a mount namespace of its own, after the shell commands `mounts`."""
    command = f"{mounts} && exec {shlex.quote(LOGINGEST)} " + " ".join(map(shlex.quote, args))
    return subprocess.run(
        ["unshare", "-m", "sh", "-c", command], env=env, capture_output=True, text=True, timeout=120
    )


def read_only(path) -> str:
    return f"mount --bind {path} {path} && mount -o remount,bind,ro {path}"


def write(path, *lines: tuple[str, int]) -> None:
    with path.open("a") as f:
        for level, n in lines:
            f.write(LINE.format(n % 60, level, n))


def last_json(result) -> dict:
    return json.loads(result.stdout.strip().splitlines()[-1])


def assert_one_plain_error(result, *words: str) -> str:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("logingest: error:")]
    assert len(errors) == 1, result.stderr
    assert result.stderr.strip().splitlines() == errors, result.stderr  # and nothing else
    for word in words:
        assert word in errors[0], errors[0]
    return errors[0]


@pytest.fixture
def first_run(tmp_path, cli_env):
    """A home with one successful run behind it: ERROR 1 committed and published."""
    logs, home = tmp_path / "logs", tmp_path / "home"
    logs.mkdir()
    write(logs / "app.log", ("ERROR", 1))
    args = ("run", "--home", str(home), "--log-dir", str(logs), "--json")
    assert logingest(*args, env=cli_env).returncode == 0
    return logs, home, args


@needs_mounts
def test_an_unwritable_warehouse_fails_saying_the_counts_were_committed_and_the_next_run_publishes(
    first_run, cli_env
):
    logs, home, args = first_run
    write(logs / "app.log", ("WARN", 2), ("WARN", 3))
    failed = logingest_with_mounts(read_only(home / "warehouse"), *args, env=cli_env)
    line = assert_one_plain_error(failed, "read-only file system", "were committed", "next")
    assert "nothing committed" not in failed.stderr
    summary = last_json(failed)
    assert (summary["status"], summary["run_committed"]) == ("FAILURE", True)
    # Issue 12 case 11: `totals` are the all-time totals, the run's own counts under run_counts.
    assert summary["totals"]["ERROR"] == 1 and summary["totals"]["WARN"] == 2
    assert summary["run_counts"]["ERROR"] == 0 and summary["run_counts"]["WARN"] == 2
    assert parquet_totals(home)["WARN"] == 0, line  # the warehouse really was not written

    again = logingest(*args, env=cli_env)
    assert again.returncode == 0, again.stderr
    assert last_json(again)["bytes_read"] == 0  # committed before: not read twice
    assert parquet_totals(home) == last_json(failed)["totals"]
    events = ds.dataset(home / "warehouse" / "events", partitioning="hive").to_table()
    assert sorted(events["level"].to_pylist()) == ["ERROR", "WARN", "WARN"]  # kept until published


@needs_mounts
def test_a_full_disk_is_one_line_saying_so_and_the_next_run_counts_once(tmp_path, cli_env):
    logs, home = tmp_path / "logs", tmp_path / "home"
    logs.mkdir()
    home.mkdir()
    write(logs / "app.log", *[("WARN", n) for n in range(20_000)])  # its events fill 256 KB
    args = ("run", "--home", str(home), "--log-dir", str(logs), "--json")
    full = logingest_with_mounts(f"mount -t tmpfs -o size=256k tmpfs {home}", *args, env=cli_env)
    assert_one_plain_error(full, "no space left", "free some space")
    fine = logingest(*args, env=cli_env)  # the tmpfs is gone with its namespace
    assert fine.returncode == 0, fine.stderr
    assert last_json(fine)["totals"]["WARN"] == 20_000


def test_a_read_only_home_is_one_line_saying_what_to_do(first_run, cli_env):
    if not _can_mount():
        pytest.skip("needs unshare -m and mount")
    logs, home, args = first_run
    write(logs / "app.log", ("WARN", 2))
    failed = logingest_with_mounts(read_only(home), *args, env=cli_env)
    assert_one_plain_error(failed, "read-only", "writable directory")
    summary = last_json(failed)
    # The store cannot even be read here (SQLite's WAL needs its -shm file): the totals are
    # unknown, said as null rather than as this run's uncommitted counts (issue 12 case 11).
    assert (summary["run_committed"], summary["totals"]) == (False, None)
    assert sum(summary["run_counts"].values()) == 0  # discovery failed: nothing was read


def test_a_damaged_offset_store_is_one_line_saying_what_to_do(first_run, cli_env):
    logs, home, args = first_run
    store = home / "state" / "offsets.db"
    for leftover in store.parent.glob("offsets.db-*"):  # the WAL: a store copied without it
        leftover.unlink()
    with store.open("r+b") as f:
        f.seek(0)
        f.write(os.urandom(4096))
    failed = logingest(*args, env=cli_env)
    assert_one_plain_error(failed, str(store), "damaged", "restore it from a backup")


def test_a_damaged_page_inside_the_store_is_found_by_quick_check(first_run, cli_env):
    logs, home, args = first_run
    store = home / "state" / "offsets.db"
    subprocess.run(  # fold the WAL in, then break a table page but keep the header
        [
            "python",
            "-c",
            f"import sqlite3; sqlite3.connect({str(store)!r}).execute("
            "'PRAGMA wal_checkpoint(TRUNCATE)')",
        ],
        check=True,
    )
    data = bytearray(store.read_bytes())
    page = 4096
    data[page * 2 : page * 2 + 64] = b"\xff" * 64
    store.write_bytes(bytes(data))
    failed = logingest(*args, env=cli_env)
    assert_one_plain_error(failed, "damaged")


def test_a_deleted_store_beside_a_warehouse_is_a_warning(first_run, cli_env):
    logs, home, args = first_run
    for path in (home / "state").glob("offsets.db*"):
        path.unlink()
    again = logingest(*args, env=cli_env)
    assert again.returncode == 0, again.stderr
    warnings = [line for line in again.stderr.splitlines() if "offset store" in line]
    assert len(warnings) == 1 and "counted again from the start" in warnings[0], again.stderr
    assert warnings[0].startswith("logingest: WARNING:")
