"""The offset store on a real PostgreSQL server: what "a URL, so Postgres can back it" promises.

A throwaway server (postgres_server.py) runs for the session; every test gets a new database. The
store-level tests of test_state.py, every lifecycle scenario of test_lifecycle.py and some seeds of
the random model run unchanged against it: `on_postgres` points each `open_store(home)` they make
at the test's database. The tests here cover what only a server shows: first opens racing from
several processes, commits racing from several connections, a writer holding the lock.

Skipped, with the reason, where no PostgreSQL server binaries are installed (`make test` installs
them when it can: as root with apt-get).
"""

from __future__ import annotations

import inspect
import multiprocessing
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import lifecycle_driver
import pytest
import sqlalchemy as sa
import test_kill
import test_lifecycle
import test_model_random
import test_state
import test_templates
from lifecycle_driver import LogWriter, run_pipeline
from postgres_server import PostgresServer, running_postgres, why_missing

from logingest_dagster.engine.discover import discover
from logingest_dagster.engine.plan import plan_reads
from logingest_dagster.engine.scan import scan_range
from logingest_dagster.engine.state import SCHEMA_VERSION, OffsetStore, SchemaTooNew, open_store
from logingest_dagster.engine.state import store as state

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="session")
def postgres() -> PostgresServer:
    reason = why_missing()
    if reason:
        pytest.skip(reason)
    with running_postgres() as server:
        yield server


@pytest.fixture
def pg_url(postgres: PostgresServer) -> str:
    return postgres.create_database()


@pytest.fixture
def on_postgres(pg_url, monkeypatch) -> str:
    """Every `open_store(home)` of the reused helpers and tests opens this test's database."""

    def open_on_postgres(home, url=None):
        return state.open_store(home, pg_url)

    for module in (lifecycle_driver, test_state, test_lifecycle, test_model_random, test_templates):
        monkeypatch.setattr(module, "open_store", open_on_postgres)
    return pg_url


def _call(test, tmp_path, monkeypatch, **params):
    """Call a test function of another module, giving it the fixtures it asks for (and the
    values of its own parametrization, `params`)."""

    def logs():
        (tmp_path / "logs").mkdir()
        return tmp_path / "logs"

    make = {
        "tmp_path": lambda: tmp_path,
        "monkeypatch": lambda: monkeypatch,
        "logs": logs,
        "world": lambda: test_lifecycle.World(tmp_path),
    }
    names = [name for name in inspect.signature(test).parameters if name not in params]
    test(**{name: make[name]() for name in names}, **params)


def _cases(module) -> list:
    """Each test of `module` with each of its parametrizations (one argument name each)."""
    cases = []
    for name in sorted(n for n in vars(module) if n.startswith("test_")):
        marks = [
            m for m in getattr(vars(module)[name], "pytestmark", []) if m.name == "parametrize"
        ]
        if not marks:
            cases.append(pytest.param(name, {}, id=name))
            continue
        argname, values = marks[0].args[0], marks[0].args[1]
        cases += [pytest.param(name, {argname: v}, id=f"{name}[{v}]") for v in values]
    return cases


# -- the store-level and lifecycle tests, unchanged, on Postgres --------------------------------

STORE_TESTS = [
    "test_reopening_keeps_the_data_and_does_not_migrate_again",
    "test_going_from_1000_to_1200_files_reads_only_the_200_new_ones",
    "test_ten_thousand_files_cost_statements_per_chunk_not_per_file",
    "test_commit_is_idempotent_for_a_run_id",
    "test_overlapping_runs_never_double_count",
    "test_a_commit_planned_before_a_reset_is_dropped",
    "test_a_unit_commits_whole_or_not_at_all",
    "test_failed_or_interrupted_results_are_not_committed",
    "test_counts_survive_deletion_and_recreation_adds_to_the_same_path",
    "test_tracked_lists_offset_size_and_unread_bytes",
    "test_reset_forgets_offsets_and_counts_so_a_reread_counts_once",
    "test_max_files_defers_the_rest_least_recently_served_first",
    "test_unpublished_changes_are_the_commits_with_counts_not_yet_in_the_warehouse",
]
LIFECYCLE_TESTS = _cases(test_lifecycle)
TEMPLATE_STORE_TESTS = [
    "test_ids_survive_a_restart_through_the_offset_store",
    "test_saving_writes_only_what_changed",
    "test_past_the_cap_a_file_new_messages_go_to_other_and_are_counted",
]


@pytest.mark.parametrize("name", STORE_TESTS)
def test_store_on_postgres(name, on_postgres, tmp_path, monkeypatch):
    _call(getattr(test_state, name), tmp_path, monkeypatch)


@pytest.mark.parametrize(("name", "params"), LIFECYCLE_TESTS)
def test_lifecycle_on_postgres(name, params, on_postgres, tmp_path, monkeypatch):
    _call(getattr(test_lifecycle, name), tmp_path, monkeypatch, **params)


