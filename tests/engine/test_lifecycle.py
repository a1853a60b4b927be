"""File lifecycle, one named test per case, including the scenarios of the mature tailers.

Every test writes real files, runs the real pipeline (discover -> plan -> scan -> commit, see
lifecycle_driver.py) against a real SQLite store, and checks that every line written is counted
exactly once: `store totals == what the writer wrote`.
"""

from __future__ import annotations

import gzip
import os
import shutil
import time
from pathlib import Path

import pytest
from lifecycle_driver import LogWriter, Outcome, run_pipeline, store_totals

from logingest_dagster.engine.plan import TaskKind
from logingest_dagster.engine.state import open_store


class World:
    """A log directory, a home for the store, and a writer that knows the right answer."""

    def __init__(self, root: Path, writer: LogWriter | None = None) -> None:
        self.logs = root / "logs"
        self.logs.mkdir(parents=True)
        self.home = root / "home"
        self.writer = writer or LogWriter()

    def path(self, name: str) -> Path:
        return self.logs / name

    def append(self, name: str, n: int = 1) -> None:
        self.writer.append(self.path(name), n)

    def run(self, **kwargs) -> Outcome:
        kwargs.setdefault("grace", 3600.0)  # partial lines wait, unless a test says otherwise
        return run_pipeline(self.home, [str(self.logs)], **kwargs)

    def kinds(self, outcome: Outcome) -> list[tuple[str, str]]:
        return sorted((t.kind.value, os.path.basename(t.path)) for t in outcome.tasks)

    def reads(self, outcome: Outcome) -> list[str]:
        """The files read. Where a test deletes a file, the filesystem may give its inode to the
        next new file (tmpfs does at once), which then looks like a truncation; what is read and
        counted is the same either way, so such tests check this rather than the task kinds."""
        return sorted(os.path.basename(t.path) for t in outcome.tasks)

    def assert_exact(self) -> None:
        assert store_totals(self.home) == self.writer.totals()

    def stats(self) -> dict[str, dict]:
        with open_store(self.home) as store:
            return {os.path.basename(r["path"]): r for r in store.file_stats()}


@pytest.fixture
def world(tmp_path) -> World:
    return World(tmp_path)


def _rotate(world: World, name: str, rotated: str) -> None:
    os.rename(world.path(name), world.path(rotated))


def _gzip(world: World, name: str) -> None:
    src = world.path(name)
    with open(src, "rb") as f, gzip.open(str(src) + ".gz", "wb") as out:
        shutil.copyfileobj(f, out)
    os.unlink(src)


def _copytruncate(world: World, name: str, copy: str) -> None:
    shutil.copyfile(world.path(name), world.path(copy))
    with open(world.path(name), "r+b") as f:
        f.truncate(0)


# -- the basics -------------------------------------------------------------------------------


def test_new_file_is_read_from_zero_and_grown_file_from_its_offset(world):
    world.append("app.log", 10)
    first = world.run()
    assert world.kinds(first) == [("new", "app.log")]
    world.append("app.log", 5)
    second = world.run()
    [task] = second.tasks
    assert (task.kind, task.start) == (TaskKind.GROWN, first.summary.bytes)
    assert second.summary.lines == 5
    world.assert_exact()


def test_unchanged_files_are_not_read(world):
    world.append("app.log", 10)
    world.run()
    again = world.run()
    assert again.tasks == [] and again.plan.files_unchanged == 1
    world.assert_exact()


# -- truncation -------------------------------------------------------------------------------


def test_vector_file_truncate(world):
    """Vector `file_truncate`: a file truncated and rewritten is read again from the start."""
    world.append("app.log", 20)
    world.run()
    with open(world.path("app.log"), "r+b") as f:
        f.truncate(0)
    world.append("app.log", 3)
    outcome = world.run()
    assert world.kinds(outcome) == [("truncated", "app.log")]
    assert outcome.tasks[0].start == 0
    world.assert_exact()


def test_filebeat_truncation_resets_the_offset(world):
    """Filebeat filestream: size below the offset resets the offset to 0 (same inode)."""
    world.append("app.log", 30)
    world.run()
    inode = world.path("app.log").stat().st_ino
    with open(world.path("app.log"), "r+b") as f:
        f.truncate(0)
    world.append("app.log", 2)
    assert world.path("app.log").stat().st_ino == inode
    world.run()
    with open_store(world.home) as store:
        [row] = store.tracked()
    assert row["offset"] == world.path("app.log").stat().st_size
    world.assert_exact()


