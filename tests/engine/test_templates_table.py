"""templates.parquet: one row per template, folded run by run from plain event rows."""

from __future__ import annotations

from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.parquet as pq

from logingest_dagster.engine.warehouse.templates import TEMPLATES, publish_templates

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC).timestamp()


def event(template_id, level, path, time, template=None):
    return {
        "template_id": template_id,
        "template": template or f"text of {template_id}",
        "time": time,
        "level": level,
        "path": path,
    }


def rows_by_id(out):
    return {row["template_id"]: row for row in pq.read_table(out / TEMPLATES).to_pylist()}


def test_one_row_per_template_with_times_counts_per_level_and_paths(tmp_path):
    publish_templates(
        tmp_path,
        [
            event("a", "ERROR", "/logs/x.log", T0 + 60),
            event("a", "WARN", "/logs/y.log", T0),
            event("a", "ERROR", "/logs/x.log", None),  # no logged time: counted, no time
            event("b", "INFO", "/logs/x.log", None),
        ],
        through="run-1",
    )
    rows = rows_by_id(tmp_path)
    assert set(rows) == {"a", "b"}
    a = rows["a"]
    assert (a["count"], a["error"], a["warn"], a["info"]) == (3, 2, 1, 0)
    assert a["first_seen"].timestamp() == T0 and a["last_seen"].timestamp() == T0 + 60
    assert a["paths"] == ["/logs/x.log", "/logs/y.log"]
    assert rows["b"]["first_seen"] is None and rows["b"]["count"] == rows["b"]["info"] == 1


def test_a_later_run_is_folded_in_and_the_newest_template_text_kept(tmp_path):
    publish_templates(tmp_path, [event("a", "ERROR", "/x.log", T0, "user bob left")], "run-1")
    publish_templates(
        tmp_path,
        [
            event("a", "FATAL", "/z.log", T0 + 3600, "user <*> left"),
            event("c", "WARN", "/x.log", T0),
        ],
        "run-2",
    )
    rows = rows_by_id(tmp_path)
    a = rows["a"]
    assert (a["count"], a["error"], a["fatal"]) == (2, 1, 1)
    assert a["template"] == "user <*> left"
    assert a["last_seen"].timestamp() == T0 + 3600
    assert a["paths"] == ["/x.log", "/z.log"]
    assert rows["c"]["count"] == 1


def test_publishing_the_same_run_again_counts_it_once(tmp_path):
    events = [event("a", "ERROR", "/x.log", T0)]
    publish_templates(tmp_path, events, "run-1")
    publish_templates(tmp_path, events, "run-1")
    assert rows_by_id(tmp_path)["a"]["count"] == 1


def test_the_schema_is_int64_counts_and_utc_microsecond_times(tmp_path):
    publish_templates(tmp_path, [event("a", "ERROR", "/x.log", T0)], "run-1")
    schema = pq.read_schema(tmp_path / TEMPLATES)
    assert str(schema.field("first_seen").type) == "timestamp[us, tz=UTC]"
    assert str(schema.field("count").type) == "int64"
    assert str(schema.field("unknown").type) == "int64"
    paths = schema.field("paths").type
    assert pa.types.is_list(paths) and paths.value_type == pa.string()