@pytest.mark.parametrize("name", TEMPLATE_STORE_TESTS)
def test_template_state_on_postgres(name, on_postgres, tmp_path, monkeypatch):
    _call(getattr(test_templates, name), tmp_path, monkeypatch)


@pytest.mark.parametrize("seed", range(8))
def test_random_lifecycle_on_postgres(seed, on_postgres, tmp_path):
    test_model_random.test_random_lifecycle_counts_every_line_once(tmp_path, seed)


def test_the_reused_tests_really_use_postgres(on_postgres, tmp_path):
    LogWriter().append(tmp_path / "a.log", 2)
    run_pipeline(tmp_path / "home", [str(tmp_path)])
    assert not (tmp_path / "home" / "state").exists()
    with OffsetStore(on_postgres) as store:
        assert store.engine.dialect.name == "postgresql"
        assert sum(store.totals().values()) == 2


# -- opening and migrating ----------------------------------------------------------------------


def _open_at_barrier(url: str, barrier) -> None:
    barrier.wait(timeout=30)
    OffsetStore(url).close()


def test_first_opens_racing_from_several_processes_migrate_once(postgres):
    spawn = multiprocessing.get_context("spawn")
    for _ in range(3):  # a race: several rounds, each on a new database
        url = postgres.create_database("race")
        barrier = spawn.Barrier(4)
        workers = [spawn.Process(target=_open_at_barrier, args=(url, barrier)) for _ in range(4)]
        for w in workers:
            w.start()
        for w in workers:
            w.join(timeout=60)
        assert [w.exitcode for w in workers] == [0, 0, 0, 0]
        with OffsetStore(url) as store, store.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT version FROM schema_version").all() == [
                (SCHEMA_VERSION,)
            ]
            assert conn.exec_driver_sql("SELECT id FROM write_lock").all() == [(1,)]


def test_file_stats_are_in_bytewise_path_order_whatever_the_collation(postgres, tmp_path):
    url = postgres.create_database("en_us", icu_locale="en-US")  # sorts "_c" < "a" < "B"
    writer = LogWriter()
    names = ["B.log", "_c.log", "a-b.log", "a.log", "ab.log"]
    for name in names:
        writer.append(tmp_path / name, 1)
    with open_store(tmp_path, url) as store:
        plan = plan_reads(store, discover([str(tmp_path)], 2).entries, now=time.time())
        store.commit("one", _scan(plan), plan.forgotten)
        assert [Path(row["path"]).name for row in store.file_stats()] == sorted(names)
        assert [Path(row["path"]).name for row in store.tracked()] == sorted(names)


def test_opening_twice_keeps_everything(pg_url, tmp_path):
    LogWriter().append(tmp_path / "a.log", 3)
    with open_store(tmp_path, pg_url) as store:
        plan = plan_reads(store, discover([str(tmp_path)], 2).entries, now=time.time())
        store.commit("one", _scan(plan), plan.forgotten)
    with open_store(tmp_path, pg_url) as store:
        assert sum(store.totals().values()) == 3
        assert [row["run_id"] for row in store.commit_log()] == ["one"]


def test_a_database_from_a_newer_version_is_refused(pg_url):
    OffsetStore(pg_url).close()
    engine = sa.create_engine(pg_url)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"UPDATE schema_version SET version = {SCHEMA_VERSION + 1}")
    engine.dispose()
    with pytest.raises(SchemaTooNew, match="knows up to"):
        OffsetStore(pg_url)


def test_a_plain_postgresql_url_uses_the_installed_driver(pg_url):
    plain = pg_url.replace("postgresql+psycopg://", "postgresql://")
    with OffsetStore(plain) as store:
        assert store.url == plain
        assert store.totals()["INFO"] == 0


def test_opening_and_reading_do_not_wait_for_a_writer(pg_url, tmp_path):
    OffsetStore(pg_url).close()
    engine = sa.create_engine(pg_url)
    with engine.connect() as writer:
        writer.begin()
        writer.exec_driver_sql("UPDATE write_lock SET writes = writes + 1")  # a commit under way
        finished = threading.Event()

        def read() -> None:
            with open_store(tmp_path, pg_url) as store:
                store.totals()
                store.checkpoints()
                store.tracked()
            finished.set()

        threading.Thread(target=read, daemon=True).start()
        assert finished.wait(10)
        writer.rollback()
    engine.dispose()


# -- SIGKILL ------------------------------------------------------------------------------------

# lifecycle_driver.py as a process, its store on the given URL (first argument).
KILLED_DRIVER = f"""
import sys
sys.path.insert(0, {str(Path(__file__).parent)!r})
import lifecycle_driver
from logingest_dagster.engine.state import store as state
url = sys.argv.pop(1)
lifecycle_driver.open_store = lambda home, _url=None: state.open_store(home, url)
lifecycle_driver.main()
"""


