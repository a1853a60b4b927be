"""Each alert claimed once in the offset store: across runs, overlapping runs, and retries."""

from __future__ import annotations

import multiprocessing
import sqlite3

import sqlalchemy as sa

from logingest_dagster.engine.state import SCHEMA_VERSION, open_store
from logingest_dagster.engine.state.alerts_sent import STALE_CLAIM_SECONDS, AlertKey

KEYS = {AlertKey("default", f"/logs/{i}.log", 29_000_000 + i): f'{{"n": {i}}}' for i in range(20)}


def test_a_later_run_does_not_claim_what_an_earlier_one_did(tmp_path):
    with open_store(tmp_path) as store:
        assert store.claim_alerts("run-1", KEYS) == list(KEYS)
        assert store.claim_alerts("run-2", KEYS) == []
        store.settle_alerts([(key, True) for key in KEYS])
        assert store.claim_alerts("run-3", KEYS) == []


def test_a_run_whose_step_runs_again_claims_its_unsettled_alerts_again(tmp_path):
    with open_store(tmp_path) as store:
        store.claim_alerts("run-1", KEYS)
        assert store.claim_alerts("run-1", KEYS) == list(KEYS)  # a retried publish step
        store.settle_alerts([(key, True) for key in KEYS])
        assert store.claim_alerts("run-1", KEYS) == []


def _claim_in_a_process(args) -> list[tuple]:
    home, run_id, barrier = args
    barrier.wait()
    with open_store(home) as store:
        return [tuple(key) for key in store.claim_alerts(run_id, KEYS)]


def test_overlapping_runs_in_separate_processes_claim_each_alert_exactly_once(tmp_path):
    with open_store(tmp_path):
        pass  # created: the processes race on claims, not on creating the schema
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager:
        barrier = manager.Barrier(4)
        with context.Pool(4) as pool:
            claimed = pool.map(
                _claim_in_a_process, [(str(tmp_path), f"run-{i}", barrier) for i in range(4)]
            )
    everything = [key for keys in claimed for key in keys]
    assert sorted(everything) == sorted(tuple(k) for k in KEYS)  # each once, none lost


def test_a_failed_alert_is_taken_over_by_the_next_run_and_a_fresh_claim_is_not(tmp_path):
    failed = list(KEYS)[:2]
    with open_store(tmp_path) as store:
        store.claim_alerts("run-1", KEYS)
        store.settle_alerts([(key, False) for key in failed])
        taken = store.take_over_alerts("run-2", oldest=0)
        assert [key for key, _ in taken] == failed
        assert [payload for _, payload in taken] == [KEYS[k] for k in failed]
        assert store.take_over_alerts("run-3", oldest=0) == []  # run-2 holds them now
        # A claim never settled (its run died) is taken over once it is stale.
        with store.engine.begin() as conn:
            conn.exec_driver_sql(
                "UPDATE alerts_sent SET claimed_at = claimed_at - ? WHERE status = 'claimed'",
                (STALE_CLAIM_SECONDS + 1,),
            )
        assert {key for key, _ in store.take_over_alerts("run-4", oldest=0)} == set(KEYS)


def test_a_version_7_store_gains_the_alerts_table_at_version_8(tmp_path):
    with open_store(tmp_path):
        pass
    db = tmp_path / "state" / "offsets.db"
    with sqlite3.connect(db) as conn:
        conn.execute("DROP TABLE alerts_sent")
        conn.execute("DROP TABLE files_read")  # version 9's
        conn.execute("ALTER TABLE pending_events DROP COLUMN batch")  # version 10's
        conn.execute("UPDATE schema_version SET version = 7")
    with open_store(tmp_path) as store:
        assert store.claim_alerts("run-1", KEYS) == list(KEYS)
        with store.engine.connect() as conn:
            assert "alerts_sent" in sa.inspect(conn).get_table_names()
            version = conn.exec_driver_sql("SELECT version FROM schema_version").scalar()
            assert version == SCHEMA_VERSION >= 8
