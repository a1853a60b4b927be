"""Discovery: list the `.log` files of the configured directories, concurrently, stat only.

The seed's walker, kept non-recursive (it read each directory with os.ReadDir and nothing below).
Names are filtered on `.log` before any stat, so a directory full of rotated `*.gz` costs nothing.
A bad directory or file becomes a message in `problems`, never an exception: one missing mount
must not sink the run for every other directory.
"""

from __future__ import annotations

import errno
import logging
import os
import stat
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial

from logingest_dagster.engine.discover.links import (
    SYMLINKS_ALL,
    SYMLINKS_INSIDE,
    real_roots,
    target_inside,
)
from logingest_dagster.engine.discover.names import is_utf8, shown

log = logging.getLogger(__name__)

LOG_SUFFIX = ".log"


@dataclass(frozen=True)
class LogFileEntry:
    """One discovered file as stat saw it (symlinks followed): the seed's entry plus its inode."""

    path: str  # absolute, as configured (not resolved), so it names the file the user expects
    size: int
    mtime: float
    dev: int
    inode: int
    via_link: bool = False  # reached through a symlink: another name of the file is preferred


@dataclass
class Discovery:
    entries: list[LogFileEntry] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def discover(log_dirs: list[str], max_workers: int, symlinks: str = SYMLINKS_INSIDE) -> Discovery:
    """List every directory (at most `max_workers` at once); entries come back sorted by path,
    one per file (see `links`). `symlinks`: `inside` or `all` (`links.SYMLINK_POLICIES`)."""
    dirs, problems = _distinct_dirs(log_dirs)
    found = Discovery(problems=problems)
    if not dirs:
        return found
    roots = None if symlinks == SYMLINKS_ALL else real_roots(dirs)
    with ThreadPoolExecutor(max_workers=max(1, min(max_workers, len(dirs)))) as pool:
        for entries, dir_problems in pool.map(partial(list_dir, link_roots=roots), dirs):
            found.entries.extend(entries)
            found.problems.extend(dir_problems)
    found.entries = _one_name_per_file(found.entries)
    for problem in found.problems:
        log.warning("discovery: %s", problem)
    return found


def list_dir(
    directory: str, link_roots: tuple[str, ...] | None = None
) -> tuple[list[LogFileEntry], list[str]]:
    """The `.log` regular files directly inside `directory`, and what went wrong on the way.

    `link_roots`: a symlink is taken only if its target lies under one of these (None: any)."""
    entries: list[LogFileEntry] = []
    problems: list[str] = []
    try:
        with os.scandir(directory) as listing:
            for item in listing:
                if not item.name.endswith(LOG_SUFFIX):
                    continue
                if not is_utf8(item.name):
                    problems.append(f"{shown(item.path)}: name is not valid UTF-8, skipped")
                    continue
                policed_link = link_roots is not None and item.is_symlink()
                if policed_link and not target_inside(item.path, link_roots):
                    problems.append(
                        f"{item.path}: symlink to a file outside the log directories, "
                        f"skipped (walker.symlinks: {SYMLINKS_ALL} follows it)"
                    )
                    continue
                entry = _stat_entry(item, problems)
                if entry is not None:
                    entries.append(entry)
    except OSError as exc:
        problems.append(_describe_dir_error(directory, exc))
    return entries, problems


def _stat_entry(item: os.DirEntry[str], problems: list[str]) -> LogFileEntry | None:
    try:
        st = item.stat()  # follows symlinks: a linked log is read through its link
    except FileNotFoundError:
        if item.is_symlink():
            problems.append(f"{item.path}: broken symlink (its target does not exist), skipped")
        return None  # otherwise deleted between listing and stat: nothing to report
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            problems.append(f"{item.path}: symlink loop, skipped")
        elif isinstance(exc, PermissionError):
            problems.append(f"{item.path}: permission denied, skipped")
        else:
            problems.append(f"{item.path}: cannot stat ({exc.strerror or exc}), skipped")
        return None
    if not stat.S_ISREG(st.st_mode):
        return None  # a directory or fifo named *.log is not a log file
    return LogFileEntry(
        path=item.path,
        size=st.st_size,
        mtime=st.st_mtime,
        dev=st.st_dev,
        inode=st.st_ino,
        via_link=item.is_symlink(),
    )


def _one_name_per_file(entries: list[LogFileEntry]) -> list[LogFileEntry]:
    """One entry per (device, inode): a real name before a symlink, then the first path."""
    kept: dict[tuple[int, int], LogFileEntry] = {}
    for entry in sorted(entries, key=lambda e: (e.via_link, e.path)):
        kept.setdefault((entry.dev, entry.inode), entry)
    return sorted(kept.values(), key=lambda e: e.path)


def _distinct_dirs(log_dirs: list[str]) -> tuple[list[str], list[str]]:
    """Absolute directories, each physical directory once: a directory listed twice (or through a
    symlink) would otherwise yield every file twice and count it twice."""
    dirs: list[str] = []
    problems: list[str] = []
    seen: set[tuple[int, int]] = set()
    for raw in log_dirs:
        directory = os.path.abspath(raw)
        try:
            st = os.stat(directory)
        except OSError as exc:
            problems.append(_describe_dir_error(directory, exc))
            continue
        if not stat.S_ISDIR(st.st_mode):
            problems.append(f"log dir {directory} is not a directory")
            continue
        if (st.st_dev, st.st_ino) in seen:
            continue
        seen.add((st.st_dev, st.st_ino))
        dirs.append(directory)
    return dirs, problems


def _describe_dir_error(directory: str, exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        return f"log dir {directory} does not exist"
    if isinstance(exc, PermissionError):
        return f"log dir {directory}: permission denied"
    if isinstance(exc, NotADirectoryError):
        return f"log dir {directory} is not a directory"
    if exc.errno == errno.ELOOP:
        return f"log dir {directory}: symlink loop"
    return f"log dir {directory}: {exc.strerror or exc}"