def test_rewritten_in_place_and_longer_is_caught_by_the_fingerprint(world):
    """Same inode, bigger than the offset, different head (inode reuse looks the same)."""
    world.append("app.log", 5)
    world.run()
    old_size = world.path("app.log").stat().st_size
    world.writer.expected.clear()  # the rewrite replaces the content we counted...
    first = world.writer.totals()
    with open(world.path("app.log"), "r+b") as f:
        f.truncate(0)
    world.writer.append(world.path("app.log"), 20)  # ...with different, longer content
    assert world.path("app.log").stat().st_size > old_size
    outcome = world.run()
    assert world.kinds(outcome) == [("truncated", "app.log")]
    assert outcome.summary.lines == 20
    assert first == {level: 0 for level in first}


# -- rotation ---------------------------------------------------------------------------------


def test_fluentbit_rename_rotation(world):
    """Fluent Bit in_tail rename rotation: the unread tail of app.log.1 and the new app.log."""
    world.append("app.log", 10)
    world.run()
    world.append("app.log", 4)  # written before the rename, not read yet
    _rotate(world, "app.log", "app.log.1")
    world.append("app.log", 6)
    outcome = world.run()
    assert world.kinds(outcome) == [("replaced", "app.log"), ("rotated_tail", "app.log.1")]
    assert outcome.summary.lines == 10
    assert world.run().tasks == []
    assert world.stats()["app.log"]["lines"] == 20  # the tail counts for its stream
    world.assert_exact()


def test_vector_restart_with_rotation(world):
    """Vector: rotated while stopped (a fresh store handle), no loss, no duplicates."""
    world.append("app.log", 8)
    world.run()
    world.append("app.log", 3)
    _rotate(world, "app.log", "app.log.1")
    world.append("app.log", 2)
    _rotate(world, "app.log.1", "app.log.2")  # rotated again before anyone looked
    world.run()
    world.run()
    world.assert_exact()


def test_rotation_compressed_to_gz_is_followed_and_read_once(world):
    world.append("app.log", 50)
    world.run()
    world.append("app.log", 7)
    _rotate(world, "app.log", "app.log.1")
    _gzip(world, "app.log.1")
    world.append("app.log", 1)
    outcome = world.run()
    assert world.reads(outcome) == ["app.log", "app.log.1.gz"]
    tail = next(t for t in outcome.tasks if t.compressed)
    assert tail.stop is None and tail.start > 0  # uncompressed offset
    assert world.run().tasks == []  # read once
    world.assert_exact()


def test_gz_rotation_with_nothing_unread_is_not_decompressed(world):
    world.append("app.log", 50)
    world.run()
    _rotate(world, "app.log", "app.log.1")
    _gzip(world, "app.log.1")
    world.append("app.log", 2)
    outcome = world.run()
    assert world.reads(outcome) == ["app.log"]
    world.assert_exact()


def test_rotated_away_without_a_new_file_is_still_followed(world):
    world.append("app.log", 5)
    world.run()
    _rotate(world, "app.log", "app.log.1")
    world.append("app.log.1", 3)  # the writer still holds the old file
    outcome = world.run()
    assert world.kinds(outcome) == [("rotated_tail", "app.log.1")]
    world.append("app.log.1", 2)
    world.run()
    world.append("app.log.1", 1)
    world.append("app.log", 4)  # the writer reopened at last
    world.run()
    assert world.run().tasks == []
    world.assert_exact()


