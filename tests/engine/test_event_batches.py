"""events.parquet is what it was before events went columnar (schema 10), for records of every
awkward shape: multi-line, cut at 16 KB (inside a UTF-8 character too), invalid UTF-8, CRLF,
without a time, across block boundaries; with templates mined and without.

`events_golden.json` holds the events dataset the JSON-row pipeline (a721dcb) published from
`write_corpus`, one row per event in event_id order, without `committed_at` and `run_id` (and the
time of an event without one, which is the commit's), paths as file names. A version 9 store's
pending rows (JSON) still publish the same rows once the store is upgraded.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from logingest_dagster.engine import pipeline
from logingest_dagster.engine.scan import ScanOptions
from logingest_dagster.engine.scan.result import RECORD_BYTES
from logingest_dagster.engine.state import open_store
from logingest_dagster.settings import Settings

GOLDEN = Path(__file__).with_name("events_golden.json")
# Small blocks: records run across block boundaries, and the 16 KB ones across many.
OPTIONS = ScanOptions(chunk_size=4096, max_events=100_000, minute_counts=True)
HEADER = "2026-11-26 12:00:{:02d},123 {} [main] com.example.Service - "


def write_corpus(root: Path) -> None:
    """Logs with every record shape the events must keep as they were."""
    root.mkdir(parents=True, exist_ok=True)
    lines = []
    for i in range(40):
        level = ("ERROR", "WARN", "INFO", "FATAL")[i % 4]
        lines.append(HEADER.format(i % 60, level) + f"request {i} failed for user u{i % 7}\n")
        if i % 3 == 0:  # a stack trace
            lines += [f"\tat com.example.Layer{k}.call(Layer{k}.java:{i + k})\n" for k in range(6)]
    # A record far over RECORD_BYTES, cut inside a two-byte character.
    head = HEADER.format(41, "ERROR") + "huge trace\n"
    body = "\tat " + "\u00e9" * 9000 + "\n"
    pad = (RECORD_BYTES - len(head.encode()) - 4) % 2 == 0  # make the cut land mid-character
    lines += [head, ("\tat x" if pad else "\tat ") + body[4:]]
    lines.append(HEADER.format(42, "ERROR") + "one line over 16 KB " + "x" * 20_000 + "\n")
    lines.append(HEADER.format(43, "WARN") + "after the long ones\n")
    app = "".join(lines).encode()
    # Invalid UTF-8 in a message and in a continuation line.
    app += (HEADER.format(44, "ERROR") + "bad bytes ").encode() + b"\xff\xfe end\n\tat \xc3(\n"
    app += (HEADER.format(45, "WARN") + "truncated char at the end ").encode() + b"\xe2\x82\n"
    (root / "app.log").write_bytes(app)
    crlf = "".join(lines[:60]).replace("\n", "\r\n").encode()
    (root / "crlf.log").write_bytes(crlf + b"trailing line without a time, ERROR\r\n")
    (root / "python.log").write_text(
        "".join(
            f"{level}:app.worker:job {i} {'failed' if level != 'WARNING' else 'slow'}\n"
            for i, level in enumerate(["ERROR", "WARNING", "INFO", "CRITICAL"] * 5)
        )
    )


def published_rows(home: Path, corpus: Path, mine: bool, as_version_9: bool = False) -> list[dict]:
    """The events dataset after one run over `corpus`, as comparable rows (see GOLDEN); with
    `as_version_9`, the store is taken back to schema 9 between the commit and the publish, its
    pending rows in that version's JSON encoding, as an upgrade finds them."""
    settings = Settings(log_dirs=[str(corpus)])
    with open_store(home) as store:
        found = pipeline.discover(settings, store, home=home)
        results = pipeline.ingest(found.tasks, lambda _path: OPTIONS)
        pipeline.commit(store, "run-1", found.plan, results, mine_templates=mine)
    if as_version_9:
        _to_version_9(home / "state" / "offsets.db")
    with open_store(home) as store:
        pipeline.publish(store, home, retention_days=0)
    files = sorted((home / "warehouse" / "events").rglob("*.parquet"))
    table = pa.concat_tables(pq.read_table(f) for f in files).sort_by("event_id")
    return comparable(table)


