"""A file's detected format is stored with its offset, and its later reads skip detection."""

from __future__ import annotations

import sqlite3
import time

import sqlalchemy as sa

from logingest_dagster.engine import scan as scan_module
from logingest_dagster.engine.batch import BatchScan, ScanRequest
from logingest_dagster.engine.discovery import discover
from logingest_dagster.engine.scan import SNIFF_LINES
from logingest_dagster.engine.scan_result import DETECTION_VERSION, ScanOptions
from logingest_dagster.engine.state import open_store, plan_reads
from logingest_dagster.engine.state_schema import SCHEMA_VERSION, _migrate_to_1

LOG4J = "2026-11-26 12:00:{s:02d},000 {level} [main] c.a.B - message {i}\n"


def _lines(n: int, start: int = 0, level: str = "INFO") -> str:
    return "".join(LOG4J.format(s=i % 60, level=level, i=i) for i in range(start, start + n))


def _run(home, logs, options: ScanOptions | None = None):
    """One run as the Dagster job makes it: plan, scan with the stored formats, commit."""
    with open_store(home) as store:
        plan = plan_reads(store, discover([str(logs)], 2).entries, now=time.time() + 3600)
        requests = [
            ScanRequest(t.path, t.start, t.stop, final=t.final, format=t.format, options=options)
            for t in plan.tasks
        ]
        results = {(r.path, r.start): r for r in BatchScan(requests, workers=2)}
        done = [(t, results[(t.path, t.start)]) for t in plan.tasks]
        store.commit(f"run-{time.monotonic_ns()}", done, plan.forgotten)
        return plan, done, store.checkpoints()


def _refuse(head, options):
    raise AssertionError("detected again")  # the scan then reports an internal error


def test_a_grown_file_is_read_on_without_detecting_it_again(tmp_path, monkeypatch):
    logs = tmp_path / "logs"
    logs.mkdir()
    app = logs / "app.log"
    app.write_text(_lines(200))
    _, _, rows = _run(tmp_path / "home", logs)
    assert rows[str(app)].format == f"{DETECTION_VERSION}/bracket_column2"

    with app.open("a") as f:
        f.write(_lines(10, start=200, level="ERROR"))
    monkeypatch.setattr(scan_module, "sniff", _refuse)
    plan, done, rows = _run(tmp_path / "home", logs)
    assert [t.format for t in plan.tasks] == [f"{DETECTION_VERSION}/bracket_column2"]
    [(_, result)] = done
    assert result.error is None
    assert result.counts["ERROR"] == 10
    assert rows[str(app)].format == f"{DETECTION_VERSION}/bracket_column2"


def test_a_file_shorter_than_the_sample_is_detected_again_until_it_is_not(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    app = logs / "app.log"
    app.write_text("starting up\n" + _lines(3))  # too few lines to settle on a format
    _, _, rows = _run(tmp_path / "home", logs)
    assert rows[str(app)].format is None

    with app.open("a") as f:
        f.write(_lines(SNIFF_LINES, start=3))
    _, _, rows = _run(tmp_path / "home", logs)
    assert rows[str(app)].format == f"{DETECTION_VERSION}/bracket_column2"


def test_a_level_pattern_overrides_a_stored_format(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    app = logs / "app.log"
    app.write_text(_lines(200))
    _run(tmp_path / "home", logs)
    with app.open("a") as f:
        f.write(_lines(5, start=200, level="WARN"))
    # The override reads the 4th field, the thread: no level there, so all 5 are UNKNOWN.
    override = ScanOptions(level_pattern=r"^\S+ \S+ \S+ \[(?P<level>\w+)\]")
    _, done, rows = _run(tmp_path / "home", logs, override)
    [(_, result)] = done
    assert result.format == "custom"
    assert result.counts["UNKNOWN"] == 5
    assert rows[str(app)].format is None  # an override is never stored as the file's format


def test_a_format_stored_by_another_detection_version_is_detected_again(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    app = logs / "app.log"
    app.write_text(_lines(200))
    _run(tmp_path / "home", logs)
    db = tmp_path / "home" / "state" / "offsets.db"
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE offsets SET format = '0/column7'")
    with app.open("a") as f:
        f.write(_lines(5, start=200, level="WARN"))
    _, done, rows = _run(tmp_path / "home", logs)
    [(_, result)] = done
    assert result.counts["WARN"] == 5
    assert rows[str(app)].format == f"{DETECTION_VERSION}/bracket_column2"


def test_a_version_1_store_is_migrated_and_keeps_its_offsets(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    app = logs / "app.log"
    app.write_text(_lines(200))
    # A store as version 1 left it, tracking app.log up to its end.
    (tmp_path / "home" / "state").mkdir(parents=True)
    db = tmp_path / "home" / "state" / "offsets.db"
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

    with open_store(tmp_path / "home") as store:
        rows = store.checkpoints()
    assert rows[str(app)].offset == app.stat().st_size
    assert rows[str(app)].format is None
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]