def test_filebeat_late_writes_to_a_rotated_file_are_counted(world):
    """logrotate's `create` mode: app.log is renamed and a new one created, but the writer keeps
    appending to app.log.1 until it reopens its log. A run in between must not lose those lines."""
    world.append("app.log", 10)
    world.run()
    world.append("app.log", 4)
    _rotate(world, "app.log", "app.log.1")
    world.append("app.log", 6)
    outcome = world.run()
    assert world.kinds(outcome) == [("replaced", "app.log"), ("rotated_tail", "app.log.1")]
    world.append("app.log.1", 3)  # the writer has not reopened yet
    outcome = world.run()
    assert world.kinds(outcome) == [("draining", "app.log.1")]
    assert outcome.summary.lines == 3
    world.append("app.log.1", 1)
    world.append("app.log", 2)  # both at once, in one run
    assert world.kinds(world.run()) == [("draining", "app.log.1"), ("grown", "app.log")]
    assert world.run().tasks == []
    assert world.stats()["app.log"]["lines"] == 26  # every file of the stream counts for it
    assert set(world.stats()) == {"app.log"}
    world.assert_exact()


def _rotated_while_written(world: World, lines: int) -> None:
    """app.log (`lines` lines) rotated to app.log.1 just after it was written, a new app.log, and
    a run that sees both: app.log.1 now drains."""
    world.append("app.log", lines)
    world.run()
    _rotate(world, "app.log", "app.log.1")
    world.append("app.log", 1)
    world.run()


def test_a_draining_file_is_let_go_once_quiet_and_read_to_its_end(world):
    _rotated_while_written(world, 5)
    with open_store(world.home) as store:
        assert [r.drains_into for r in store.checkpoints().values()].count(None) == 1
        assert len(store.checkpoints()) == 2  # the stream's row and the draining one
    world.append("app.log.1", 2)
    later = time.time() + 7200  # past the grace period (3600 s): quiet, but not all read yet
    assert world.kinds(world.run(now=later)) == [("draining", "app.log.1")]
    outcome = world.run(now=later)
    assert outcome.tasks == [] and len(outcome.plan.forgotten) == 1
    with open_store(world.home) as store:
        assert list(store.checkpoints()) == [str(world.path("app.log"))]
    world.assert_exact()


def test_a_rotated_file_is_followed_for_rotate_wait_not_only_the_grace_period(world):
    """A writer that logs every two minutes: each quiet spell outlasts the partial-line grace
    period (60 s) but not rotate_wait (300 s), so its late lines are still counted."""
    windows = {"grace": 60.0, "rotate_wait": 300.0}
    _rotated_while_written(world, 5)
    rotated = world.path("app.log.1")
    mtime = rotated.stat().st_mtime
    outcome = world.run(now=mtime + 120, **windows)
    assert outcome.plan.forgotten == []  # read to its end, but not quiet for long enough
    world.append("app.log.1", 1)
    mtime = rotated.stat().st_mtime
    outcome = world.run(now=mtime + 120, **windows)
    assert world.kinds(outcome) == [("draining", "app.log.1")]
    assert outcome.summary.lines == 1
    outcome = world.run(now=mtime + 301, **windows)
    assert outcome.tasks == [] and len(outcome.plan.forgotten) == 1
    world.assert_exact()


def test_a_rotated_file_already_quiet_is_read_once_and_not_followed(world):
    world.append("app.log", 5)
    world.run()
    world.append("app.log", 2)
    _rotate(world, "app.log", "app.log.1")
    world.append("app.log", 1)
    outcome = world.run(grace=0.0)  # every file is "quiet" at once
    assert world.kinds(outcome) == [("replaced", "app.log"), ("rotated_tail", "app.log.1")]
    with open_store(world.home) as store:
        assert list(store.checkpoints()) == [str(world.path("app.log"))]
    world.assert_exact()


def test_a_draining_file_compressed_later_gives_its_last_lines_once(world):
    _rotated_while_written(world, 20)
    world.append("app.log.1", 3)  # written, then the file is compressed before any run saw it
    _gzip(world, "app.log.1")
    outcome = world.run()
    assert world.reads(outcome) == ["app.log.1.gz"]
    assert outcome.summary.lines == 3 and len(outcome.plan.forgotten) == 1
    assert world.run().tasks == []
    world.assert_exact()


def test_a_draining_file_rotated_again_is_still_followed(world):
    _rotated_while_written(world, 5)
    _rotate(world, "app.log.1", "app.log.2")  # both move down one, a new app.log comes
    _rotate(world, "app.log", "app.log.1")
    world.append("app.log", 1)
    world.append("app.log.2", 2)  # late lines in the oldest
    world.append("app.log.1", 3)  # and in the one just rotated
    world.run()
    assert world.run().tasks == []
    world.assert_exact()


