"""Each line's time in its file's family through the compiled `time_keys.c`: a packed minute key
per line, the same match as the family's RE2 pattern (`timestamps.FAMILIES`).

The package build compiles it into `_time_keys.so` beside this file (`hatch_build.py`, as for
`level_fields`). Without it `find` returns None and the caller runs the RE2 pattern instead: the
same times, about five times the cost, and one warning says so.
"""

from __future__ import annotations

import ctypes
import enum
import threading
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pyarrow as pa

from logingest_dagster.engine.scan.native import open_checked
from logingest_dagster.engine.scan.timestamps import TimeFamily

LIBRARY = Path(__file__).with_name("_time_keys.so")
SOURCE = Path(__file__).with_name("time_keys.c")

# The library's interface, declared here only (the build writes ABI and Family into the header the
# C source is compiled with; `load` refuses a library that reports others). ABI: bumped whenever
# the signature of `time_keys` or the meaning of its outputs changes.
ABI = 1


class Family(enum.IntEnum):
    """The compiled matchers, by the number `time_keys` takes (`enum family` in the C source); the
    names are `timestamps.FAMILIES`' in upper case."""

    ISO = 0
    CTIME = 1
    ACCESS = 2
    REDIS = 3
    EPOCH = 4
    HDFS = 5
    SYSLOG = 6
    KLOG = 7
    LOGCAT = 8


def families_declaration() -> str:
    """The families as `time_keys_families()` of a library built from this declaration reports."""
    return ",".join(f"{family.name}={family.value}" for family in Family)


# `slots` values besides an index into the distinct keys.
NO_TIME = -1
UNSURE = -2  # a line the caller reads another way (`ascii_only` and a byte above 0x7f)
# `Found.minutes` where Python parses the key (no year written, or one at datetime's ends).
ASK = np.iinfo(np.int64).min

_PYTHON_SPACE, _ASCII_ONLY = 1, 2


class Found(NamedTuple):
    """The times of some lines: line i's key is `keys[slots[i]]` where `slots[i] >= 0`."""

    slots: np.ndarray  # int32: NO_TIME, UNSURE or an index into `keys`
    keys: np.ndarray  # int64, distinct: packed (`TimeReader.minutes_of_packed`), or minutes
    # int64, each key's minute in UTC or with its written zone, -1 where the date is none, or ASK
    minutes: np.ndarray
    within: np.ndarray | None  # int64 microseconds: into the minute, or the epoch family's time


def find(
    family: TimeFamily,
    data: Any,
    starts: np.ndarray,
    stops: np.ndarray,
    *,
    python_space: bool = False,
    ascii_only: bool = False,
    within: bool = False,
) -> Found | None:
    """The time of each line `data[starts[i]:stops[i]]` (`data`: anything with a buffer, kept alive
    by the caller) as the family's pattern finds it with RE2 searching the line, `^` and `$` at
    its ends. `python_space`: `\\s` takes in the vertical tab, as in Python's `re`. `ascii_only`:
    a line with a byte above 0x7f is UNSURE. `within`: the microseconds into each time's minute
    too. None when the library is not available."""
    library = _function()
    if library is None:
        return None
    n = len(starts)
    starts = np.ascontiguousarray(starts, dtype=np.int64)
    stops = np.ascontiguousarray(stops, dtype=np.int64)
    slots = np.empty(n, dtype=np.int32)
    keys = np.empty(n, dtype=np.int64)
    minutes = np.empty(n, dtype=np.int64)
    micros = np.empty(n, dtype=np.int64) if within else None
    flags = (_PYTHON_SPACE if python_space else 0) | (_ASCII_ONLY if ascii_only else 0)
    count = library.time_keys(
        Family[family.name.upper()],
        flags,
        np.frombuffer(data, dtype=np.uint8).ctypes.data,
        starts.ctypes.data,
        stops.ctypes.data,
        n,
        slots.ctypes.data,
        keys.ctypes.data,
        minutes.ctypes.data,
        None if micros is None else micros.ctypes.data,
    )
    if count < 0:
        raise MemoryError("time_keys: out of memory")
    return Found(slots, keys[:count], minutes[:count], micros)


def find_in_lines(family: TimeFamily, lines: Any) -> Found | None:
    """`find` over each element of `lines` (a pyarrow binary or large_binary array), whole."""
    if _function() is None:
        return None
    data, offsets = _buffers(lines)
    return find(family, data, offsets[:-1], offsets[1:])


def hits(heads: list[bytes]) -> dict[str, int] | None:
    """In how many of `heads` Python's `re` finds each family's pattern, by family name (as
    `TimeFamily.name`); None without the library."""
    lengths = np.fromiter(map(len, heads), dtype=np.int64, count=len(heads))
    stops = np.cumsum(lengths)
    return _hits(b"".join(heads), stops - lengths, stops)


def hits_in_lines(lines: Any, head: int) -> dict[str, int] | None:
    """`hits` of the first `head` bytes of each element of `lines` (a pyarrow binary or
    large_binary array)."""
    data, offsets = _buffers(lines)
    starts = offsets[:-1]
    return _hits(data, starts, np.minimum(offsets[1:], starts + head))


def _hits(data: Any, starts: np.ndarray, stops: np.ndarray) -> dict[str, int] | None:
    library = _function()
    if library is None:
        return None
    out = np.zeros(len(Family), dtype=np.int64)
    starts = np.ascontiguousarray(starts, dtype=np.int64)
    stops = np.ascontiguousarray(stops, dtype=np.int64)
    library.time_hits(
        _PYTHON_SPACE,
        np.frombuffer(data, dtype=np.uint8).ctypes.data,
        starts.ctypes.data,
        stops.ctypes.data,
        len(starts),
        out.ctypes.data,
    )
    return {family.name.lower(): count for family, count in zip(Family, out.tolist(), strict=True)}


def _buffers(lines: Any) -> tuple[Any, np.ndarray]:
    """A binary array's data buffer and its n + 1 offsets into it (as large_binary's: int64)."""
    if lines.type != pa.large_binary():  # the C code reads int64 offsets
        lines = lines.cast(pa.large_binary())
    offsets_buffer, data_buffer = lines.buffers()[1:3]
    offsets = np.frombuffer(offsets_buffer, dtype=np.int64)
    return data_buffer or b"", offsets[lines.offset : lines.offset + len(lines) + 1]


_lock = threading.Lock()
_loaded = False
_library: Any = None


def is_available() -> bool:
    """Whether the compiled library is built and loads."""
    return _function() is not None


def _function() -> Any:
    global _loaded, _library
    if _loaded:
        return _library
    with _lock:
        if not _loaded:
            _library = load(LIBRARY, SOURCE)
            _loaded = True
    return _library


def load(library_path: Path, source_path: Path) -> Any:
    """The library's functions, or None (logged once) when it is missing, older than its
    source, built from another declaration of the ABI or the families, or does not load."""
    library = open_checked(
        library_path,
        source_path,
        name="time_keys",
        declared="families",
        abi=ABI,
        declaration=families_declaration(),
        fallback="times are found with RE2, slower",
    )
    if library is None:
        return None
    integer, pointer, int64 = ctypes.c_int, ctypes.c_void_p, ctypes.c_int64
    library.time_keys.argtypes = [
        integer, integer, pointer, pointer, pointer, int64, pointer, pointer, pointer, pointer
    ]  # fmt: skip
    library.time_keys.restype = int64
    library.time_hits.argtypes = [integer, pointer, pointer, pointer, int64, pointer]
    library.time_hits.restype = None
    return library
