"""Arrow arrays built from buffers: `pa.array(list)` imports pandas on first use (~0.2 s, in the
short publish step of every run) just to check whether the list is a pandas object."""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from itertools import compress, repeat
from operator import is_not

import numpy as np
import pyarrow as pa

# The kernel by name: importing `pyarrow.compute` costs ~20 ms (see scan/formats.py).
from pyarrow import _compute


def _validity(values: Sequence) -> tuple[pa.Buffer | None, int]:
    missing = values.count(None)
    if not missing:
        return None, 0
    return pa.py_buffer(np.packbits(_present(values), bitorder="little")), missing


def _present(values: Sequence) -> np.ndarray:
    """Whether each value is not None, without a Python step per value (`map` of a builtin)."""
    return np.fromiter(map(is_not, values, repeat(None)), bool, len(values))


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
    """A string array, None as null. ASCII text (most log text) is joined and encoded in one
    call, each value's length taken by `map(len)`: no Python step per value."""
    missing = values.count(None)
    present = _present(values) if missing else None
    given = values if present is None else list(compress(values, present))
    joined = "".join(given)
    if joined.isascii():
        data = joined.encode("ascii")
        sizes = np.fromiter(map(len, given), np.int64, len(given))
        if present is not None:
            sizes, given_sizes = np.zeros(len(values), np.int64), sizes
            sizes[present] = given_sizes
    else:
        encoded = [b"" if v is None else v.encode("utf-8", "surrogatepass") for v in values]
        data = b"".join(encoded)
        sizes = np.fromiter(map(len, encoded), np.int64, len(encoded))
    if len(data) >= 1 << 31:
        return pa.chunked_array(
            [strings(values[i : i + 4096]) for i in range(0, len(values), 4096)], pa.string()
        ).combine_chunks()
    offsets = np.zeros(len(values) + 1, np.int32)
    offsets[1:] = np.cumsum(sizes)
    validity = None if present is None else pa.py_buffer(np.packbits(present, bitorder="little"))
    return pa.Array.from_buffers(
        pa.string(),
        len(values),
        [validity, pa.py_buffer(offsets), pa.py_buffer(data)],
        missing,
    )


def bools(values: Sequence[bool]) -> pa.Array:
    bitmap = bytearray((len(values) + 7) // 8)
    for i, value in enumerate(values):
        if value:
            bitmap[i >> 3] |= 1 << (i & 7)
    return pa.Array.from_buffers(pa.bool_(), len(values), [None, pa.py_buffer(bitmap)])


def numpy_view(array: pa.Array, dtype) -> np.ndarray:
    """A null-free fixed-width array as numpy, without `to_numpy()` or `np.asarray` (both import
    pandas)."""
    width = np.dtype(dtype).itemsize
    return np.frombuffer(array.buffers()[1], dtype, len(array), array.offset * width)


def take(values: pa.Array, indices: np.ndarray) -> pa.Array:
    """`values` at `indices` (numpy integers), without `pa.array(numpy)`, which imports pandas."""
    if len(indices) == len(values):  # indices of a subset, in order: all of them is every value
        return values
    chosen = np.ascontiguousarray(indices, dtype=np.int64)
    index = pa.Array.from_buffers(pa.int64(), len(chosen), [None, pa.py_buffer(chosen)])
    return _compute.call_function("take", [values, index])


def int64_scalar(value: int) -> pa.Scalar:
    """`pa.scalar(value, pa.int64())` without it: every `pa.scalar` call imports pandas."""
    return int64s([value])[0]


def string_scalar(value: str) -> pa.Scalar:
    return strings([value])[0]


def dictionary(codes: Sequence[int], names: Sequence[str]) -> pa.Array:
    return pa.DictionaryArray.from_arrays(int32s(codes), strings(list(names)))
