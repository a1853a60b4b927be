import pyarrow.parquet as pq

from logingest_dagster.engine.levels import LEVELS
from logingest_dagster.engine.warehouse import publish


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