@pytest.mark.parametrize(
    "point", ["scanning:2", "commit:1", "commit:5", "commit:9", "before-commit", "committed"]
)
def test_sigkill_leaves_postgres_state_that_one_clean_run_repairs(point, on_postgres, tmp_path):
    """test_kill.py's scenario: the process dies with its transaction open (or just after); the
    server rolls back what it had not committed, and the next run counts every line once."""
    scenario = test_kill.Scenario(tmp_path)
    proc = subprocess.run(
        [sys.executable, "-c", KILLED_DRIVER, on_postgres, "--home", str(scenario.home)]
        + ["--kill-at", point]
        + [arg for d in scenario.dirs for arg in ("--log-dir", str(d))],
        capture_output=True,
        timeout=60,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()[-2000:]
    run_pipeline(scenario.home, scenario.dirs)
    with OffsetStore(on_postgres) as store:
        assert store.totals() == scenario.writer.totals()
        assert sum(row["lines"] for row in store.file_stats()) == scenario.writer.written


# -- concurrent commits -------------------------------------------------------------------------


def _scan(plan):
    return [
        (t, scan_range(t.path, t.start, t.stop, final=t.final, compressed=t.compressed))
        for t in plan.tasks
    ]


def test_commits_racing_from_several_connections_count_everything_once(pg_url, tmp_path):
    """Four runs plan from the same state and commit at once, each on its own connection: the
    write_lock row queues them, and each file's results are kept from exactly one of them."""
    logs = tmp_path / "logs"
    logs.mkdir()
    writer = LogWriter()
    for i in range(20):
        writer.append(logs / f"f{i:02d}.log", 5)
    n = 4
    stores = [OffsetStore(pg_url) for _ in range(n)]
    try:
        entries = discover([str(logs)], 2).entries
        plans = [plan_reads(s, entries, now=time.time()) for s in stores]
        done = [_scan(plan) for plan in plans]
        barrier = threading.Barrier(n)
        summaries: list = [None] * n

        def commit(i: int) -> None:
            barrier.wait(timeout=30)
            summaries[i] = stores[i].commit(f"run-{i}", done[i], plans[i].forgotten)

        threads = [threading.Thread(target=commit, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert all(s is not None for s in summaries)
        assert sorted(s.files for s in summaries) == [0] * (n - 1) + [20]
        assert sum(s.conflicts for s in summaries) == 20 * (n - 1)
        assert stores[0].totals() == writer.totals()
        assert sum(row["lines"] for row in stores[0].file_stats()) == 100
    finally:
        for s in stores:
            s.close()
    writer.append(logs / "f00.log", 1)  # the losers' files are not read again: only the new line
    with open_store(tmp_path, pg_url) as store:
        plan = plan_reads(store, discover([str(logs)], 2).entries, now=time.time())
        assert store.commit("after", _scan(plan), plan.forgotten).lines == 1
        assert store.totals() == writer.totals()


def test_a_reset_racing_a_commit_never_double_counts(pg_url, tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    writer = LogWriter()
    writer.append(logs / "a.log", 4)
    with open_store(tmp_path, pg_url) as store, open_store(tmp_path, pg_url) as other:
        plan = plan_reads(store, discover([str(logs)], 2).entries, now=time.time())
        store.commit("first", _scan(plan), plan.forgotten)
        writer.append(logs / "a.log", 2)
        late = plan_reads(store, discover([str(logs)], 2).entries, now=time.time())
        barrier = threading.Barrier(2)
        results = {}

        def reset() -> None:
            barrier.wait(timeout=30)
            results["reset"] = other.reset()

        thread = threading.Thread(target=reset)
        thread.start()
        barrier.wait(timeout=30)
        results["commit"] = store.commit("late", _scan(late), late.forgotten)
        thread.join(timeout=60)
        # Either order: the reset first drops the late commit (its row changed), or the commit
        # first is then forgotten by the reset. A full re-read then counts everything once.
        again = plan_reads(store, discover([str(logs)], 2).entries, now=time.time())
        store.commit("again", _scan(again), again.forgotten)
        assert store.totals() == writer.totals()


def test_alert_claims_racing_from_several_connections_claim_each_alert_once(pg_url):
    """Four overlapping runs claim the same alerts at once: the write lock queues them, so each
    alert is claimed (and sent) by exactly one."""
    from logingest_dagster.engine.state.alerts_sent import AlertKey

    keys = {AlertKey("default", f"/logs/{i}.log", 29_000_000): "{}" for i in range(30)}
    n = 4
    stores = [OffsetStore(pg_url) for _ in range(n)]
    try:
        barrier = threading.Barrier(n)
        claimed: list = [None] * n

        def claim(i: int) -> None:
            barrier.wait(timeout=30)
            claimed[i] = stores[i].claim_alerts(f"run-{i}", keys)

        threads = [threading.Thread(target=claim, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert all(c is not None for c in claimed)
        assert sorted(k for c in claimed for k in c) == sorted(keys)
    finally:
        for s in stores:
            s.close()