def test_rename_to_another_log_name_is_followed_not_read_again(world):
    world.append("app.log", 30)
    world.run()
    world.append("app.log", 2)
    _rotate(world, "app.log", "app-2024-01-01.log")
    world.append("app.log", 3)
    outcome = world.run()
    assert world.kinds(outcome) == [("renamed", "app-2024-01-01.log"), ("replaced", "app.log")]
    renamed = next(t for t in outcome.tasks if t.kind == TaskKind.RENAMED)
    assert renamed.start > 0
    assert world.run().tasks == []
    world.assert_exact()


def test_rename_to_another_log_name_with_nothing_at_the_old_name(world):
    world.append("app.log", 4)
    world.run()
    _rotate(world, "app.log", "app.1.log")
    outcome = world.run()
    [task] = outcome.tasks  # nothing new: an empty read that moves the offset to app.1.log
    assert (task.kind, task.start, task.stop) == (TaskKind.RENAMED, task.size, task.size)
    assert outcome.summary.lines == 0
    assert [str(f) for f in outcome.plan.forgotten] == [str(world.path("app.log"))]
    world.append("app.1.log", 1)
    assert world.kinds(world.run()) == [("grown", "app.1.log")]
    world.assert_exact()


def test_numbered_log_rotation_chain_is_followed_link_by_link(world):
    """app.1.log -> app.2.log, app.log -> app.1.log, new app.log: nothing is read twice."""
    world.append("app.log", 10)
    world.append("app.1.log", 10)
    world.run()
    world.append("app.log", 2)
    world.append("app.1.log", 1)
    _rotate(world, "app.1.log", "app.2.log")
    _rotate(world, "app.log", "app.1.log")
    world.append("app.log", 3)
    outcome = world.run()
    assert world.kinds(outcome) == [
        ("renamed", "app.1.log"),
        ("renamed", "app.2.log"),
        ("replaced", "app.log"),
    ]
    assert len({t.unit for t in outcome.tasks}) == 1  # one unit: rows depend on each other
    assert outcome.summary.lines == 6
    world.assert_exact()


# -- copytruncate -----------------------------------------------------------------------------


def test_copytruncate_counts_the_copy_tail_and_the_new_lines_once(world):
    world.append("app.log", 12)
    world.run()
    world.append("app.log", 5)  # unread when the copy is taken
    _copytruncate(world, "app.log", "app.log.1")
    world.append("app.log", 2)
    outcome = world.run()
    assert world.kinds(outcome) == [("copytruncate_tail", "app.log.1"), ("truncated", "app.log")]
    assert outcome.summary.lines == 7
    assert world.run().tasks == []
    world.assert_exact()


def test_fluentbit_copytruncate_across_restart(world):
    """Fluent Bit: copytruncate while stopped, restart (fresh handles): each line once."""
    world.append("app.log", 40)
    world.run()
    world.append("app.log", 3)
    _copytruncate(world, "app.log", "app.log.1")
    _gzip(world, "app.log.1")  # copytruncate + compress
    world.append("app.log", 30)  # longer than before: only the fingerprint tells
    world.run()
    world.append("app.log", 1)
    world.run()
    world.assert_exact()


# -- deletion ---------------------------------------------------------------------------------


def test_deletion_drops_the_offset_but_keeps_the_counts(world):
    world.append("app.log", 6)
    world.append("other.log", 2)
    world.run()
    os.unlink(world.path("app.log"))
    outcome = world.run()
    assert [str(f) for f in outcome.plan.forgotten] == [str(world.path("app.log"))]
    assert outcome.summary.forgotten == 1
    with open_store(world.home) as store:
        assert [os.path.basename(r["path"]) for r in store.tracked()] == ["other.log"]
    assert world.stats()["app.log"]["lines"] == 6
    world.assert_exact()


def test_fluentbit_delete_and_recreate(world):
    """Fluent Bit: a file deleted and created again at the same path is ingested again."""
    world.append("app.log", 6)
    world.run()
    os.unlink(world.path("app.log"))
    world.append("app.log", 4)  # recreated before the next run saw the deletion
    outcome = world.run()
    assert world.reads(outcome) == ["app.log"] and outcome.tasks[0].start == 0
    os.unlink(world.path("app.log"))
    world.run()
    world.append("app.log", 3)  # recreated after the deletion was seen
    assert world.kinds(world.run()) == [("new", "app.log")]
    assert world.stats()["app.log"]["lines"] == 13  # one stream, every generation
    world.assert_exact()


