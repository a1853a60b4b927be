"""Atomic file and directory replacement, with the permissions readers need.

A file is written to a temporary name in its directory, fsynced, made readable by others (0644
under the usual umask: `mkstemp` creates 0600) and renamed into place. A partition directory is
replaced whole by `renameat2(RENAME_EXCHANGE)`, so a reader listing it sees the old files or the
new ones, never a mix and never none.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import tempfile
import uuid
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from logingest_dagster.engine.warehouse.temp_files import public_mode

STAGING = ".staging"  # under the warehouse: partitions being built, and replaced ones to delete


def write_parquet_atomic(table: pa.Table, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as sink:
            pq.write_table(table, sink)
            sink.flush()
            os.fchmod(sink.fileno(), public_mode())
            os.fsync(sink.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def staging_dir(warehouse: Path) -> Path:
    """A new empty directory on the warehouse's file system, outside every dataset."""
    path = warehouse / STAGING / uuid.uuid4().hex
    path.mkdir(parents=True)
    return path


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def exchange_dirs(a: Path, b: Path) -> None:
    """Swap two directories atomically; where the kernel or file system cannot, rename the old
    one away and the new one in (a reader may then miss the partition for a moment)."""
    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    swap = (_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if renameat2 is not None and renameat2(*swap) == 0:
        return
    aside = b.with_name(b.name + ".old-" + uuid.uuid4().hex)
    os.rename(b, aside)
    os.rename(a, b)
    os.rename(aside, a)


def remove_dir(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
