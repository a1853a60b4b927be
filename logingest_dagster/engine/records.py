"""Counting records in a block of whole lines, vectorized with pyarrow (RE2) and numpy.

A record is a line plus its continuation lines (Java stack frames, `Caused by:`, `... N more`,
Python tracebacks through the final exception line); it is counted once, under its first line's
level. Continuation lines and blank lines are lines but not records.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from logingest_dagster.engine.formats import PLAIN, LogFormat
from logingest_dagster.engine.levels import empty_counts

# Lines that continue the record above them rather than start one.
CONTINUATION = (
    r"^(?:[ \t]+\S|Caused by:|Suppressed:|\.\.\. \d+ (?:more|common frames omitted)"
    r"|Traceback \(most recent call last\):|During handling of the above exception"
    r"|The above exception was the direct cause"
    # A Java exception's first line, printed under the log line that reported it.
    r"|(?:[a-zA-Z_$][\w$]*\.)+[\w$]*(?:Exception|Error|Throwable)(?::|\s*$))"
)
BLANK = r"^\s*$"
INDENTED = r"^[ \t]"
# The last line of a Python traceback: `ValueError: bad`, `KeyboardInterrupt`, `pkg.mod.Error: x`.
EXCEPTION_LINE = r"^[A-Za-z_][\w.]*(?::\s.*)?\s*$"


@dataclass
class LineBlock:
    """Whole lines as one large_binary array over a buffer, without copying the bytes."""

    lines: pa.Array

    @classmethod
    def from_buffer(cls, data: memoryview, newline_positions: np.ndarray) -> LineBlock:
        """`data` ends just after its last newline; each line excludes its `\\n` (keeps any `\\r`)."""
        n = len(newline_positions)
        offsets = np.empty(n + 1, dtype=np.int64)
        offsets[0] = 0
        offsets[1:] = newline_positions
        offsets[1:] += 1
        # Point each line's end before its newline by building (start, end) pairs from offsets:
        # line i spans [offsets[i], offsets[i+1] - 1). A view with the newline included is cheaper,
        # and RE2 patterns anchored at `^` never look at a line's end, except `$` which accepts the
        # trailing `\n` via `\s`.
        lines = pa.LargeBinaryArray.from_buffers(
            pa.large_binary(), n, [None, pa.py_buffer(offsets), pa.py_buffer(data)]
        )
        return cls(lines)


class RecordCounter:
    """Counts records per token for one file, carrying multi-line state across blocks."""

    def __init__(self, fmt: LogFormat, multiline_start_pattern: str | None = None) -> None:
        self.fmt = fmt
        self.multiline_start = multiline_start_pattern
        self.token_counts: dict[bytes, int] = {}
        self.unknown_records = 0
        self.lines = 0
        # Whether the last line seen was an indented continuation (a traceback frame).
        self._prev_indented = False

    def add(self, block: LineBlock) -> None:
        lines = block.lines
        n = len(lines)
        if n == 0:
            return
        self.lines += n
        if self.fmt is PLAIN:
            heads = pa.nulls(n, pa.large_binary())
            is_head = np.zeros(n, dtype=bool)
        else:
            heads = self._level_fields(lines)
            is_head = heads.is_valid().to_numpy(zero_copy_only=False)

        if self.multiline_start is not None:
            starts = pc.match_substring_regex(lines, self.multiline_start)
            starts_np = starts.to_numpy(zero_copy_only=False)
            self._count_heads(heads.filter(pa.array(starts_np & is_head)))
            self.unknown_records += int(np.count_nonzero(starts_np & ~is_head))
            return

        self._count_heads(heads)
        self._count_non_heads(lines, is_head)

    def _level_fields(self, lines: pa.Array) -> pa.Array:
        """Each line's level token, null unless the format matched AND the token is a level.

        A column format also matches a `Caused by: java.io.IOException: x` line (its k-th field is
        `java.io.IOException:`); such lines are not headers and go on to the continuation rules.
        """
        heads = level_tokens(lines, self.fmt.pattern)
        if heads.null_count == len(heads):
            return heads
        distinct = pc.unique(heads.drop_null()).to_pylist()
        not_levels = [t for t in distinct if self.fmt.level_of(t.decode("latin-1")) is None]
        if not not_levels:
            return heads
        keep = pc.invert(pc.is_in(heads, value_set=pa.array(not_levels, heads.type)))
        return pc.if_else(keep, heads, pa.scalar(None, heads.type))

    def _count_heads(self, heads: pa.Array) -> None:
        if heads.null_count == len(heads):
            return
        for entry in pc.value_counts(heads.drop_null()).to_pylist():
            token = entry["values"]
            self.token_counts[token] = self.token_counts.get(token, 0) + entry["counts"]

    def _count_non_heads(self, lines: pa.Array, is_head: np.ndarray) -> None:
        """Lines without a level field: continuation, blank, or a record of unknown level."""
        other_idx = np.flatnonzero(~is_head)
        if len(other_idx) == 0:
            self._prev_indented = False
            return
        others = lines.take(pa.array(other_idx))
        continuation = _matches(others, CONTINUATION) | _matches(others, BLANK)
        indented = _matches(others, INDENTED)
        # A traceback's final line follows an indented frame line and looks like `Error: msg`.
        prev_idx = other_idx - 1
        prev_indented = np.zeros(len(other_idx), dtype=bool)
        pos = np.searchsorted(other_idx, prev_idx)
        found = (pos < len(other_idx)) & (
            other_idx[np.minimum(pos, len(other_idx) - 1)] == prev_idx
        )
        prev_indented[found] = indented[pos[found]]
        if other_idx[0] == 0:
            prev_indented[0] = self._prev_indented
        exception_line = prev_indented & _matches(others, EXCEPTION_LINE)
        records = ~(continuation | exception_line)
        self.unknown_records += int(np.count_nonzero(records))
        last_is_other = other_idx[-1] == len(lines) - 1
        self._prev_indented = bool(indented[-1]) if last_is_other else False

    def counts(self) -> dict[str, int]:
        """Records per canonical level; tokens that are not levels count as UNKNOWN."""
        out = empty_counts()
        out["UNKNOWN"] += self.unknown_records
        for token, count in self.token_counts.items():
            level = self.fmt.level_of(token.decode("latin-1")) or "UNKNOWN"
            out[level] += count
        return out


def level_tokens(lines: pa.Array, pattern: str) -> pa.Array:
    """The `level` group of each line, null where the pattern does not match.

    `StructArray.field()` ignores the struct's own validity, so non-matching rows would come back
    as empty strings; `pc.struct_field` carries the nulls through.
    """
    return pc.struct_field(pc.extract_regex(lines, pattern), "level")


def _matches(lines: pa.Array, pattern: str) -> np.ndarray:
    return pc.match_substring_regex(lines, pattern).to_numpy(zero_copy_only=False)