def test_otel_rotation_copytruncate_and_deletion(world):
    """OpenTelemetry fileconsumer: rotation x copytruncate x deletion across several streams."""
    for name in ("rename.log", "copy.log", "delete.log"):
        world.append(name, 10)
    world.run()
    world.append("rename.log", 2)
    _rotate(world, "rename.log", "rename.log.1")
    world.append("rename.log", 3)
    world.append("copy.log", 4)
    _copytruncate(world, "copy.log", "copy.log.1")
    world.append("copy.log", 1)
    world.append("delete.log", 5)
    world.run()  # reads delete.log's last lines
    os.unlink(world.path("delete.log"))
    _rotate(world, "rename.log", "rename.log.2")
    world.append("rename.log", 1)
    _copytruncate(world, "copy.log", "copy.log.2")
    world.append("copy.log", 2)
    world.run()
    assert world.run().tasks == []
    world.assert_exact()


# -- while being written ----------------------------------------------------------------------


def test_growing_while_read_is_read_up_to_the_size_seen_at_discovery(world):
    world.append("app.log", 10)
    outcome = world.run()
    size_seen = outcome.tasks[0].stop
    assert outcome.summary.bytes == size_seen
    # Lines written between discovery and the scan: simulated by planning, appending, scanning.
    from logingest_dagster.engine.discover import discover
    from logingest_dagster.engine.plan import plan_reads
    from logingest_dagster.engine.scan import scan_range

    world.append("app.log", 3)
    with open_store(world.home) as store:
        plan = plan_reads(store, discover([str(world.logs)], 1).entries, now=time.time())
        world.append("app.log", 4)  # arrives while the run is reading
        [task] = plan.tasks
        result = scan_range(task.path, task.start, task.stop, final=task.final)
        assert result.end == task.stop and result.lines == 3
        store.commit("growing", [(task, result)], plan.forgotten)
    assert world.kinds(world.run()) == [("grown", "app.log")]  # the rest, next run
    world.assert_exact()


def test_fluentbit_partial_line_across_restart_is_completed_once(world):
    world.append("app.log", 3)
    line = world.writer.append_partial(world.path("app.log"))
    outcome = world.run()
    assert outcome.summary.lines == 3  # held back
    world.run()  # restart, still no newline: nothing
    with open(world.path("app.log"), "ab") as f:
        f.write(b"\n")
    again = world.run()
    assert again.summary.lines == 1 and again.summary.bytes == len(line)
    world.assert_exact()


def test_partial_line_is_consumed_once_the_file_has_been_quiet_for_the_grace_period(world):
    world.append("app.log", 2)
    world.writer.append_partial(world.path("app.log"))
    mtime = world.path("app.log").stat().st_mtime
    assert world.run(now=mtime + 59, grace=60).summary.lines == 2
    quiet = world.run(now=mtime + 60, grace=60)
    assert world.kinds(quiet) == [("partial_line", "app.log")]
    assert quiet.summary.lines == 1
    assert world.run(now=mtime + 999, grace=60).tasks == []
    world.assert_exact()


def test_crlf_pair_split_across_runs_counts_one_line(world):
    with open(world.path("app.log"), "ab") as f:
        f.write(world.writer.line().replace(b"\n", b"\r\n"))
        f.write(world.writer.line()[:-1] + b"\r")  # the \n of this CRLF is not written yet
    assert world.run().summary.lines == 1
    with open(world.path("app.log"), "ab") as f:
        f.write(b"\n")
    assert world.run().summary.lines == 1
    world.assert_exact()


# -- identity ---------------------------------------------------------------------------------


def test_two_files_with_the_same_first_bytes_stay_two_files(world):
    banner = b"2024-01-01 00:00:00,000 INFO boot: same banner in every file of this service\n"
    for name in ("a.log", "b.log"):
        world.path(name).write_bytes(banner * 20)
        world.writer.expected["INFO"] = world.writer.expected.get("INFO", 0) + 20
    outcome = world.run()
    assert world.kinds(outcome) == [("new", "a.log"), ("new", "b.log")]
    world.append("b.log", 2)
    assert world.kinds(world.run()) == [("grown", "b.log")]
    world.assert_exact()


