import datetime
import os
import stat
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from lifecycle_driver import LogWriter, run_pipeline

from logingest_dagster.engine.levels import LEVELS
from logingest_dagster.engine.state import commit as state_commit
from logingest_dagster.engine.state import open_store
from logingest_dagster.engine.warehouse import publish
from tests.helpers import modules_loaded_by

COMMIT = {
    "run_id": "r1",
    "kind": "run",
    "committed_at": 1764158400.25,  # 2025-11-26 12:00:00.25 UTC
    "files": 2,
    "lines": 4,
    "bytes": 40,
} | {level.lower(): {"INFO": 3, "ERROR": 1}.get(level, 0) for level in LEVELS}


EVENT = {
    "run_id": "r1",
    "committed_at": 1764158400.25,
    "path": "/b.log",
    "file": "/b.log.1",
    "offset": 120,
    "level": "ERROR",
    "line": "2025-11-26 12:00:00 ERROR disk full",
}
LOGGED_AT = datetime.datetime(2025, 11, 26, 12, 0, 0, tzinfo=datetime.UTC)  # as the line says
# As the store gives events back: a dict per read, its events as lists.
READ = EVENT | {
    "offset": [120],
    "level": ["ERROR"],
    "line": [EVENT["line"]],
    "logged_at": [LOGGED_AT.timestamp()],
}


class State:
    """Committed state as `publish` reads it (`OffsetStore`'s methods), given outright."""

    def __init__(self, totals=None, file_rows=(), commits=(), events=()):
        self._totals, self._file_rows = totals or {}, list(file_rows)
        self._commits, self._events = list(commits), list(events)

    def totals(self):
        return self._totals

    def file_stats(self):
        return self._file_rows

    def commit_log(self):
        return self._commits

    def error_events(self):
        return self._events

    def error_events_version(self):
        return len(self._events), len(self._events), sum(len(r["offset"]) for r in self._events)


def test_outputs_have_the_contract_schema(tmp_path):
    written = publish(
        tmp_path,
        State(
            {"INFO": 3, "ERROR": 1},
            [
                {"path": "/b.log", "lines": 4, "bytes": 40, "INFO": 3, "ERROR": 1},
                {"path": "/a.log"},
            ],
            [COMMIT],
            [READ],
        ),
    ).paths
    totals = pq.read_table(written["severity_totals"])
    assert totals.schema.field("level").type == "string"
    assert totals.schema.field("count").type == "int64"
    assert dict(zip(totals["level"].to_pylist(), totals["count"].to_pylist(), strict=True)) == {
        level: {"INFO": 3, "ERROR": 1}.get(level, 0) for level in LEVELS
    }
    stats = pq.read_table(written["file_stats"]).to_pylist()
    assert [row["path"] for row in stats] == ["/a.log", "/b.log"]
    assert stats[1] == {"path": "/b.log", "lines": 4, "bytes": 40} | {
        level.lower(): {"INFO": 3, "ERROR": 1}.get(level, 0) for level in LEVELS
    }
    history = pq.read_table(written["severity_history"])
    assert history.schema.field("committed_at").type == pa.timestamp("us", tz="UTC")
    [row] = history.to_pylist()
    assert row["committed_at"] == datetime.datetime(2025, 11, 26, 12, 0, 0, 250000, datetime.UTC)
    assert row == COMMIT | {"committed_at": row["committed_at"]}
    events = pq.read_table(written["error_events"])
    assert events.schema.field("committed_at").type == pa.timestamp("us", tz="UTC")
    assert events.schema.field("offset").type == "int64"
    assert events.schema.field("logged_at").type == pa.timestamp("us", tz="UTC")
    [event] = events.to_pylist()
    assert event == EVENT | {"committed_at": row["committed_at"], "logged_at": LOGGED_AT}


def test_events_stored_before_logged_at_existed_have_it_null(tmp_path):
    old = {key: value for key, value in READ.items() if key != "logged_at"}
    no_time = READ | {"line": ["disk full"], "logged_at": [None]}
    published = publish(
        tmp_path, State({"ERROR": 3}, commits=[COMMIT], events=[old, READ, no_time])
    )
    events = pq.read_table(published.paths["error_events"]).to_pylist()
    assert [e["logged_at"] for e in events] == [None, LOGGED_AT, None]


def runs_and_a_reset(home: Path) -> None:
    """Publishes under `home`: a run over a.log (5 lines) and b.log (3), a run finding nothing
    new, a reset of b.log, and a run reading b.log again."""
    logs = home / "logs"
    logs.mkdir()
    writer = LogWriter()
    writer.append(logs / "a.log", 5)
    writer.append(logs / "b.log", 3)
    run_pipeline(home, [logs], write_parquet=True)
    run_pipeline(home, [logs], write_parquet=True)  # nothing new: a row of zeros
    with open_store(home) as store:
        store.reset([str(logs / "b.log")])
    run_pipeline(home, [logs], write_parquet=True)  # b.log read again