def _to_version_9(db: Path) -> None:
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        for row in conn.execute("SELECT * FROM pending_events").fetchall():
            encoded = _json_encoding(dict(row))
            conn.execute("UPDATE pending_events SET events = ? WHERE id = ?", (encoded, row["id"]))
        conn.execute("ALTER TABLE pending_events DROP COLUMN batch")
        conn.execute("UPDATE schema_version SET version = 9")


def comparable(table: pa.Table) -> list[dict]:
    rows = table.drop_columns(["committed_at", "run_id"]).to_pylist()
    for row in rows:
        row["path"], row["file"] = Path(row["path"]).name, Path(row["file"]).name
        row["time"] = row["time"].isoformat() if row["time_source"] == "logged" else None
    return rows


def _json_encoding(row: dict) -> str:
    """A pending row's events as logingest before schema 10 stored them: a JSON list per column,
    line numbers from the read's start with `first_line`, records with their line ends, templates
    as each event's index into the read's distinct templates (`template_codes`)."""
    from logingest_dagster.engine.state.event_rows import read_batch

    batch = read_batch(row).to_pydict()
    encoded = {
        "offset": batch["offset"],
        "line_number": batch["line_number"],  # every read here starts at 0
        "level": [
            ["TRACE", "DEBUG", "INFO", "NOTICE", "WARN", "ERROR", "FATAL", "UNKNOWN"][c]
            for c in batch["level"]
        ],
        "time": batch["time"],
        "logger": batch["logger"],
        "message": batch["message"],
        "record": [r + "\r\n" for r in batch["record"]],  # stripped when published
        "truncated": batch["truncated"],
        "first_line": 0,
    }
    if batch["template_id"] and batch["template_id"][0] is not None:
        ids = list(dict.fromkeys(batch["template_id"]))
        encoded["template_codes"] = [ids.index(i) for i in batch["template_id"]]
        encoded["template_ids"] = ids
        texts = dict(zip(batch["template_id"], batch["template"], strict=True))
        encoded["template_texts"] = [texts[i] for i in ids]
    return json.dumps(encoded, ensure_ascii=False)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("corpus") / "logs"
    write_corpus(root)
    return root


@pytest.fixture(scope="module")
def golden() -> list[dict]:
    return json.loads(GOLDEN.read_text())


def test_the_corpus_has_every_shape_the_test_names(golden):
    records = [row["record"] for row in golden]
    assert any(row["truncated"] and len(row["record"].encode()) <= RECORD_BYTES for row in golden)
    assert any("\ufffd" in r for r in records)  # invalid UTF-8, replaced
    assert any("\n\tat " in r for r in records)  # multi-line
    assert any(row["file"].endswith("crlf.log") for row in golden)
    assert not any(r.endswith(("\r", "\n")) for r in records)
    assert any(row["time_source"] == "ingested" for row in golden)
    assert any(row["template_id"] for row in golden)


def test_events_published_from_arrow_batches_are_those_of_json_rows(tmp_path, corpus, golden):
    assert published_rows(tmp_path, corpus, mine=True) == golden


def test_events_without_templates_differ_only_by_their_null_templates(tmp_path, corpus, golden):
    rows = published_rows(tmp_path, corpus, mine=False)
    assert all(row["template_id"] is None and row["template"] is None for row in rows)
    untemplated = [{**row, "template_id": None, "template": None} for row in golden]
    assert rows == untemplated


def test_pending_rows_of_a_version_9_store_publish_after_its_upgrade(tmp_path, corpus, golden):
    assert published_rows(tmp_path, corpus, mine=True, as_version_9=True) == golden
