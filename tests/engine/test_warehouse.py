import datetime
import os
import stat
import time
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from lifecycle_driver import LogWriter, run_pipeline

from logingest_dagster.engine.levels import LEVELS
from logingest_dagster.engine.state import open_store
from logingest_dagster.engine.warehouse import publish
from tests.helpers import modules_loaded_by, read_history

COMMIT = {
    "run_id": "r1",
    "kind": "run",
    "committed_at": 1764158400.25,  # 2025-11-26 12:00:00.25 UTC
    "files": 2,
    "lines": 4,
    "bytes": 40,
} | {level.lower(): {"INFO": 3, "ERROR": 1}.get(level, 0) for level in LEVELS}


class State:
    """Committed state as `publish` reads it (`OffsetStore`'s methods), given outright."""

    def __init__(self, totals=None, file_rows=(), commits=()):
        self._totals, self._file_rows = totals or {}, list(file_rows)
        self._commits = list(commits)

    def totals(self):
        return self._totals

    def file_stats(self):
        return self._file_rows

    @contextmanager
    def history_to_publish(self, from_start=False):
        yield [commit | {"id": i} for i, commit in enumerate(self._commits, 1)]

    @contextmanager
    def pending_publication(self):
        yield []  # nothing committed to append

    @contextmanager
    def publishing_lock(self):
        yield set()

    def record_expired(self, dataset, date, rows, counts):
        raise AssertionError("nothing to expire")

    def expired(self):
        return []


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
    history = read_history(written["severity_history"])
    assert history.schema.field("committed_at").type == pa.timestamp("us", tz="UTC")
    [row] = history.to_pylist()
    assert row["committed_at"] == datetime.datetime(2025, 11, 26, 12, 0, 0, 250000, datetime.UTC)
    assert row == COMMIT | {"committed_at": row["committed_at"]}


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
    history = read_history(warehouse / "severity_history").to_pylist()
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
    publish(tmp_path, State({"INFO": 1}, [], [COMMIT]))
    assert sorted(p.name for p in (tmp_path / "warehouse").iterdir()) == [
        "expired.parquet",
        "file_stats.parquet",
        "publish_report.json",
        "severity_history",
        "severity_totals.parquet",
        "templates.parquet",
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
        published = publish(tmp_path, State({"INFO": 1}, [], [COMMIT]))
    finally:
        os.umask(previous)
    files = [path for path in published.paths.values() if path.suffix == ".parquet"]
    files += list(published.paths["severity_history"].glob("date=*/*.parquet"))
    assert len(files) == 4  # severity_totals, file_stats, templates, the history part
    for path in files:
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
