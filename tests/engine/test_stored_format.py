"""A file's detected format is stored with its offset, and its later reads skip detection."""

from __future__ import annotations

import sqlite3
import time

import pytest
import sqlalchemy as sa

from logingest_dagster.engine.discover import discover
from logingest_dagster.engine.plan import plan_reads
from logingest_dagster.engine.scan import BatchScan, ScanRequest
from logingest_dagster.engine.scan import range_scanner as scan_module
from logingest_dagster.engine.scan.range_scanner import SNIFF_LINES
from logingest_dagster.engine.scan.result import DETECTION_VERSION, ScanOptions
from logingest_dagster.engine.state import open_store
from logingest_dagster.engine.state.schema import SCHEMA_VERSION, _migrate_to_1

LOG4J = "2026-11-26 12:00:{s:02d},000 {level} [main] c.a.B - message {i}\n"
STORED = f"{DETECTION_VERSION}/bracket_column2"  # what LOG4J lines are detected as, stored


def _lines(n: int, start: int = 0, level: str = "INFO") -> str:
    return "".join(LOG4J.format(s=i % 60, level=level, i=i) for i in range(start, start + n))


def _append(path, n: int, level: str) -> None:
    with path.open("a") as f:
        f.write(_lines(n, start=10_000, level=level))


def _run(home, logs, options: ScanOptions | None = None, **split: int):
    """One run as the Dagster job makes it: plan, scan with the stored formats, commit.
    `split`: BatchScan's split sizes, to have one file scanned as several pieces."""
    with open_store(home) as store:
        plan = plan_reads(store, discover([str(logs)], 2).entries, now=time.time() + 3600)
        requests = [
            ScanRequest(
                t.path, t.start, t.stop, final=t.final, format_key=t.format_key, options=options
            )
            for t in plan.tasks
        ]
        results = {(r.path, r.start): r for r in BatchScan(requests, workers=2, **split)}
        done = [(t, results[(t.path, t.start)]) for t in plan.tasks]
        store.commit(f"run-{time.monotonic_ns()}", done, plan.forgotten)
        return plan, done, store.checkpoints()


@pytest.fixture
def logs(tmp_path):
    path = tmp_path / "logs"
    path.mkdir()
    return path


@pytest.fixture
def app(logs):
    """A log4j file long enough to settle its format, read once by a first run."""
    path = logs / "app.log"
    path.write_text(_lines(200))
    _, _, rows = _run(logs.parent / "home", logs)
    assert rows[str(path)].format_key == STORED
    return path


def _refuse(head, options):
    raise AssertionError("detected again")  # the scan then reports an internal error


def test_a_grown_file_is_read_on_without_detecting_it_again(app, logs, monkeypatch):
    _append(app, 10, "ERROR")
    monkeypatch.setattr(scan_module, "sniff", _refuse)
    plan, done, rows = _run(logs.parent / "home", logs)
    assert [t.format_key for t in plan.tasks] == [STORED]
    [(_, result)] = done
    assert result.error is None
    assert result.counts["ERROR"] == 10
    assert rows[str(app)].format_key == STORED


def test_a_file_scanned_in_pieces_keeps_its_format_and_is_not_detected_again(logs, monkeypatch):
    app = logs / "app.log"
    app.write_text(_lines(3000))
    split = {"split_bytes": 64 << 10, "split_piece": 32 << 10}
    _, [(_, first)], rows = _run(logs.parent / "home", logs, **split)
    assert first.lines == 3000
    assert rows[str(app)].format_key == STORED

    _append(app, 2000, "WARN")  # enough to be split again
    monkeypatch.setattr(scan_module, "sniff", _refuse)
    _, [(_, result)], rows = _run(logs.parent / "home", logs, **split)
    assert result.error is None
    assert result.counts["WARN"] == 2000
    assert rows[str(app)].format_key == STORED


def test_a_file_shorter_than_the_sample_is_detected_again_until_it_is_not(logs):
    app = logs / "app.log"
    app.write_text("starting up\n" + _lines(3))  # too few lines to settle on a format
    _, _, rows = _run(logs.parent / "home", logs)
    assert rows[str(app)].format_key is None

    _append(app, SNIFF_LINES, "INFO")
    _, _, rows = _run(logs.parent / "home", logs)
    assert rows[str(app)].format_key == STORED


def test_a_level_pattern_overrides_a_stored_format(app, logs):
    _append(app, 5, "WARN")
    # The override reads the 4th field, the thread: no level there, so all 5 are UNKNOWN.
    override = ScanOptions(level_pattern=r"^\S+ \S+ \S+ \[(?P<level>\w+)\]")
    _, [(_, result)], rows = _run(logs.parent / "home", logs, override)
    assert result.format == "custom"
    assert result.counts["UNKNOWN"] == 5
    assert rows[str(app)].format_key is None  # an override is never stored as the file's format


def test_a_format_stored_by_another_detection_version_is_detected_again(app, logs):
    with sqlite3.connect(logs.parent / "home" / "state" / "offsets.db") as conn:
        conn.execute("UPDATE offsets SET format = '0/column7'")
    _append(app, 5, "WARN")
    _, [(_, result)], rows = _run(logs.parent / "home", logs)
    assert result.counts["WARN"] == 5
    assert rows[str(app)].format_key == STORED


def test_a_version_1_store_is_migrated_and_keeps_its_offsets(logs):
    app = logs / "app.log"
    app.write_text(_lines(200))
    # A store as version 1 left it, tracking app.log up to its end.
    db = logs.parent / "home" / "state" / "offsets.db"
    db.parent.mkdir(parents=True)
    engine = sa.create_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        conn.exec_driver_sql("INSERT INTO schema_version VALUES (1)")
        _migrate_to_1(conn)
        st = app.stat()
        conn.exec_driver_sql(
            "INSERT INTO offsets VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (str(app), st.st_dev, st.st_ino, "", 0, st.st_size, st.st_size, st.st_mtime, 1, 0.0),
        )
    engine.dispose()

    with open_store(logs.parent / "home") as store:
        rows = store.checkpoints()
    assert rows[str(app)].offset == app.stat().st_size
    assert rows[str(app)].format_key is None
    assert rows[str(app)].drains_into is None  # version 3: a stream row, not a draining one
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]
