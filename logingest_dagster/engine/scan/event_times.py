"""The exact times of a block's events at once: one compiled (or RE2) pass over their heads.

`TimeReader.exact` reads one line's time in Python (about 4 µs a line); here the family's compiled
matcher (`time_keys`) runs over every event's head, giving each a packed minute key and the
microseconds into that minute, and each distinct minute is parsed once. Without the compiled
library the family's pattern runs over the heads in one `extract_regex` call, each distinct minute
is parsed once (`TimeReader.minutes_of`), and seconds, fractions and epoch numbers are read from
the matched digits with numpy. The result is the same as `exact` on each line: a head is the first
`HEAD_CHARS` characters of the line, which are its first bytes where those are ASCII; a line with
another byte there is read by `exact` itself (its characters and bytes differ).
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pyarrow as pa
from pyarrow import _compute

from logingest_dagster.engine.scan import time_keys
from logingest_dagster.engine.scan.timestamps import HEAD_CHARS, TimeReader

_INT64_MAX = np.iinfo(np.int64).max


def head_ends(data: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Where each line `[starts, ends)` ends without its trailing `\\r` and `\\n` bytes (as
    `bytes.rstrip(b"\\r\\n")`)."""
    ends = ends.copy()
    active = np.flatnonzero(ends > starts)
    while len(active):
        last = data[ends[active] - 1]
        strip = active[(last == 10) | (last == 13)]
        ends[strip] -= 1
        active = strip[ends[strip] > starts[strip]]
    return ends


def exact_times(
    reader: TimeReader,
    buffer: pa.Buffer,
    data: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    texts: list[str],
) -> list[int | None]:
    """`reader.exact(text)` of each line `buffer[starts[i]:ends[i]]` (newline removed), whose
    text is `texts[i]`."""
    if len(starts) == 0:
        return []
    head_stops = np.minimum(ends, starts + HEAD_CHARS)
    found = time_keys.find(
        reader.family, data, starts, head_stops, python_space=True, ascii_only=True, within=True
    )
    if found is None:
        return re2_exact_times(reader, buffer, starts, head_stops, texts)
    assert found.within is not None
    slots = found.slots
    if reader.family.epoch:
        micros, valid = found.within, slots >= 0
    else:
        lut = np.append(reader.minutes_of_packed(found.keys, found.minutes), -1)
        minutes = lut[np.where(slots >= 0, slots, len(lut) - 1)]
        micros, valid = minutes * 1_000_000 + found.within, minutes >= 0
    out: list[int | None] = micros.tolist()
    for i in np.flatnonzero(~valid).tolist():
        out[i] = None
    # Heads with a byte above ASCII: their first HEAD_CHARS characters are not their bytes.
    for i in np.flatnonzero(slots == time_keys.UNSURE).tolist():
        out[i] = reader.exact(texts[i])
    return out


def re2_exact_times(
    reader: TimeReader,
    buffer: pa.Buffer,
    starts: np.ndarray,
    head_stops: np.ndarray,
    texts: list[str],
) -> list[int | None]:
    """`exact_times` with the family's RE2 pattern over the heads `buffer[starts[i]:
    head_stops[i]]`."""
    heads = _heads(buffer, starts, head_stops)
    found = _compute.call_function(
        "extract_regex", [heads], _compute.ExtractRegexOptions(_re2_pattern(reader.family.pattern))
    )
    valid = _valid(found)
    if reader.family.epoch:
        micros, valid = _epoch_micros(found, valid)
    else:
        minutes = reader.minutes_of(found)
        valid &= minutes >= 0
        seconds = _digits(_field(found, "S"), 2, pad=False).astype(np.int64)
        micros = (minutes + seconds) * 1_000_000 + _fractions(found)
    out: list[int | None] = micros.tolist()
    for i in np.flatnonzero(~valid).tolist():
        out[i] = None
    # Heads with a byte above ASCII: their first HEAD_CHARS characters are not their bytes.
    head_bytes = np.frombuffer(heads.buffers()[2] or b"", dtype=np.uint8)
    if len(head_bytes) and (head_bytes >= 0x80).any():
        high = np.cumsum(np.concatenate(([0], head_bytes >= 0x80)))
        offsets = _offsets(heads)
        for i in np.flatnonzero(high[offsets[1:]] > high[offsets[:-1]]).tolist():
            out[i] = reader.exact(texts[i])
    return out


