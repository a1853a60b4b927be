"""Level tokens through the compiled `level_fields.c`, for the formats that carry most bytes
(columns, JSON lines, logfmt) and the fixed-syntax ones (klog, syslog PRI, logcat, Ruby, Python).

The package build compiles it into `_level_fields.so` beside this file (`hatch_build.py`: into
the source tree for an editable install, into the wheel otherwise). Without a C compiler the
library is missing, `tokens` returns None and the caller runs the format's RE2 pattern instead:
the same tokens, several times the time on such files, and one warning says so.

It also frames a chunk (`frame`): the line offsets, each line's first byte and, in the same pass,
its level token, where numpy took several passes over every byte and a second look at each line.
And it runs the per-line loops of the record rules (`fold_*`, `count_records`, `records.py`) and
of the fallback's level-word check (`levelish`, `fallback.py`), each where numpy or Python took
several passes; the callers keep their numpy and Python twins for when the library is missing.

ctypes, not a CPython extension: no Python headers are needed to build it, and a foreign call
releases the GIL, so both scan threads run it at once.
"""

from __future__ import annotations

import ctypes
import enum
import threading
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from logingest_dagster.engine.scan.native import open_checked

LIBRARY = Path(__file__).with_name("_level_fields.so")
SOURCE = Path(__file__).with_name("level_fields.c")

# The library's interface, declared here only: the build writes ABI and Finder into the header the
# C source is compiled with (hatch_build.py reads them from this file's syntax tree, so both stay
# literals), and `load` refuses a library that reports others. ABI: bumped whenever a function is
# added or the signature or meaning of one changes.
ABI = 6


class Finder(enum.IntEnum):
    """The compiled finders, by the number `level_tokens` takes (`enum finder` in the C source)."""

    COLUMN = 0
    JSON = 1
    LOGFMT = 2
    KLOG = 3
    SYSLOG_PRI = 4
    LOGCAT_THREADTIME = 5
    RUBY_LOGGER = 6
    PYTHON_DEFAULT = 7


def finders_declaration() -> str:
    """The finders as `level_fields_finders()` of a library built from this declaration reports."""
    return ",".join(f"{finder.name}={finder.value}" for finder in Finder)


# `token_of_line` values besides 1 + an index into the distinct tokens.
NO_TOKEN = 0
UNSURE = -1  # the finder cannot tell on this line: run the format's full pattern there


class LevelFinder(NamedTuple):
    """Which compiled finder gives a format's tokens (the `enum finder` of the C source)."""

    kind: Finder
    column: int = 0  # a column format's k
    brackets: bool = False  # a column format's bracket-aware fields


# The names formats.py imports.
COLUMN, JSON, LOGFMT = Finder.COLUMN, Finder.JSON, Finder.LOGFMT
KLOG, SYSLOG_PRI, LOGCAT_THREADTIME = Finder.KLOG, Finder.SYSLOG_PRI, Finder.LOGCAT_THREADTIME
RUBY_LOGGER, PYTHON_DEFAULT = Finder.RUBY_LOGGER, Finder.PYTHON_DEFAULT


class Library(NamedTuple):
    """The library's functions, typed for ctypes."""

    level_tokens: Any
    frame_lines: Any
    may_not_be_records: Any
    levelish_lines: Any
    fold_suspects: Any
    fold_lines: Any
    fold_continuations: Any
    count_records: Any


class Framed(NamedTuple):
    """A chunk's whole lines, as `frame` finds them."""

    offsets: np.ndarray  # line i is data[offsets[i]:offsets[i + 1]] (int64, one more than lines)
    first: np.ndarray  # each line's first byte (uint8)
    tokens: tuple[np.ndarray, list[bytes]] | None  # as `tokens` gives them, when a finder ran


# `frame` first makes room for a line every this many bytes, and again for a line every byte when
# a chunk holds more.
_SHORTEST_USUAL_LINE = 16

_lock = threading.Lock()
_loaded = False
_library: Library | None = None  # once loaded


def is_available() -> bool:
    """Whether the compiled library is built and loads."""
    return _function() is not None


