"""The files each stream has read (`files_read`, schema 9): kept, bounded, reset, migrated, and
what they let the planner tell apart (see `plan/generations.py`)."""

from __future__ import annotations

import sqlite3
import uuid

import pytest
import sqlalchemy as sa
from lifecycle_driver import ingest, settings_for
from test_lifecycle import World, _copytruncate, _gzip, _rotate

from logingest_dagster.engine import pipeline
from logingest_dagster.engine.state import SCHEMA_VERSION, files_read, open_store


@pytest.fixture
def world(tmp_path) -> World:
    return World(tmp_path)


def _read(world: World) -> list:
    with open_store(world.home) as store:
        return store.files_read(str(world.path("app.log")))


def test_a_stream_keeps_the_file_it_let_go_of_and_how_far_it_read_it(world):
    world.append("app.log", 3)
    world.run()
    first = world.path("app.log").stat()
    _rotate(world, "app.log", "app.log.1")
    world.append("app.log", 1)
    world.run(grace=0.0)  # quiet: read once, no draining row keeps it
    [old] = [r for r in _read(world) if r.identity.same_inode(first.st_dev, first.st_ino)]
    assert old.read_to == first.st_size


def test_only_the_newest_files_of_a_stream_are_kept(world, monkeypatch):
    monkeypatch.setattr(files_read, "KEPT_PER_STREAM", 3)
    for n in range(6):
        world.append("app.log", 1)
        world.run(grace=0.0)
        _rotate(world, "app.log", f"app.log.{n + 1}")
    world.append("app.log", 1)
    world.run(grace=0.0)
    assert 3 <= len(_read(world)) <= 4  # the newest commit may write two at once
    world.assert_exact()


def test_a_reset_forgets_what_the_stream_read(world):
    world.append("app.log", 2)
    world.run()
    assert _read(world)
    with open_store(world.home) as store:
        store.reset([str(world.path("app.log"))])
    assert _read(world) == []


def test_a_version_8_store_gains_files_read_at_version_9_and_keeps_its_offsets(world):
    world.append("app.log", 2)
    world.run()
    db = world.home / "state" / "offsets.db"
    with sqlite3.connect(db) as conn:
        conn.execute("DROP TABLE files_read")
        conn.execute("ALTER TABLE pending_events DROP COLUMN batch")  # version 10's
        conn.execute("UPDATE schema_version SET version = 8")
    with open_store(world.home) as store, store.engine.connect() as conn:
        assert "files_read" in sa.inspect(conn).get_table_names()
        version = conn.exec_driver_sql("SELECT version FROM schema_version").scalar()
        assert version == SCHEMA_VERSION
        assert len(store.checkpoints()) == 1
    assert SCHEMA_VERSION >= 9
    assert world.run().tasks == []
    world.assert_exact()


def test_an_old_generation_compressed_after_the_upgrade_is_not_read_again(world):
    """A store from before schema 9 has no history: logrotate's delaycompress then compresses
    the generation read long ago into a new inode with a new mtime. Without a history to
    recognise it by, it is not taken for a generation never read."""
    world.append("app.log", 4)
    world.run()
    _rotate(world, "app.log", "app.log.1")
    world.append("app.log", 2)
    world.run(grace=0.0)
    with open_store(world.home) as store, store.engine.begin() as conn:
        conn.execute(sa.delete(files_read.files_read))  # as a store upgraded from version 8
    _rotate(world, "app.log.1", "app.log.2")
    _gzip(world, "app.log.2")
    _rotate(world, "app.log", "app.log.1")
    world.append("app.log", 1)
    outcome = world.run()
    assert "app.log.2.gz" not in world.reads(outcome) and outcome.summary.lines == 1
    world.assert_exact()


def test_overlapping_runs_read_a_generation_once_even_where_no_row_moves(world):
    """A file last seen empty, copytruncated and left empty: the copy is read, and no row is
    rewritten (the file is as long as its offset). Two runs planned from the same state must
    not both count the copy: the commit bumps the rows the read was planned from."""
    world.path("app.log").touch()
    world.run()
    world.append("app.log", 4)
    _copytruncate(world, "app.log", "app.log.1")
    settings = settings_for([world.logs], 0.0)  # quiet at once: the copy is read once, not drained
    with open_store(world.home) as store:
        plans = [pipeline.discover(settings, store) for _ in range(2)]
        assert all(len(found.tasks) == 1 for found in plans)
        summaries = [
            pipeline.commit(store, uuid.uuid4().hex, found.plan, ingest(found.tasks)).commit
            for found in plans
        ]
    assert [s.lines for s in summaries] == [4, 0] and summaries[1].conflicts == 1
    world.assert_exact()