def _heads(buffer: pa.Buffer, starts: np.ndarray, stops: np.ndarray) -> pa.Array:
    """The byte ranges `[starts[i], stops[i])` of `buffer` (ascending, apart) as one array: an
    array over the buffer whose even elements are the ranges and odd ones the gaps between, of
    which the even are taken (copying only the heads)."""
    m = len(starts)
    bounds = np.empty(2 * m, dtype=np.int64)
    bounds[0::2] = starts
    bounds[1::2] = stops
    spans = pa.LargeBinaryArray.from_buffers(
        pa.large_binary(), 2 * m - 1, [None, pa.py_buffer(bounds), buffer]
    )
    even = np.arange(0, 2 * m, 2, dtype=np.int64)
    index = pa.Array.from_buffers(pa.int64(), m, [None, pa.py_buffer(even)])
    return _compute.call_function("take", [spans, index])


def _epoch_micros(found: pa.StructArray, valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """As `exact` reads an epoch number: seconds (with its fraction), or milli-, micro- or
    nanoseconds, by its digit count (10, 13, 16 or 19)."""
    digits = _field(found, "e")
    length = np.diff(_offsets(digits))
    whole = _digits(digits, 19, pad=False)  # up to 19 digits: within uint64
    micros = np.zeros(len(whole), dtype=np.int64)
    # `whole * 10**6 // 10**(count - 10)`, without leaving 64 bits.
    for count in (10, 13, 16, 19):
        here = valid & (length == count)
        shift = count - 10
        if shift <= 6:
            micros[here] = (whole[here] * np.uint64(10 ** (6 - shift))).astype(np.int64)
        else:
            micros[here] = (whole[here] // np.uint64(10 ** (shift - 6))).astype(np.int64)
    seconds = valid & (length == 10)
    micros[seconds] += _fractions(found)[seconds]
    return micros, valid


def _fractions(found: pa.StructArray) -> np.ndarray:
    """The fraction's first six digits as microseconds (`123` -> 123000), 0 where none."""
    if found.type.get_field_index("f") < 0:  # a family written without fractions
        return np.zeros(len(found), dtype=np.int64)
    return _digits(_field(found, "f"), 6, pad=True).astype(np.int64)


def _digits(field: pa.Array, width: int, pad: bool) -> np.ndarray:
    """The number each element's first `width` ASCII digits write (0 for an empty one); with
    `pad`, as if zeros followed it up to `width` digits."""
    offsets = _offsets(field)
    starts = offsets[:-1]
    taken = np.minimum(offsets[1:] - starts, width)
    values = np.zeros(len(starts), dtype=np.uint64)
    raw = field.buffers()[2]
    if raw is None or not taken.any():
        return values
    data = np.frombuffer(raw, dtype=np.uint8)
    for j in range(int(taken.max())):
        has = np.flatnonzero(taken > j)
        values[has] = values[has] * np.uint64(10) + (data[starts[has] + j] - 48).astype(np.uint64)
    if pad:
        values *= (np.uint64(10) ** (width - taken).astype(np.uint64)).astype(np.uint64)
    return values


def _valid(array: pa.Array) -> np.ndarray:
    """Which elements are not null."""
    n = len(array)
    if array.null_count == 0:
        return np.ones(n, dtype=bool)
    if array.null_count == n:
        return np.zeros(n, dtype=bool)
    bits = np.unpackbits(
        np.frombuffer(array.buffers()[0], np.uint8), count=array.offset + n, bitorder="little"
    )
    return bits[array.offset :].astype(bool)


def _offsets(array: pa.Array) -> np.ndarray:
    """A large_binary array's n + 1 offsets."""
    n = len(array)
    return np.frombuffer(array.buffers()[1], dtype=np.int64)[array.offset : array.offset + n + 1]


def _field(found: pa.StructArray, name: str) -> pa.Array:
    return _compute.call_function("struct_field", [found], _compute.StructFieldOptions([name]))


@cache
def _re2_pattern(pattern: str) -> str:
    """`pattern` as Python's `re` reads it on bytes: its `\\s` takes in the vertical tab, which
    RE2's leaves out (the family patterns use `\\s` outside character classes only)."""
    return pattern.replace(r"\s", r"[\t\n\v\f\r ]")
