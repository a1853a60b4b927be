"""The offset store and the planner: schema, compare-and-set commits, operator views, costs."""

from __future__ import annotations

import os
import pickle
import sqlite3
import threading
import time

import pytest
import sqlalchemy as sa
from lifecycle_driver import LogWriter, run_pipeline

from logingest_dagster.engine.discover import discover
from logingest_dagster.engine.levels import LEVELS
from logingest_dagster.engine.plan import ReadTask, plan_reads
from logingest_dagster.engine.plan import planner as planner_module
from logingest_dagster.engine.plan import rotation as rotation_module
from logingest_dagster.engine.scan import ScanResult, scan_range
from logingest_dagster.engine.state import OffsetStore, default_state_url, open_store
from logingest_dagster.engine.state.commit import IN_CHUNK
from logingest_dagster.engine.state.schema import (
    SCHEMA_VERSION,
    SchemaTooNew,
    from_db_int,
    to_db_int,
)


@pytest.fixture
def logs(tmp_path):
    path = tmp_path / "logs"
    path.mkdir()
    return path


def _plan(store, logs, **kwargs):
    kwargs.setdefault("now", time.time())
    return plan_reads(store, discover([str(logs)], 2).entries, **kwargs)


def _scan_all(plan):
    return [
        (t, scan_range(t.path, t.start, t.stop, final=t.final, compressed=t.compressed))
        for t in plan.tasks
    ]


# -- opening, schema, migrations --------------------------------------------------------------


def test_default_store_is_sqlite_under_home_state_in_wal_mode(tmp_path):
    with open_store(tmp_path) as store:
        assert store.url == default_state_url(tmp_path)
        assert store.totals() == dict.fromkeys(LEVELS, 0)
    db = tmp_path / "state" / "offsets.db"
    assert db.exists()
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]


def test_every_connection_waits_for_locks_instead_of_failing(tmp_path):
    with open_store(tmp_path) as store, store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 10_000


