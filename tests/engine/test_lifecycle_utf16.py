"""UTF-16 logs through the whole pipeline (issue 12 case 9): discovered, read from their stored
offsets, rotated and published exactly as the same lines written UTF-8 would be.

Like test_lifecycle.py: real files, the real pipeline (lifecycle_driver.py), a real SQLite store,
and `store totals == what the writer wrote`.
"""

from __future__ import annotations

import codecs
import gzip
import os
import shutil
from pathlib import Path

import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
import test_lifecycle as lifecycle
from lifecycle_driver import LogWriter

from logingest_dagster.engine.plan import TaskKind
from logingest_dagster.engine.scan import range_scanner
from logingest_dagster.engine.state import open_store

BOMS = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE}
# Enough lines for the format to settle: it is then stored with the file's encoding, and later
# reads start at the stored offset without looking at the file's first bytes.
SETTLED = 120


class EncodedWriter(LogWriter):
    """`LogWriter`'s lines, with some text outside ASCII and the BMP, written in `encoding` (a
    UTF-16 file starts with its BOM, as Windows tools write it)."""

    def __init__(self, encoding: str) -> None:
        super().__init__()
        self.encoding = encoding

    def line(self) -> bytes:
        return super().line().replace(b"event", "évènement 🚀".encode())

    def encode(self, data: bytes, path) -> bytes:
        if self.encoding == "utf-8":
            return data
        new = not os.path.exists(path) or os.path.getsize(path) == 0
        return (BOMS[self.encoding] if new else b"") + data.decode().encode(self.encoding)

    def append(self, path, n: int = 1) -> None:
        data = self.encode(b"".join(self.line() for _ in range(n)), path)
        with open(path, "ab") as f:
            f.write(data)


class World(lifecycle.World):
    def __init__(self, root: Path, encoding: str) -> None:
        super().__init__(root, EncodedWriter(encoding))

    def tracked(self) -> dict[str, dict]:
        with open_store(self.home) as store:
            return {os.path.basename(r["path"]): r for r in store.tracked()}


@pytest.fixture(params=list(BOMS))
def world(tmp_path, request) -> World:
    return World(tmp_path, request.param)


def _published(home: Path) -> tuple:
    """What the warehouse says of the log, whatever its encoding: file stats by file name, and
    the events without their offsets and ids (file bytes differ between encodings)."""
    warehouse = home / "warehouse"
    stats = pq.read_table(warehouse / "file_stats.parquet").to_pylist()
    for row in stats:
        row["path"] = os.path.basename(row["path"])
        assert row["bytes"] == (home.parent / "logs" / row["path"]).stat().st_size
        del row["bytes"]  # in the file's own bytes: twice as many in UTF-16
    events = ds.dataset(warehouse / "events", partitioning="hive").to_table().to_pylist()
    kept = ("line_number", "level", "time", "time_source", "logger", "message", "record")
    kept += ("truncated", "template_id", "template", "service")
    events = sorted((tuple(e[k] for k in kept) for e in events), key=lambda e: e[0])
    totals = pq.read_table(warehouse / "severity_totals.parquet").to_pylist()
    return stats, events, totals


def test_utf16_logs_publish_what_the_same_lines_in_utf8_do(tmp_path):
    """The same lines written UTF-8, UTF-16 LE and BE, in two runs each: equal totals, file stats
    (lines, levels; bytes are each file's size) and events (message, logged time, template, record)."""
    published = {}
    for encoding in ("utf-8", *BOMS):
        world = World(tmp_path / encoding, encoding)
        world.append("app.log", 30)
        with open(world.path("app.log"), "ab") as f:  # a stack trace under the last ERROR
            trace = b"java.lang.IllegalStateException: \xc3\xa9tat\n\tat a.B.c(B.java:1)\n"
            f.write(world.writer.encode(trace, world.path("app.log")))
        world.run(write_parquet=True)
        world.append("app.log", 12)
        second = world.run(write_parquet=True)
        assert second.summary.lines == 12
        world.assert_exact()
        published[encoding] = _published(world.home)
    stats, events, totals = published["utf-8"]
    assert len(events) > 10 and stats[0]["lines"] == 44
    assert published["utf-16-le"] == published["utf-8"]
    assert published["utf-16-be"] == published["utf-8"]


