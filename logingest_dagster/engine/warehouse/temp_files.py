"""The temporary files behind atomic writes: their mode, and the ones a killed run left behind.

`tempfile.mkstemp` creates 0600, so a renamed Parquet file stayed private to the account that ran
the ingestion; it is given the mode a plain `open` would (0644 under the usual umask 022) before
the rename. A run killed between create and rename leaves `.<name>.<random>.tmp`; the next publish
removes those old enough that no live writer can still own them.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

log = logging.getLogger(__name__)

TEMP_PATTERN = ".*.parquet.*.tmp"
# No write of one output takes this long; a younger temporary file may be a concurrent run's.
STALE_AFTER_SECONDS = 3600.0


def umask() -> int:
    """The process umask, read without changing it where /proc says it (Linux >= 4.7)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # elsewhere: set and restore (not atomic, but only a mode is at stake)
    os.umask(mask)
    return mask


def public_mode() -> int:
    """The mode `open()` gives a new file: 0666 less the umask."""
    return 0o666 & ~umask()


def remove_stale_temp_files(directory: Path, now: float | None = None) -> list[Path]:
    """Delete the temporary files of writes that never finished (see STALE_AFTER_SECONDS)."""
    now = time.time() if now is None else now
    removed = []
    for tmp in directory.rglob(TEMP_PATTERN):
        try:
            if now - tmp.stat().st_mtime >= STALE_AFTER_SECONDS:
                tmp.unlink()
                removed.append(tmp)
        except OSError as exc:
            log.warning("cannot remove the unfinished write %s: %s", tmp, exc.strerror or exc)
    for tmp in removed:
        log.info("removed %s, left by a run that stopped while writing it", tmp)
    return removed