def test_a_file_empty_when_last_seen_is_never_matched_to_an_older_copy(world):
    """An empty head "matches" every file; following it to app.log.1 would count that twice."""
    world.append("app.log", 8)
    world.run()
    _copytruncate(world, "app.log", "app.log.1")  # read in full already
    world.run()  # the row now holds the empty, truncated app.log
    os.unlink(world.path("app.log"))
    outcome = world.run()
    assert outcome.tasks == [] and len(outcome.plan.forgotten) == 1
    world.assert_exact()


def test_vector_file_duplicate_processing_after_restart(world):
    """Vector: after a restart (new process, fresh store handle) nothing is read twice."""
    for i in range(5):
        world.append(f"f{i}.log", 10 + i)
    world.run()
    for _ in range(3):
        assert world.run().tasks == []
    world.append("f2.log", 1)
    assert world.run().summary.lines == 1
    world.assert_exact()


def test_a_directory_that_disappears_keeps_its_state(world, tmp_path):
    world.append("app.log", 5)
    world.run()
    os.rename(world.logs, tmp_path / "unmounted")
    outcome = world.run()
    assert outcome.plan.forgotten == [] and outcome.tasks == []
    os.rename(tmp_path / "unmounted", world.logs)
    assert world.run().tasks == []  # back again: nothing re-read
    world.assert_exact()


# -- one file, several names (issue 12) -------------------------------------------------------


def test_a_file_and_a_symlink_to_it_are_one_stream(world):
    """Apache `rotatelogs -L`, Filebeat's symlinks: current.log -> real.log is read once."""
    world.append("real.log", 4)
    os.symlink("real.log", world.path("current.log"))
    outcome = world.run()
    assert world.reads(outcome) == ["real.log"]
    world.append("real.log", 2)
    world.run()
    world.assert_exact()


def test_a_hard_link_is_one_stream(world):
    world.append("a.log", 3)
    os.link(world.path("a.log"), world.path("b.log"))
    world.run()
    world.append("a.log", 2)
    world.run()
    assert world.run().tasks == []
    world.assert_exact()


@pytest.mark.parametrize("policy", ["inside", "all"])
def test_a_symlink_out_of_the_log_directories_is_read_only_when_allowed(world, tmp_path, policy):
    private = tmp_path / "private"
    private.mkdir()
    secret = private / "secret.log"
    secret.write_bytes(b"2026-11-26 10:00:00,000 ERROR [main] x - password hunter2\n")
    secret.chmod(0o600)
    os.symlink(secret, world.path("leak.log"))
    world.append("app.log", 2)
    outcome = run_pipeline(world.home, [str(world.logs)], symlinks=policy)
    if policy == "inside":
        assert world.reads(outcome) == ["app.log"]
        world.assert_exact()
    else:
        assert world.reads(outcome) == ["app.log", "leak.log"]


# -- copytruncate and writers without O_APPEND (issue 12) -------------------------------------


def test_copytruncate_under_a_writer_without_o_append_skips_the_hole(world):
    """`app > app.log`: after the truncate the writer goes on at its own offset, so the file
    starts with a run of NUL bytes (a hole); the lines after it are counted, not skipped as
    binary, on this run and the next ones."""
    with open(world.path("app.log"), "wb", buffering=0) as writer:  # O_TRUNC, no O_APPEND

        def write(n: int) -> None:
            writer.write(b"".join(world.writer.line() for _ in range(n)))

        write(10)
        world.run()
        write(3)
        _copytruncate(world, "app.log", "app.log.1")
        write(2)
        assert world.path("app.log").read_bytes().startswith(b"\0" * 100)
        outcome = world.run()
        assert outcome.summary.lines == 5
        assert all(not result.error for _, result in outcome.results)
        write(1)
        assert world.run().summary.lines == 1
    world.assert_exact()