def _refuse(*_args):
    raise AssertionError("the file's head was read again")  # the scan reports an internal error


def test_utf16_appends_are_read_from_the_stored_offset_once(world, monkeypatch):
    world.append("app.log", SETTLED)
    first = world.run()
    [(_, result)] = first.results
    assert result.error is None and result.format_key.endswith(";" + world.writer.encoding)
    world.append("app.log", 5)
    monkeypatch.setattr(range_scanner, "detect_head", _refuse)  # the encoding comes stored
    second = world.run()
    [task] = second.tasks
    assert (task.kind, task.start) == (TaskKind.GROWN, result.end)
    assert task.format_key == result.format_key  # read on without looking at the head again
    assert second.summary.lines == 5
    assert world.tracked()["app.log"]["offset"] == world.path("app.log").stat().st_size
    world.assert_exact()


def test_utf16_line_cut_inside_a_code_unit_is_counted_once_when_whole(world):
    """A writer caught mid-line, mid code unit: the run stops before that line (an offset on a
    code unit, never inside one); the next run reads it whole, once."""
    world.append("app.log", 3)
    world.run()
    data = world.writer.encode(world.writer.line(), world.path("app.log"))
    with open(world.path("app.log"), "ab") as f:
        f.write(data[:-1])  # all but the second byte of its newline
    caught = world.run(grace=0.0)  # quiet: even a last line without its newline is taken
    assert caught.summary.lines == 1  # its text; the odd byte waits
    offset = world.tracked()["app.log"]["offset"]
    assert offset == world.path("app.log").stat().st_size - 1 and offset % 2 == 0
    with open(world.path("app.log"), "ab") as f:
        f.write(data[-1:])
    world.run(grace=0.0)
    assert world.tracked()["app.log"]["offset"] == world.path("app.log").stat().st_size
    world.assert_exact()


def test_utf16_partial_line_waits_for_its_newline(world):
    world.append("app.log", 3)
    data = world.writer.encode(world.writer.line(), world.path("app.log"))
    with open(world.path("app.log"), "ab") as f:
        f.write(data[:-3])
    assert world.run().summary.lines == 3
    with open(world.path("app.log"), "ab") as f:
        f.write(data[-3:])
    assert world.run().summary.lines == 1
    world.assert_exact()


@pytest.mark.parametrize("before", [5, SETTLED])
def test_utf16_rotation_counts_the_tail_and_the_new_file_once(world, before):
    """`mv app.log app.log.1` with unread lines, then a new UTF-16 app.log; then the rotated file
    compressed. `before`: too few lines to settle the format (detected again each read) or
    enough (read on with the stored encoding)."""
    world.append("app.log", before)
    world.run()
    world.append("app.log", 3)  # unread when rotated
    os.rename(world.path("app.log"), world.path("app.log.1"))
    world.append("app.log", 2)
    outcome = world.run(rotate_wait=0.0)
    assert all(result.error is None for _, result in outcome.results)
    assert outcome.summary.lines == 5
    world.assert_exact()

    world.append("app.log", 4)  # unread when rotated and compressed
    os.rename(world.path("app.log"), world.path("app.log.2"))
    with open(world.path("app.log.2"), "rb") as f, gzip.open(world.path("app.log.2.gz"), "wb") as z:
        shutil.copyfileobj(f, z)
    os.unlink(world.path("app.log.2"))
    world.append("app.log", 1)
    outcome = world.run(rotate_wait=0.0)
    assert outcome.summary.lines == 5
    assert world.run().tasks == []
    world.assert_exact()


def test_utf16_without_a_bom_is_skipped_and_never_sinks_the_run(world):
    """No BOM: taken for binary as before (there is no cheap, certain signal of UTF-16 without
    one); the run counts the other files and commits."""
    world.append("app.log", 4)
    world.path("nobom.log").write_bytes(
        "2026-11-26 10:00:00,000 ERROR [main] x - no bom\n".encode(world.writer.encoding)
    )
    outcome = world.run()
    skipped = [result for _, result in outcome.results if result.error]
    assert [os.path.basename(r.path) for r in skipped] == ["nobom.log"]
    assert "binary" in skipped[0].error
    world.assert_exact()
