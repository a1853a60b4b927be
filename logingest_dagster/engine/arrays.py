"""Arrow arrays built from buffers: `pa.array(list)` imports pandas on first use (~0.2 s, in the
short publish step of every run) just to check whether the list is a pandas object."""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from itertools import accumulate

import pyarrow as pa


def _validity(values: Sequence) -> tuple[pa.Buffer | None, int]:
    missing = values.count(None)
    if not missing:
        return None, 0
    bitmap = bytearray((len(values) + 7) // 8)
    for i, value in enumerate(values):
        if value is not None:
            bitmap[i >> 3] |= 1 << (i & 7)
    return pa.py_buffer(bitmap), missing


def int64s(values: Sequence[int | None], type: pa.DataType | None = None) -> pa.Array:
    """int64 (or a 64-bit type such as a timestamp) with None as null."""
    return _ints_with_nulls(values, "q", pa.int64() if type is None else type)


def int32s_with_nulls(values: Sequence[int | None]) -> pa.Array:
    return _ints_with_nulls(values, "i", pa.int32())


def _ints_with_nulls(values: Sequence[int | None], typecode: str, kind: pa.DataType) -> pa.Array:
    validity, missing = _validity(values)
    data = array(typecode, (0 if v is None else v for v in values) if missing else values)
    return pa.Array.from_buffers(kind, len(data), [validity, pa.py_buffer(data)], missing)


def int32s(values: Sequence[int]) -> pa.Array:
    data = array("i", values)
    return pa.Array.from_buffers(pa.int32(), len(data), [None, pa.py_buffer(data)])


def strings(values: Sequence[str | None]) -> pa.Array:
    validity, missing = _validity(values)
    encoded = [b"" if v is None else v.encode("utf-8", "surrogatepass") for v in values]
    if sum(map(len, encoded)) >= 1 << 31:
        return pa.chunked_array(
            [strings(values[i : i + 4096]) for i in range(0, len(values), 4096)], pa.string()
        ).combine_chunks()
    offsets = array("i", accumulate((len(e) for e in encoded), initial=0))
    return pa.Array.from_buffers(
        pa.string(),
        len(encoded),
        [validity, pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))],
        missing,
    )


def bools(values: Sequence[bool]) -> pa.Array:
    bitmap = bytearray((len(values) + 7) // 8)
    for i, value in enumerate(values):
        if value:
            bitmap[i >> 3] |= 1 << (i & 7)
    return pa.Array.from_buffers(pa.bool_(), len(values), [None, pa.py_buffer(bitmap)])


def dictionary(codes: Sequence[int], names: Sequence[str]) -> pa.Array:
    return pa.DictionaryArray.from_arrays(int32s(codes), strings(list(names)))