def test_opening_and_reading_do_not_wait_for_a_writer(tmp_path):
    with open_store(tmp_path):
        pass  # created and migrated
    writer = sqlite3.connect(tmp_path / "state" / "offsets.db", isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # a commit in progress elsewhere holds the write lock
    try:
        finished = threading.Event()

        def read() -> None:
            with open_store(tmp_path) as store:
                store.totals()
                store.checkpoints()
            finished.set()

        threading.Thread(target=read, daemon=True).start()
        assert finished.wait(10)
    finally:
        writer.rollback()
        writer.close()


def test_an_explicit_url_is_used(tmp_path):
    url = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    with open_store(tmp_path / "home", url) as store:
        assert store.url == url
    assert (tmp_path / "elsewhere.db").exists()
    assert not (tmp_path / "home" / "state").exists()


def test_reopening_keeps_the_data_and_does_not_migrate_again(tmp_path, logs):
    LogWriter().append(logs / "a.log", 3)
    run_pipeline(tmp_path, [logs])
    with open_store(tmp_path) as store:
        assert sum(store.totals().values()) == 3
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM schema_version").scalar() == 1


def test_a_database_from_a_newer_version_is_refused(tmp_path):
    with open_store(tmp_path):
        pass
    with sqlite3.connect(tmp_path / "state" / "offsets.db") as conn:
        conn.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    with pytest.raises(SchemaTooNew, match="newer|knows up to"):
        OffsetStore(default_state_url(tmp_path))


def test_an_empty_database_is_migrated_from_version_zero(tmp_path):
    db = tmp_path / "old.db"
    sqlite3.connect(db).close()
    with OffsetStore(f"sqlite:///{db}") as store, store.engine.connect() as conn:
        tables = set(sa.inspect(conn).get_table_names())
    assert {"schema_version", "offsets", "stream_stats", "commits"} <= tables


def test_device_and_inode_numbers_above_2_63_round_trip():
    for value in (0, 1, 2**63 - 1, 2**63, 2**64 - 1):
        assert from_db_int(to_db_int(value)) == value
        assert -(2**63) <= to_db_int(value) < 2**63


# -- what the planner reads -------------------------------------------------------------------


def _count_head_reads(monkeypatch) -> list[str]:
    opened: list[str] = []
    real = planner_module.try_read_head

    def counting(path, compressed=False):
        opened.append(path)
        return real(path, compressed)

    monkeypatch.setattr(planner_module, "try_read_head", counting)
    monkeypatch.setattr(rotation_module, "try_read_head", counting)
    return opened


def test_going_from_1000_to_1200_files_reads_only_the_200_new_ones(tmp_path, logs, monkeypatch):
    writer = LogWriter()
    for i in range(1000):
        writer.append(logs / f"f{i:04d}.log", 1)
    run_pipeline(tmp_path, [logs])
    for i in range(1000, 1200):
        writer.append(logs / f"f{i:04d}.log", 1)
    opened = _count_head_reads(monkeypatch)
    outcome = run_pipeline(tmp_path, [logs])
    assert outcome.plan.files_unchanged == 1000
    assert len(outcome.tasks) == 200
    assert sorted(os.path.basename(p) for p in opened) == [f"f{i}.log" for i in range(1000, 1200)]
    assert outcome.summary.bytes == sum(t.stop for t in outcome.tasks)
    with open_store(tmp_path) as store:
        assert sum(store.totals().values()) == 1200


def test_unchanged_files_are_not_opened_at_all(tmp_path, logs, monkeypatch):
    LogWriter().append(logs / "a.log", 5)
    run_pipeline(tmp_path, [logs])
    opened = _count_head_reads(monkeypatch)
    with open_store(tmp_path) as store:
        plan = _plan(store, logs)
    assert (plan.tasks, plan.files_unchanged, opened) == ([], 1, [])


def test_ten_thousand_files_cost_statements_per_chunk_not_per_file(tmp_path, logs):
    """Planning and committing scale with batches, not files: a statement per file would take
    10,000 round trips (seconds on Postgres). Counted, not timed: the count does not depend on
    how loaded the machine is."""
    for i in range(10_000):
        (logs / f"f{i}.log").write_bytes(b"2024-01-01 00:00:00,000 INFO x: y\n")
    with open_store(tmp_path) as store:
        plan = _plan(store, logs)
        # Results made up rather than scanned: this measures the store, not the scanner.
        done = [(t, ScanResult(t.path, t.start, t.stop, lines=1)) for t in plan.tasks]
        statements = []
        sa.event.listen(store.engine, "before_cursor_execute", lambda *a: statements.append(1))
        store.commit("first", done, plan.forgotten)
        committed = len(statements)
        statements.clear()
        again = _plan(store, logs)
        planned = len(statements)
    assert again.files_unchanged == 10_000 and again.tasks == []
    assert planned <= 3, planned
    assert committed <= 10 * (10_000 // IN_CHUNK) + 10, committed


def test_tasks_and_forgets_are_small_and_picklable(tmp_path, logs):
    LogWriter().append(logs / "a.log", 2)
    with open_store(tmp_path) as store:
        plan = _plan(store, logs)
    [task] = plan.tasks
    assert pickle.loads(pickle.dumps(task)) == task
    assert len(pickle.dumps(task)) < 1500
    assert isinstance(task, ReadTask) and task.stream == task.path


# -- the commit -------------------------------------------------------------------------------


def test_commit_is_idempotent_for_a_run_id(tmp_path, logs):
    LogWriter().append(logs / "a.log", 4)
    with open_store(tmp_path) as store:
        plan = _plan(store, logs)
        done = _scan_all(plan)
        first = store.commit("run-1", done, plan.forgotten)
        again = store.commit("run-1", done, plan.forgotten)
        assert (first.already_committed, again.already_committed) == (False, True)
        assert again.lines == first.lines == 4
        assert sum(store.totals().values()) == 4
        assert len(store.commit_log()) == 1


def test_unpublished_changes_are_the_commits_with_counts_not_yet_in_the_warehouse(tmp_path, logs):
    from logingest_dagster.engine.warehouse import publish

    LogWriter().append(logs / "a.log", 4)
    run_pipeline(tmp_path, [str(logs)], run_id="published", write_parquet=True)
    with open_store(tmp_path) as store:
        assert store.unpublished_changes() == set()
    run_pipeline(tmp_path, [str(logs)], run_id="nothing-new")  # a row of zeros: not a change
    with open_store(tmp_path) as store:
        assert store.unpublished_changes() == set()
    LogWriter().append(logs / "a.log", 2)
    run_pipeline(tmp_path, [str(logs)], run_id="unpublished")  # committed, not published
    with open_store(tmp_path) as store:
        assert store.unpublished_changes() == {"unpublished"}
        publish(tmp_path, store)
        assert store.unpublished_changes() == set()


def test_overlapping_runs_never_double_count(tmp_path, logs):
    writer = LogWriter()
    writer.append(logs / "a.log", 5)
    writer.append(logs / "b.log", 5)
    with open_store(tmp_path) as store:
        plan_a, plan_b = _plan(store, logs), _plan(store, logs)  # both start from the same state
        done_a, done_b = _scan_all(plan_a), _scan_all(plan_b)
        won = store.commit("a", done_a, plan_a.forgotten)
        lost = store.commit("b", done_b, plan_b.forgotten)
        assert (won.files, won.conflicts) == (2, 0)
        assert (lost.files, lost.conflicts) == (0, 2)
        assert store.totals() == writer.totals()
    writer.append(logs / "a.log", 1)  # the loser's files are simply read again next time
    assert run_pipeline(tmp_path, [logs]).summary.lines == 1


def test_a_commit_planned_before_a_reset_is_dropped(tmp_path, logs):
    writer = LogWriter()
    writer.append(logs / "a.log", 5)
    run_pipeline(tmp_path, [logs])
    writer.append(logs / "a.log", 2)
    with open_store(tmp_path) as store:
        plan = _plan(store, logs)
        store.reset()
        summary = store.commit("late", _scan_all(plan), plan.forgotten)
        assert summary.conflicts == 1 and summary.lines == 0
    run_pipeline(tmp_path, [logs])  # read again, from 0, once
    with open_store(tmp_path) as store:
        assert store.totals() == writer.totals()


def test_a_unit_commits_whole_or_not_at_all(tmp_path, logs):
    writer = LogWriter()
    writer.append(logs / "app.log", 10)
    run_pipeline(tmp_path, [logs])
    writer.append(logs / "app.log", 3)
    os.rename(logs / "app.log", logs / "app.log.1")
    writer.append(logs / "app.log", 4)
    with open_store(tmp_path) as store:
        plan = _plan(store, logs)
        assert {t.unit for t in plan.tasks} == {str(logs / "app.log")}
        assert [t.unit_size for t in plan.tasks] == [2, 2]
        new_file_only = [pair for pair in _scan_all(plan) if pair[0].kind != "rotated_tail"]
        summary = store.commit("half", new_file_only, plan.forgotten)
        assert (summary.files, summary.incomplete) == (0, 1)
    run_pipeline(tmp_path, [logs])  # both are read next run, once
    with open_store(tmp_path) as store:
        assert store.totals() == writer.totals()


def test_failed_or_interrupted_results_are_not_committed(tmp_path, logs):
    writer = LogWriter()
    writer.append(logs / "a.log", 3)
    with open_store(tmp_path) as store:
        plan = _plan(store, logs)
        [(task, result)] = _scan_all(plan)
        result.interrupted = True
        assert store.commit("x", [(task, result)], []).incomplete == 1
        result.interrupted, result.error = False, "unreadable"
        assert store.commit("y", [(task, result)], []).incomplete == 1
        assert sum(store.totals().values()) == 0
        assert store.checkpoints() == {}


# -- counts, operator views -------------------------------------------------------------------


def test_counts_survive_deletion_and_recreation_adds_to_the_same_path(tmp_path, logs):
    writer = LogWriter()
    writer.append(logs / "a.log", 4)
    run_pipeline(tmp_path, [logs])
    first_size = (logs / "a.log").stat().st_size
    os.unlink(logs / "a.log")
    run_pipeline(tmp_path, [logs])
    with open_store(tmp_path) as store:
        assert store.checkpoints() == {}
        assert [r["lines"] for r in store.file_stats()] == [4]
    writer.append(logs / "a.log", 2)
    run_pipeline(tmp_path, [logs])
    with open_store(tmp_path) as store:
        [row] = store.file_stats()
        assert (row["path"], row["lines"]) == (str(logs / "a.log"), 6)
        assert {level: row[level] for level in LEVELS} == writer.totals()
        assert row["bytes"] == first_size + (logs / "a.log").stat().st_size
        assert store.totals() == writer.totals()


def test_tracked_lists_offset_size_and_unread_bytes(tmp_path, logs):
    writer = LogWriter()
    writer.append(logs / "a.log", 2)
    writer.append(logs / "b.log", 2)
    run_pipeline(tmp_path, [logs])
    offset = (logs / "a.log").stat().st_size
    writer.append(logs / "a.log", 1)
    os.unlink(logs / "b.log")
    with open_store(tmp_path) as store:
        rows = {os.path.basename(r["path"]): r for r in store.tracked()}
    size = (logs / "a.log").stat().st_size
    assert (rows["a.log"]["offset"], rows["a.log"]["size"]) == (offset, size)
    assert (rows["a.log"]["unread"], rows["a.log"]["status"]) == (size - offset, "tracked")
    assert (rows["b.log"]["unread"], rows["b.log"]["status"]) == (0, "missing")


def test_a_draining_rotated_file_is_listed_and_reset_with_its_stream(tmp_path, logs):
    writer = LogWriter()
    writer.append(logs / "a.log", 2)
    run_pipeline(tmp_path, [logs])
    os.rename(logs / "a.log", logs / "a.log.1")
    writer.append(logs / "a.log", 1)
    run_pipeline(tmp_path, [logs])  # a.log.1 was written just now: it drains
    with open_store(tmp_path) as store:
        rows = store.tracked()
        assert [r["status"] for r in rows] == ["tracked", "draining"]
        assert rows[1]["path"].startswith(str(logs / "a.log") + "#")
        assert store.reset([str(logs / "a.log")]) == 1  # one stream, its draining row with it
        assert store.tracked() == []


def test_reset_forgets_offsets_and_counts_so_a_reread_counts_once(tmp_path, logs):
    writer = LogWriter()
    writer.append(logs / "a.log", 3)
    writer.append(logs / "b.log", 4)
    run_pipeline(tmp_path, [logs])
    with open_store(tmp_path) as store:
        assert store.reset([str(logs / "a.log")]) == 1
        assert [os.path.basename(r["path"]) for r in store.tracked()] == ["b.log"]
    assert run_pipeline(tmp_path, [logs]).summary.lines == 3
    with open_store(tmp_path) as store:
        assert store.totals() == writer.totals()
        assert store.reset() == 2
        assert sum(store.totals().values()) == 0
    run_pipeline(tmp_path, [logs])
    with open_store(tmp_path) as store:
        assert store.totals() == writer.totals()
        log = store.commit_log()
        summed = {level: sum(row[level.lower()] for row in log) for level in LEVELS}
        assert summed == store.totals()  # the commit log sums to the totals, resets included


def test_max_files_defers_the_rest_least_recently_served_first(tmp_path, logs):
    writer = LogWriter()
    for i in range(5):
        writer.append(logs / f"f{i}.log", 1)
        os.utime(logs / f"f{i}.log", (1000 + i, 1000 + i))
    first = run_pipeline(tmp_path, [logs], max_files=2)
    assert [os.path.basename(t.path) for t in first.tasks] == ["f0.log", "f1.log"]
    assert first.plan.files_deferred == 3
    for i in (0, 1):
        writer.append(logs / f"f{i}.log", 1)  # the served ones change again...
    second = run_pipeline(tmp_path, [logs], max_files=2)
    assert [os.path.basename(t.path) for t in second.tasks] == ["f2.log", "f3.log"]
    third = run_pipeline(tmp_path, [logs], max_files=2)  # ...but wait their turn
    assert [os.path.basename(t.path) for t in third.tasks] == ["f4.log", "f0.log"]
    run_pipeline(tmp_path, [logs], max_files=2)
    with open_store(tmp_path) as store:
        assert store.totals() == writer.totals()