def tokens(
    finder: LevelFinder, data: np.ndarray, offsets: np.ndarray
) -> tuple[np.ndarray, list[bytes]] | None:
    """Each line's level token, as the format's RE2 pattern extracts it.

    `data`: the buffer (uint8); line i is `data[offsets[i]:offsets[i + 1]]` (int64 offsets, one
    more than lines). Returns `(token_of_line, distinct)`: `token_of_line[i]` is `NO_TOKEN`,
    `UNSURE`, or 1 + an index into `distinct` (the tokens as bytes). None when the library is not
    available.
    """
    library = _function()
    if library is None:
        return None
    n = len(offsets) - 1
    offsets = np.ascontiguousarray(offsets, dtype=np.int64)
    token_of_line = np.empty(n, dtype=np.int32)
    starts = np.empty(n, dtype=np.int64)
    lengths = np.empty(n, dtype=np.int32)
    count = library.level_tokens(
        finder.kind,
        finder.column,
        int(finder.brackets),
        data.ctypes.data,
        offsets.ctypes.data,
        n,
        token_of_line.ctypes.data,
        starts.ctypes.data,
        lengths.ctypes.data,
    )
    if count < 0:
        raise MemoryError("level_tokens: out of memory")
    return token_of_line, _distinct(data, starts, lengths, count)


