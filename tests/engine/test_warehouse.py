import pyarrow.parquet as pq

from logingest_dagster.engine.levels import LEVELS
from logingest_dagster.engine.warehouse import publish
from tests.helpers import modules_loaded_by


def test_outputs_have_the_contract_schema(tmp_path):
    written = publish(
        tmp_path,
        {"INFO": 3, "ERROR": 1},
        [{"path": "/b.log", "lines": 4, "bytes": 40, "INFO": 3, "ERROR": 1}, {"path": "/a.log"}],
    )
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


def test_rewrite_leaves_no_temporary_files(tmp_path):
    publish(tmp_path, {}, [])
    publish(tmp_path, {"INFO": 1}, [])
    assert sorted(p.name for p in (tmp_path / "warehouse").iterdir()) == [
        "file_stats.parquet",
        "severity_totals.parquet",
    ]


def test_paths_of_any_script_round_trip(tmp_path):
    paths = ["/var/log/ünïcödé.log", "/var/log/日志.log", "/var/log/plain.log", ""]
    written = publish(tmp_path, {}, [{"path": p, "lines": i} for i, p in enumerate(paths)])
    stats = pq.read_table(written["file_stats"]).to_pylist()
    assert {(row["path"], row["lines"]) for row in stats} == {(p, i) for i, p in enumerate(paths)}


def test_writing_the_outputs_does_not_load_pandas():
    # pa.array(list) imports pandas (~0.2 s) just to check for pandas objects; the publish step
    # builds its arrays from buffers instead.
    loaded = modules_loaded_by(
        "import tempfile\n"
        "from logingest_dagster.engine.warehouse import publish\n"
        "publish(tempfile.mkdtemp(), {'INFO': 1}, [{'path': '/a.log', 'INFO': 1}])"
    )
    assert "pyarrow" in loaded
    assert "pandas" not in loaded
