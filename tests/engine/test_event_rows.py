"""A read's pending events go into the offset store as Arrow IPC bytes and come back whole."""

from __future__ import annotations

from logingest_dagster.engine.scan import ScanOptions, scan_range
from logingest_dagster.engine.state.event_rows import encode, read_batch, stored_batch

LINE = "2026-11-26 12:00:{:02d},123 ERROR [main] com.example.Service - request {} failed\n"


def read_events(path, lines: int):
    path.write_text("".join(LINE.format(i % 60, i) for i in range(lines)))
    return scan_range(str(path), options=ScanOptions(max_events=lines)).events.batch()


def test_a_small_read_is_stored_as_it_is_and_read_back_whole(tmp_path):
    stored = stored_batch(read_events(tmp_path / "small.log", 50), 0, None)
    encoded = encode(stored)
    assert len(encoded) > stored.nbytes  # not compressed: a codec costs more than it saves
    assert read_batch({"batch": encoded}).equals(stored)


def test_a_large_read_is_stored_compressed_and_read_back_whole(tmp_path):
    stored = stored_batch(read_events(tmp_path / "large.log", 20_000), 10, None)
    assert stored.nbytes > 1 << 20
    encoded = encode(stored)
    assert len(encoded) < stored.nbytes / 4
    back = read_batch({"batch": encoded})
    assert back.equals(stored)
    assert back["line_number"][0].as_py() == 11  # counted in the file, after 10 lines before