def frame(data: np.ndarray, finder: LevelFinder | None = None) -> Framed | None:
    """The newline-terminated lines of `data` (uint8; bytes after its last newline are no line),
    each line's first byte and, with a `finder`, each line's token as `tokens` finds it. None
    when the library is not available."""
    library = _function()
    if library is None:
        return None
    size = len(data)
    n = -2
    capacity = min(size, size // _SHORTEST_USUAL_LINE + 64)
    while n == -2:
        # Arrays this size come from the heap and are reused chunk after chunk; room for a line
        # every byte (a mapping per chunk, its pages faulted in anew) only if the chunk needs it.
        offsets = np.empty(capacity + 1, dtype=np.int64)
        first = np.empty(capacity, dtype=np.uint8)
        distinct = ctypes.c_int64(0)
        if finder is None:
            token_of_line = starts = lengths = None
            kind, column, brackets = -1, 0, 0
            outputs = (None, None, None)
        else:
            token_of_line = np.empty(capacity, dtype=np.int32)
            starts = np.empty(capacity, dtype=np.int64)
            lengths = np.empty(capacity, dtype=np.int32)
            kind, column, brackets = finder.kind, finder.column, int(finder.brackets)
            outputs = (token_of_line.ctypes.data, starts.ctypes.data, lengths.ctypes.data)
        n = library.frame_lines(
            kind,
            column,
            brackets,
            data.ctypes.data,
            size,
            capacity,
            offsets.ctypes.data,
            first.ctypes.data,
            *outputs,
            ctypes.byref(distinct),
        )
        capacity = size
    if n < 0:
        raise MemoryError("frame_lines: out of memory")
    found = None
    if token_of_line is not None:
        found = token_of_line[:n], _distinct(data, starts, lengths, distinct.value)
    return Framed(offsets[: n + 1], first[:n], found)


def may_not_be_records(
    data: np.ndarray, offsets: np.ndarray, lines: np.ndarray
) -> np.ndarray | None:
    """For each line index in `lines`, whether `records.NOT_RECORD` may match that line: False only
    where it cannot. None when the library is not available."""
    library = _function()
    return None if library is None else _per_line(library.may_not_be_records, data, offsets, lines)


def levelish(data: np.ndarray, offsets: np.ndarray, lines: np.ndarray) -> np.ndarray | None:
    """For each line index in `lines`, whether `fallback._LEVELISH` matches the line's first 200
    bytes (a level word, or a JSON or syslog PRI start). None when the library is not available."""
    library = _function()
    return None if library is None else _per_line(library.levelish_lines, data, offsets, lines)


def fold_suspects(
    codes: np.ndarray, first: np.ndarray, data: np.ndarray, offsets: np.ndarray
) -> np.ndarray | None:
    """Sets CODE_NONE, in place, on the head lines (code below CODE_NONE) `records.NOT_RECORD`
    matches where that is sure without the pattern; returns the head lines only the pattern can
    tell about, ascending. None when the library is not available (`codes` untouched)."""
    library = _function()
    if library is None:
        return None
    assert codes.flags.c_contiguous and codes.flags.writeable
    out = np.empty(len(codes), dtype=np.int64)
    count = library.fold_suspects(
        codes.ctypes.data, first.ctypes.data, data.ctypes.data, offsets.ctypes.data, len(codes),
        out.ctypes.data,
    )  # fmt: skip
    return out[:count]


def fold_lines(
    codes: np.ndarray, first: np.ndarray, data: np.ndarray, offsets: np.ndarray
) -> tuple[np.ndarray, np.ndarray] | None:
    """(each line's flags: bit 0 no record, bit 1 indented; the non-head, non-indented lines
    only `records.NOT_RECORD` itself can tell about), or None when every line is a record. A line
    the pattern surely matches already has bit 0. Call only where the library is available."""
    library = _function()
    assert library is not None
    n = len(codes)
    flags = np.empty(n, dtype=np.uint8)
    others = np.empty(n, dtype=np.int64)
    count = library.fold_lines(
        codes.ctypes.data, first.ctypes.data, data.ctypes.data, offsets.ctypes.data, n,
        flags.ctypes.data, others.ctypes.data,
    )  # fmt: skip
    return None if count < 0 else (flags, others[:count])


def fold_continuations(
    codes: np.ndarray, flags: np.ndarray, state: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(the non-head lines not known as no record whose line above is no record; for each,
    whether that line above is indented). `state`: the (indented, no record) of the line above
    the block (uint8), updated to its last line's."""
    library = _function()
    assert library is not None
    n = len(codes)
    maybe = np.empty(n, dtype=np.int64)
    after_frame = np.empty(n, dtype=np.bool_)
    count = library.fold_continuations(
        codes.ctypes.data, flags.ctypes.data, n, state.ctypes.data, maybe.ctypes.data,
        after_frame.ctypes.data,
    )  # fmt: skip
    return maybe[:count], after_frame[:count]


def count_records(
    codes: np.ndarray, record: np.ndarray | None, unknown: int, counts: np.ndarray
) -> bool:
    """Add to `counts` (int64, one per level) each record line's level, a code of CODE_CONTINUED
    or above counting as `unknown`; `record` None: every line is one. False when the library is
    not available (nothing added)."""
    library = _function()
    if library is None:
        return False
    codes = np.ascontiguousarray(codes)
    record = None if record is None else np.ascontiguousarray(record)
    library.count_records(
        codes.ctypes.data, None if record is None else record.ctypes.data, len(codes), unknown,
        counts.ctypes.data,
    )  # fmt: skip
    return True


def _per_line(
    function: Any, data: np.ndarray, offsets: np.ndarray, lines: np.ndarray
) -> np.ndarray:
    lines = np.ascontiguousarray(lines, dtype=np.int64)
    offsets = np.ascontiguousarray(offsets, dtype=np.int64)
    out = np.empty(len(lines), dtype=np.bool_)
    function(data.ctypes.data, offsets.ctypes.data, lines.ctypes.data, len(lines), out.ctypes.data)
    return out


def _distinct(data: np.ndarray, starts: Any, lengths: Any, count: int) -> list[bytes]:
    return [
        data[s : s + length].tobytes()
        for s, length in zip(starts[:count].tolist(), lengths[:count].tolist(), strict=True)
    ]


def _function() -> Library | None:
    global _loaded, _library
    if _loaded:
        return _library
    with _lock:
        if not _loaded:
            _library = load(LIBRARY, SOURCE)
            _loaded = True
    return _library


def load(library_path: Path, source_path: Path) -> Library | None:
    """The library's functions, or None (logged once) when it is missing, older than its
    source (the C code changed since the last install: its tokens might differ from the Python
    side's expectations), built from another declaration of the ABI or the finders, or does not
    load. Each case is the RE2 path; the message says so."""
    library = open_checked(
        library_path,
        source_path,
        name="level_fields",
        declared="finders",
        abi=ABI,
        declaration=finders_declaration(),
        fallback="levels are found with RE2, slower",
    )
    if library is None:
        return None
    integer, pointer, int64 = ctypes.c_int, ctypes.c_void_p, ctypes.c_int64
    level_tokens = library.level_tokens
    level_tokens.argtypes = [
        integer, integer, integer, pointer, pointer, int64, pointer, pointer, pointer
    ]  # fmt: skip
    level_tokens.restype = int64
    frame_lines = library.frame_lines
    frame_lines.argtypes = [
        integer, integer, integer, pointer, int64, int64, pointer, pointer, pointer, pointer,
        pointer, pointer,
    ]  # fmt: skip
    frame_lines.restype = int64
    per_line = []
    for function in (library.may_not_be_records, library.levelish_lines):
        function.argtypes = [pointer, pointer, pointer, int64, pointer]
        function.restype = int64
        per_line.append(function)
    folding = [library.fold_suspects, library.fold_lines, library.fold_continuations]
    folding[0].argtypes = [pointer, pointer, pointer, pointer, int64, pointer]
    folding[1].argtypes = [pointer, pointer, pointer, pointer, int64, pointer, pointer]
    folding[2].argtypes = [pointer, pointer, int64, pointer, pointer, pointer]
    for function in folding:
        function.restype = int64
    count_records = library.count_records
    count_records.argtypes = [pointer, pointer, int64, integer, pointer]
    count_records.restype = None
    return Library(level_tokens, frame_lines, *per_line, *folding, count_records)
