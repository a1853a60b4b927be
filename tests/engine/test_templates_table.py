"""templates.parquet: one row per template, folded commit by commit from the events/ rows."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.parquet as pq

from logingest_dagster.engine.warehouse import events
from logingest_dagster.engine.warehouse.templates import TEMPLATES, publish_templates

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC).timestamp()


def event(template_id, level, path, time, template=None):
    return {
        "template_id": template_id,
        "template": template if template or template_id is None else f"text of {template_id}",
        "time": time,
        "level": level,
        "path": path,
    }


def commit_table(*rows) -> pa.Table:
    """The events/ rows of one commit (`events.table`), a read per event."""
    reads = [
        {
            "path": row["path"],
            "file": row["path"],
            "service": "svc",
            "fingerprint": "f",
            "start": 0,
            "events": json.dumps(
                {
                    "offset": [i],
                    "line_number": [i + 1],
                    "level": [row["level"]],
                    "time": [None if row["time"] is None else round(row["time"] * 1e6)],
                    "logger": [None],
                    "message": ["m"],
                    "record": ["r"],
                    "truncated": [False],
                    "template_id": [row["template_id"]],
                    "template": [row["template"]],
                }
            ),
        }
        for i, row in enumerate(rows)
    ]
    return events.table({"committed_at": T0 + 86_400, "run_id": "r", "events": reads})


def rows_by_id(out):
    return {row["template_id"]: row for row in pq.read_table(out / TEMPLATES).to_pylist()}


def test_one_row_per_template_with_times_counts_per_level_and_paths(tmp_path):
    table = commit_table(
        event("a", "ERROR", "/logs/x.log", T0 + 60),
        event("a", "WARN", "/logs/y.log", T0),
        event("a", "ERROR", "/logs/x.log", None),  # no logged time: counted, no time
        event("b", "INFO", "/logs/x.log", None),
        event(None, "ERROR", "/logs/x.log", T0),  # mining was off: no template, no row
    )
    assert publish_templates(tmp_path, [(1, table)]) == 2
    rows = rows_by_id(tmp_path)
    assert set(rows) == {"a", "b"}
    a = rows["a"]
    assert (a["count"], a["error"], a["warn"], a["info"]) == (3, 2, 1, 0)
    assert a["first_seen"].timestamp() == T0 and a["last_seen"].timestamp() == T0 + 60
    assert a["paths"] == ["/logs/x.log", "/logs/y.log"]
    assert rows["b"]["first_seen"] is None and rows["b"]["count"] == rows["b"]["info"] == 1


def test_a_later_commit_is_folded_in_and_the_newest_template_text_kept(tmp_path):
    first = commit_table(event("a", "ERROR", "/x.log", T0, "user bob left"))
    publish_templates(tmp_path, [(1, first)])
    later = commit_table(
        event("a", "FATAL", "/z.log", T0 + 3600, "user <*> left"),
        event("c", "WARN", "/x.log", T0),
    )
    publish_templates(tmp_path, [(2, later)])
    rows = rows_by_id(tmp_path)
    a = rows["a"]
    assert (a["count"], a["error"], a["fatal"]) == (2, 1, 1)
    assert a["template"] == "user <*> left"
    assert a["first_seen"].timestamp() == T0 and a["last_seen"].timestamp() == T0 + 3600
    assert a["paths"] == ["/x.log", "/z.log"]
    assert rows["c"]["count"] == 1


def test_publishing_a_commit_again_counts_it_once(tmp_path):
    table = commit_table(event("a", "ERROR", "/x.log", T0))
    publish_templates(tmp_path, [(1, table)])
    publish_templates(tmp_path, [(1, table)])  # a publish killed before the store forgot it
    publish_templates(tmp_path, [(1, table), (2, table)])
    assert rows_by_id(tmp_path)["a"]["count"] == 2


def test_the_schema_is_int64_counts_and_utc_microsecond_times(tmp_path):
    publish_templates(tmp_path, [(1, commit_table(event("a", "ERROR", "/x.log", T0)))])
    schema = pq.read_schema(tmp_path / TEMPLATES)
    assert str(schema.field("first_seen").type) == "timestamp[us, tz=UTC]"
    assert str(schema.field("count").type) == "int64"
    assert str(schema.field("unknown").type) == "int64"
    paths = schema.field("paths").type
    assert pa.types.is_list(paths) and paths.value_type == pa.string()


def test_with_nothing_published_yet_the_file_exists_and_is_empty(tmp_path):
    assert publish_templates(tmp_path, []) == 0
    assert pq.read_table(tmp_path / TEMPLATES).num_rows == 0


def read_with_codes(path, ids, texts, codes):
    """A read's pending row in the encoding commits write: each event's index into the read's
    distinct templates."""
    n = len(codes)
    return {
        "path": path,
        "file": path,
        "service": "svc",
        "fingerprint": "f",
        "start": 0,
        "events": json.dumps(
            {
                "offset": list(range(n)),
                "line_number": list(range(1, n + 1)),
                "level": ["ERROR"] * n,
                "time": [None] * n,
                "logger": [None] * n,
                "message": ["m"] * n,
                "record": ["r"] * n,
                "truncated": [False] * n,
                "template_codes": codes,
                "template_ids": ids,
                "template_texts": texts,
            }
        ),
    }


def test_template_codes_give_each_event_its_templates_id_and_text_across_reads():
    reads = [
        read_with_codes("/a.log", ["t1", "t2"], ["disk <*> full", "job <*> failed"], [1, 0, 1]),
        read_with_codes("/b.log", ["t2"], ["job <*> failed"], [0, 0]),
        read_with_codes("/c.log", [], [], []),  # a read with no events
    ]
    table = events.table({"committed_at": T0, "run_id": "r", "events": reads})
    assert table["template_id"].to_pylist() == ["t2", "t1", "t2", "t2", "t2"]
    assert (
        table["template"].to_pylist()
        == ["job <*> failed", "disk <*> full"] + ["job <*> failed"] * 3
    )
    assert table.schema == events.SCHEMA


def test_events_of_a_run_without_mining_have_null_templates_beside_mined_ones():
    unmined = json.loads(read_with_codes("/a.log", [], [], [0, 0])["events"])
    for key in ("template_codes", "template_ids", "template_texts"):
        del unmined[key]
    reads = [
        {**read_with_codes("/a.log", [], [], []), "events": json.dumps(unmined)},
        read_with_codes("/b.log", ["t1"], ["disk <*> full"], [0]),
    ]
    table = events.table({"committed_at": T0, "run_id": "r", "events": reads})
    assert table["template_id"].to_pylist() == [None, None, "t1"]
    assert table["template"].to_pylist() == [None, None, "disk <*> full"]