def test_truncated_then_rotated_between_two_runs_is_read_from_its_start(world):
    """truncate, write 2, `mv a.log a.log.1`, a new a.log with 1: the tracked inode is at the
    rotated name with another head; what it holds now was never read."""
    world.append("a.log", 3)
    world.run()
    with open(world.path("a.log"), "r+b") as f:
        f.truncate(0)
    world.append("a.log", 2)
    _rotate(world, "a.log", "a.log.1")
    world.append("a.log", 1)
    outcome = world.run()
    assert outcome.summary.lines == 3
    assert world.run().tasks == []
    world.assert_exact()


@pytest.mark.parametrize("copy", ["app.1.log", "app-20261126T100000.log", "app.rot1.log"])
def test_copytruncate_to_a_log_named_copy_continues_from_the_offset(world, copy):
    world.append("app.log", 2)
    world.run()
    world.append("app.log", 1)  # unread when the copy is taken
    _copytruncate(world, "app.log", copy)
    outcome = world.run()
    assert world.kinds(outcome) == sorted([("copied", copy), ("truncated", "app.log")])
    assert outcome.summary.lines == 1
    world.append(copy, 1)  # the copy is a stream of its own from now on
    world.append("app.log", 2)
    assert world.run().summary.lines == 3
    assert world.run().tasks == []
    world.assert_exact()


def test_a_copy_of_a_stream_still_intact_is_another_file(world):
    """The same first bytes in a new file do not make it a copy while the stream's file still
    holds what was read (logrotate's `copy` mode, or a service printing the same banner)."""
    world.append("app.log", 3)
    world.run()
    shutil.copyfile(world.path("app.log"), world.path("app.1.log"))
    world.writer.expected = {k: 2 * v for k, v in world.writer.expected.items()}
    outcome = world.run()
    assert world.kinds(outcome) == [("new", "app.1.log")]
    world.assert_exact()


# -- several generations between two runs (issue 12) ------------------------------------------


def _age(world: World, name: str, seconds: float = 86400.0) -> None:
    """Give `name` the mtime of a file last written `seconds` ago (an archive from long ago)."""
    then = time.time() - seconds
    os.utime(world.path(name), (then, then))


def test_a_file_last_seen_empty_then_written_and_copytruncated_counts_the_copy(world):
    """Case 5: the empty fingerprint matches any content, so app.log only looks grown; the copy
    holds the 5 lines written before the truncate, none of them read yet."""
    world.path("app.log").touch()
    world.run()
    world.append("app.log", 5)
    _copytruncate(world, "app.log", "app.log.1")
    world.append("app.log", 1)
    outcome = world.run()
    assert outcome.summary.lines == 6
    assert world.run().tasks == []
    world.assert_exact()


def test_a_file_last_seen_empty_then_copytruncated_and_left_empty_counts_the_copy(world):
    world.path("app.log").touch()
    world.run()
    world.append("app.log", 4)
    _copytruncate(world, "app.log", "app.log.1")
    assert world.run().summary.lines == 4
    world.append("app.log", 1)
    assert world.run().summary.lines == 1
    world.assert_exact()


def test_a_copy_read_before_its_file_was_seen_empty_is_not_read_again(world):
    """The copy of a copytruncate that was read in full, then lines in the emptied file: the
    copy is a generation already read, not a new one."""
    world.append("app.log", 8)
    world.run()
    _copytruncate(world, "app.log", "app.log.1")
    world.run()  # the row now holds the empty, truncated app.log
    world.append("app.log", 2)
    assert world.run().summary.lines == 2
    world.assert_exact()


ROTATED_NAMES = {
    "numbered": ["app.log.1", "app.log.2", "app.log.3"],
    "dated": ["app.log-20261126", "app.log-20261127", "app.log-20261128"],
}


@pytest.mark.parametrize("scheme", ["numbered", "dated", "numbered.gz", "dated.gz"])
def test_several_rotations_between_two_runs_read_every_generation_once(world, scheme):
    """Case 8: `mv app.log app.log.K`, a new app.log, three times before the next run. The first
    generation is the one the store tracks (its tail is unread); the next two were never seen
    under the .log name; all are found and read once (compressed or not)."""
    names = ROTATED_NAMES[scheme.removesuffix(".gz")]
    world.append("app.log", 2)
    world.run()
    for name in names:
        world.append("app.log", 1)
        _rotate(world, "app.log", name)
        if scheme.endswith(".gz"):
            _gzip(world, name)
    world.append("app.log", 1)
    outcome = world.run()
    assert outcome.summary.lines == 4
    assert world.run().tasks == []
    assert world.stats()["app.log"]["lines"] == 6  # every generation counts for its stream
    world.append("app.log", 1)  # and one more rotation: no generation is read twice
    _rotate(world, "app.log", names[0] + "0")
    world.append("app.log", 1)
    assert world.run().summary.lines == 2
    world.assert_exact()


