"""Symbolic and hard links: which names of a file are read, and which files a link may reach.

One file reached under two names (`ln -s app-2024.log current.log` as Apache's `rotatelogs -L`
keeps it, or a hard link) is one stream: one (device, inode), one offset, counted once. The name
kept is a real one rather than a link, then the first in path order, so the choice is the same on
every run.

A symlink is read only when its target lies inside one of the configured directories (the
default, `inside`): a link to a private file elsewhere must not copy its lines into the events.
`all` follows every link, as Filebeat's `symlinks: true` does.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

SYMLINKS_INSIDE = "inside"
SYMLINKS_ALL = "all"
SYMLINK_POLICIES = (SYMLINKS_INSIDE, SYMLINKS_ALL)


def real_roots(directories: Iterable[str]) -> tuple[str, ...]:
    """The configured directories with every link resolved, as prefixes (trailing separator)."""
    return tuple(os.path.join(os.path.realpath(d), "") for d in directories)


def target_inside(link: str, roots: tuple[str, ...]) -> bool:
    """Whether the file `link` resolves to lies inside one of `roots` (see `real_roots`)."""
    return os.path.realpath(link).startswith(roots)