def test_history_has_a_row_per_run_and_reset_and_sums_to_the_totals(tmp_path):
    runs_and_a_reset(tmp_path)
    warehouse = tmp_path / "warehouse"
    history = pq.read_table(warehouse / "severity_history.parquet").to_pylist()
    assert [(r["kind"], r["lines"]) for r in history] == [
        ("run", 8),
        ("run", 0),
        ("reset", -3),
        ("run", 3),
    ]
    totals = pq.read_table(warehouse / "severity_totals.parquet").to_pylist()
    for row in totals:
        assert sum(r[row["level"].lower()] for r in history) == row["count"]
    assert [r["committed_at"] for r in history] == sorted(r["committed_at"] for r in history)


def test_rewrite_leaves_no_temporary_files(tmp_path):
    publish(tmp_path, State())
    publish(tmp_path, State({"INFO": 1}, [], [COMMIT], [READ]))
    assert sorted(p.name for p in (tmp_path / "warehouse").iterdir()) == [
        "error_events.parquet",
        "file_stats.parquet",
        "severity_history.parquet",
        "severity_totals.parquet",
    ]


def test_temporary_files_of_a_killed_write_are_removed_by_the_next_publish(tmp_path):
    warehouse = tmp_path / "warehouse"
    warehouse.mkdir()
    stale = warehouse / ".file_stats.parquet.k1ll3d.tmp"
    stale.write_bytes(b"PAR1 half a file")
    hours_ago = time.time() - 2 * 3600
    os.utime(stale, (hours_ago, hours_ago))
    live = warehouse / ".severity_totals.parquet.wr1t1ng.tmp"  # a concurrent run's, just begun
    live.write_bytes(b"PAR1")
    publish(tmp_path, State())
    assert not stale.exists()
    assert live.exists()


def test_outputs_are_created_with_the_umask_mode_not_0600(tmp_path):
    previous = os.umask(0o022)
    try:
        published = publish(tmp_path, State({"INFO": 1}, [], [COMMIT], [READ]))
    finally:
        os.umask(previous)
    for path in published.paths.values():
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path


def test_paths_of_any_script_round_trip(tmp_path):
    paths = ["/var/log/ünïcödé.log", "/var/log/日志.log", "/var/log/plain.log", ""]
    written = publish(
        tmp_path, State(file_rows=[{"path": p, "lines": i} for i, p in enumerate(paths)])
    ).paths
    stats = pq.read_table(written["file_stats"]).to_pylist()
    assert {(row["path"], row["lines"]) for row in stats} == {(p, i) for i, p in enumerate(paths)}


def test_writing_the_outputs_does_not_load_pandas():
    # pa.array(list) imports pandas (~0.2 s) just to check for pandas objects; the publish step
    # builds its arrays from buffers instead.
    loaded = modules_loaded_by(
        "import tempfile\n"
        "from logingest_dagster.engine.state.store import open_store\n"
        "from logingest_dagster.engine.warehouse.writers import publish\n"
        "home = tempfile.mkdtemp()\n"
        "with open_store(home) as store:\n"
        "    publish(home, store)"
    )
    assert "pyarrow" in loaded
    assert "pandas" not in loaded


def test_error_events_are_every_error_record_once_and_rewritten_only_on_change(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    writer = LogWriter()
    writer.append(logs / "a.log", 40)
    run_pipeline(tmp_path, [logs], write_parquet=True)
    path = tmp_path / "warehouse" / "error_events.parquet"
    events = pq.read_table(path).to_pylist()
    expected = writer.totals()["ERROR"] + writer.totals()["FATAL"]
    assert len(events) == expected > 0
    assert {e["level"] for e in events} == {"ERROR", "FATAL"}
    text = (logs / "a.log").read_bytes()
    assert all(text[e["offset"] :].startswith(e["line"].encode()) for e in events)
    written = path.stat().st_mtime_ns, path.stat().st_ino
    run_pipeline(tmp_path, [logs], write_parquet=True)  # nothing new: the file is left alone
    assert (path.stat().st_mtime_ns, path.stat().st_ino) == written
    writer.append(logs / "a.log", 9)
    run_pipeline(tmp_path, [logs], write_parquet=True)
    assert len(pq.read_table(path)) == writer.totals()["ERROR"] + writer.totals()["FATAL"]
    with open_store(tmp_path) as store:
        store.reset()
    run_pipeline(tmp_path, [logs], write_parquet=True)  # read again: each event still once
    assert len(pq.read_table(path)) == writer.totals()["ERROR"] + writer.totals()["FATAL"]


def test_only_the_newest_reads_events_are_kept(tmp_path, monkeypatch):
    monkeypatch.setattr(state_commit, "EVENTS_KEPT", 10)
    logs = tmp_path / "logs"
    logs.mkdir()
    writer = LogWriter()
    for name in ("a.log", "b.log", "c.log"):  # one read per run, each with 4 or 5 events
        writer.append(logs / name, 20)
        run_pipeline(tmp_path, [logs], write_parquet=True)
    events = pq.read_table(tmp_path / "warehouse" / "error_events.parquet").to_pylist()
    assert 0 < len(events) <= 10
    assert {Path(e["path"]).name for e in events} == {"b.log", "c.log"}  # a.log's went first
    with open_store(tmp_path) as store:
        assert store.error_events_version()[2] == len(events)