def test_several_logrotate_shifts_between_two_runs_read_every_generation_once(world):
    """logrotate's numbering: .2 -> .3, .1 -> .2, app.log -> .1, a new app.log, three times."""
    world.append("app.log", 3)
    world.run()
    for _ in range(3):
        world.append("app.log", 2)
        for n in (2, 1):
            if world.path(f"app.log.{n}").exists():
                _rotate(world, f"app.log.{n}", f"app.log.{n + 1}")
        _rotate(world, "app.log", "app.log.1")
    world.append("app.log", 1)
    assert world.run().summary.lines == 7
    assert world.run().tasks == []
    world.assert_exact()


def test_rotated_twice_with_nothing_at_the_name_reads_both(world):
    """mv, a new file, mv again and no new file yet: the tracked file is followed at its rotated
    name, and the generation in between is read too."""
    world.append("app.log", 2)
    world.run()
    _rotate(world, "app.log", "app.log.1")
    world.append("app.log", 3)
    _rotate(world, "app.log", "app.log.2")
    assert world.run().summary.lines == 3
    world.append("app.log", 1)
    world.run()
    assert world.run().tasks == []
    world.assert_exact()


def test_a_generation_after_a_rename_to_another_log_name_is_read(world):
    """app.log renamed to another .log name (which reads on in it), a new app.log rotated away
    before the next run: that generation is still app.log's."""
    world.append("app.log", 2)
    world.run()
    _rotate(world, "app.log", "app-2026.log")
    world.append("app.log", 3)
    _rotate(world, "app.log", "app.log.1")
    world.append("app.log", 1)
    assert world.run().summary.lines == 4
    assert world.run().tasks == []
    world.assert_exact()


def test_archives_from_before_a_stream_was_first_seen_are_never_read(world):
    """A new stream reads its .log file only; old `.N` and `.gz` archives next to it stay unread,
    on its first run and when it is rotated later."""
    archives = LogWriter()  # lines nobody expects to be counted
    for name in ("app.log.1", "app.log.2", "app.log-20200101"):
        archives.append(world.path(name), 5)
        _age(world, name)
    archives.append(world.path("app.log.3"), 5)
    _gzip(world, "app.log.3")
    _age(world, "app.log.3.gz")
    world.append("app.log", 2)
    assert world.reads(world.run()) == ["app.log"]
    world.append("app.log", 1)
    _rotate(world, "app.log", "app.log.4")
    world.append("app.log", 1)
    assert world.run().summary.lines == 2
    world.assert_exact()


def test_logrotate_create_delaycompress_counts_each_generation_once(world):
    """create + delaycompress, a run between rotations and several rotations without one: the
    generation before last is compressed (a new inode, a new mtime) when it was read long ago."""
    world.append("app.log", 5)
    world.run()
    for cycle in range(4):
        world.append("app.log", 2)
        if world.path("app.log.1").exists():
            n = cycle + 1
            _rotate(world, "app.log.1", f"app.log.{n}")
            _gzip(world, f"app.log.{n}")
        _rotate(world, "app.log", "app.log.1")
        world.append("app.log", 1)
        if cycle != 1:  # no run between the second and third rotation
            world.run()
    assert world.run().tasks == []
    world.assert_exact()


def test_copytruncate_with_compression_counts_each_generation_once(world):
    world.append("app.log", 5)
    world.run()
    for cycle in range(4):
        world.append("app.log", 2)
        copy = f"app.log.{cycle + 1}"
        _copytruncate(world, "app.log", copy)
        _gzip(world, copy)
        world.append("app.log", 1)
        if cycle != 1:
            world.run()
    assert world.run().tasks == []
    world.assert_exact()
