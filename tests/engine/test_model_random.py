"""Seeded random lifecycles against a reference model: every line written is counted once.

Each seed applies a random sequence of append / partial line / rotate (plain or .gz, after a run
saw its last lines or not) / late write to the rotated file / rename to another .log name /
copytruncate / truncate / delete / recreate / run / killed run / overlapping runs to a few
streams. The reference model is simply the writer: it knows every line it wrote. After a final
clean run, the store's totals must equal the writer's, level by level.

What no tailer can count is data destroyed before anyone looked at it (a file truncated or
deleted before a run saw it), or a new stream's first file rotated away before any run saw the
stream (it looks like an archive). The model therefore runs a clean run first when an operation
would lose lines that no completed run has seen: the writer completes its partial line and the
shipper catches up, as in any real setup that does not want to lose lines.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import random
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from lifecycle_driver import (
    Killed,
    KillSwitch,
    LogWriter,
    ingest,
    run_pipeline,
    settings_for,
    store_totals,
)

from logingest_dagster.engine import pipeline
from logingest_dagster.engine.state import open_store
from tests.helpers import published_events, timeseries_sums

GRACE = 1e9  # partial lines wait for their newline
KILL_POINTS = [
    "discovering",
    "planned",
    "scanning:1",
    "scanned:1",
    "scanning:2",
    "commit:2",
    "commit:4",
    "commit:6",
    "before-commit",
    "committed",
]


@dataclass
class Stream:
    name: str
    partial: bool = False  # a line without its newline is at the end of the current file
    unseen: bool = True  # the current file holds lines no completed run has read
    # A completed run has seen the stream since it was created, deleted or renamed away: its
    # rotated generations are told from archives (a stream never seen reads its .log file only).
    known: bool = False
    rotations: int = 0
    rotated: Path | None = (
        None  # the last file rotated away by rename: the writer may still hold it
    )


@dataclass
class Model:
    root: Path
    rng: random.Random
    writer: LogWriter = field(default_factory=LogWriter)
    streams: list[Stream] = field(default_factory=list)
    log: list[str] = field(default_factory=list)  # what happened, for a failure message

    def __post_init__(self) -> None:
        self.logs = self.root / "logs"
        self.logs.mkdir()
        self.home = self.root / "home"
        self.streams = [Stream(f"s{i}.log") for i in range(3)]

    def path(self, stream: Stream, suffix: str = "") -> Path:
        return self.logs / (stream.name + suffix)

    # -- writer operations --------------------------------------------------------------------

    def append(self, s: Stream) -> None:
        if s.partial:
            self._finish(s)
        self.writer.append(self.path(s), self.rng.randint(1, 40))
        s.unseen = True

    def partial(self, s: Stream) -> None:
        if not s.partial:
            self.writer.append_partial(self.path(s))
            s.partial = s.unseen = True

    def _finish(self, s: Stream) -> None:
        with open(self.path(s), "ab") as f:
            f.write(b"\n")
        s.partial = False
        s.unseen = True  # the completed line is new to every run

    def _settle(self, s: Stream) -> None:
        """Before destroying or moving the file: complete its line, let a run see it."""
        if s.partial:
            self._finish(s)
        if s.unseen:
            self.clean_run()

    def rotate(self, s: Stream, compress: bool, unseen: bool = False) -> None:
        """`unseen`: rotated whether or not a run saw its last lines (several rotations between
        two runs): the rotated generation is found among the stream's rotated names."""
        if not self.path(s).exists():
            return
        unseen = unseen and s.known
        if unseen and s.partial:
            self._finish(s)
        elif not unseen:
            self._settle(s)
        s.rotations += 1
        rotated = self.path(s, f".{s.rotations}")
        os.rename(self.path(s), rotated)
        s.rotated = None if compress else rotated
        if compress:
            with open(rotated, "rb") as f, gzip.open(f"{rotated}.gz", "wb") as out:
                shutil.copyfileobj(f, out)
            os.unlink(rotated)
        if self.rng.random() < 0.7:
            self.append(s)  # the writer reopens a new file (or not yet)

    def late_write(self, s: Stream) -> None:
        """Lines to the file rotated away, at any time after: a writer that has not reopened
        its log yet (logrotate `create` without, or before, its postrotate signal)."""
        if s.rotated is not None:
            self.writer.append(s.rotated, self.rng.randint(1, 5))

    def rename_to_log_name(self, s: Stream) -> None:
        """`s0.log` -> `s0.3.log`: another discovered name, followed by inode, never re-read."""
        if not self.path(s).exists():
            return
        self._settle(s)
        s.rotations += 1
        renamed = self.logs / f"{s.name[: -len('.log')]}.{s.rotations}.log"
        os.rename(self.path(s), renamed)
        s.known = False
        if self.rng.random() < 0.5:
            self.writer.append(renamed, self.rng.randint(1, 5))  # the writer still holds it
        if self.rng.random() < 0.7:
            self.append(s)

    def copytruncate(self, s: Stream) -> None:
        if not self.path(s).exists():
            return
        self._settle(s)
        s.rotations += 1
        shutil.copyfile(self.path(s), self.path(s, f".{s.rotations}"))
        os.truncate(self.path(s), 0)
        if self.rng.random() < 0.7:
            self.append(s)

    def truncate(self, s: Stream) -> None:
        if not self.path(s).exists():
            return
        self._settle(s)
        os.truncate(self.path(s), 0)
        self.append(s)

    def delete(self, s: Stream) -> None:
        if not self.path(s).exists():
            return
        self._settle(s)
        os.unlink(self.path(s))
        s.known = False

    # -- runs ---------------------------------------------------------------------------------

    def run(self) -> None:
        max_files = self.rng.choice([None, None, 1, 2])
        outcome = run_pipeline(self.home, [self.logs], grace=GRACE, max_files=max_files)
        if outcome.plan.files_deferred == 0:
            self._all_seen()

    def killed_run(self) -> None:
        point = self.rng.choice(KILL_POINTS)
        self.log.append(f"  kill at {point}")
        with contextlib.suppress(Killed):
            run_pipeline(self.home, [self.logs], grace=GRACE, kill=KillSwitch(point))

    def overlapping_runs(self) -> None:
        """Two runs plan (lines may arrive in between), both commit, in either order: whoever
        commits second must not count what the first did."""
        settings = settings_for([self.logs], GRACE)
        with open_store(self.home) as store:
            plans = []
            for _ in range(2):
                plans.append(pipeline.discover(settings, store, now=0.0))
                if self.rng.random() < 0.5:
                    self.append(self.rng.choice(self.streams))
            for found in self.rng.sample(plans, 2):
                pipeline.commit(store, uuid.uuid4().hex, found.plan, ingest(found.tasks))

    def clean_run(self) -> None:
        for _ in range(10):
            outcome = run_pipeline(self.home, [self.logs], grace=GRACE)
            if not outcome.tasks:
                self._all_seen()
                return
        raise AssertionError("runs never settle:\n" + "\n".join(self.log))

    def _all_seen(self) -> None:
        for s in self.streams:
            s.unseen = False
            s.known = s.known or self.path(s).exists()

    def step(self) -> None:
        s = self.rng.choice(self.streams)
        op = self.rng.choices(
            ["append", "partial", "rotate", "rotate_gz", "rotate_unseen", "late_write"]
            + ["rename_log", "copytruncate", "truncate", "delete", "run", "killed_run", "overlap"],
            weights=[30, 6, 6, 4, 4, 6, 3, 5, 3, 3, 12, 10, 3],
        )[0]
        self.log.append(f"{op} {s.name}")
        {
            "append": lambda: self.append(s),
            "partial": lambda: self.partial(s),
            "rotate": lambda: self.rotate(s, compress=False),
            "rotate_gz": lambda: self.rotate(s, compress=True),
            "rotate_unseen": lambda: self.rotate(s, compress=self.rng.random() < 0.3, unseen=True),
            "late_write": lambda: self.late_write(s),
            "rename_log": lambda: self.rename_to_log_name(s),
            "copytruncate": lambda: self.copytruncate(s),
            "truncate": lambda: self.truncate(s),
            "delete": lambda: self.delete(s),
            "run": self.run,
            "killed_run": self.killed_run,
            "overlap": self.overlapping_runs,
        }[op]()


@pytest.mark.parametrize("seed", range(30))
def test_random_lifecycle_counts_every_line_once(tmp_path, seed):
    model = Model(tmp_path, random.Random(seed))
    for _ in range(50):
        model.step()
    for s in model.streams:
        if s.partial:
            model._finish(s)
    model.clean_run()
    history = "\n".join(model.log)
    assert store_totals(model.home) == model.writer.totals(), history
    with open_store(model.home) as store:
        assert sum(row["lines"] for row in store.file_stats()) == model.writer.written, history
        expected = model.writer.totals()
        pipeline.publish(store, model.home, retention_days=0)
    events = published_events(model.home)
    assert len(events) == expected["WARN"] + expected["ERROR"] + expected["FATAL"], history
    assert len(set(events["event_id"].to_pylist())) == len(events), history
    assert timeseries_sums(model.home) == expected, history
