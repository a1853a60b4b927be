"""Counting records in a block of whole lines, vectorized with pyarrow (RE2) and numpy.

A line's level token comes from its format's compiled finder where it has one and the library is
built (`level_fields`: column formats, JSON lines, logfmt), else from the format's RE2 pattern.

A record is a line plus its continuation lines (Java stack frames, `Caused by:`, `... N more`,
Python tracebacks through the final exception line, Go goroutine dumps); it is counted once, under
its first line's level. Continuation lines and blank lines are lines but not records.

Each line gets a small code: its level's index in `LEVELS` (a record), or `CODE_CONTINUED` (part of
the record above), or `CODE_NONE` (the format found no level: a record of UNKNOWN level unless the
continuation rules say otherwise). The rules need only the previous line's state, carried across
blocks, so the counts do not depend on where blocks are cut. Their per-line loops run in the
compiled library where it is built (`_fold_compiled`), else in numpy; the patterns run through RE2
either way, on the few lines the loops list.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from pyarrow import _compute

from logingest_dagster.engine.arrays import take
from logingest_dagster.engine.levels import CONTINUED, LEVELS
from logingest_dagster.engine.scan import level_fields
from logingest_dagster.engine.scan.events import EventCollector
from logingest_dagster.engine.scan.fallback import FormatFallback
from logingest_dagster.engine.scan.formats import (
    CUSTOM,
    PLAIN,
    LogFormat,
    call,
    extract_tokens,
    match_regex,
    py_regex,
)
from logingest_dagster.engine.scan.lines import LineBlock
from logingest_dagster.engine.scan.minute_counts import MinuteCounter

UNKNOWN_CODE = LEVELS.index("UNKNOWN")
CODE_CONTINUED = len(LEVELS)
CODE_NONE = len(LEVELS) + 1

# Lines that belong to a neighbouring record rather than start one (besides indented lines, which
# are found from their first byte): blank lines, Java's `Caused by:` / `... N more` / an exception's
# first line, Python's traceback headers, a Go goroutine header, and the header line that
# java.util.logging prints above each `LEVEL: message` line.
NOT_RECORD = (
    r"^(?:\s*$"
    r"|Caused by:|Suppressed:|\.\.\. \d+ (?:more|common frames omitted)"
    r"|Traceback \(most recent call last\):|During handling of the above exception"
    r"|The above exception was the direct cause|Exception in thread "
    r"|(?:[a-zA-Z_$][\w$]*\.)+[\w$]*(?:Exception|Error|Throwable)(?::|\s*$)"
    r"|goroutine \d+ \[[^\]]*\]:\s*$"
    r"|[A-Z][a-z]{2} \d{1,2}, \d{4} \d{1,2}:\d\d:\d\d (?:AM|PM) \S+(?: \S+)?\s*$)"
)
# Right after an indented line (a traceback frame): a Python traceback's last line,
# `ValueError: bad`, `KeyboardInterrupt`, `pkg.mod.Error: x`.
EXCEPTION_LINE = r"^[A-Za-z_][\w.]*(?::\s.*)?\s*$"
# Right after a continuation line: a Go stack's function line, `main.main()`,
# `net/http.(*conn).serve(0xc000123)`, `created by main.start in goroutine 1`.
GO_FRAME = (
    r"^(?:created by [\w./-]+\.\S+(?: in goroutine \d+)?"
    r"|[\w./-]+\.(?:\(\*?[\w\[\], ]+\)\.)?[\w\[\], .]+\(.*\))\s*$"
)

_SPACE, _TAB = ord(" "), ord("\t")


class RecordCounter:
    """Counts records per level for one file, carrying multi-line state across blocks."""

    def __init__(
        self,
        fmt: LogFormat,
        multiline_start_pattern: str | None = None,
        events: EventCollector | None = None,
        minutes: MinuteCounter | None = None,
        fallback: bool = True,
    ) -> None:
        """`fallback`: try the other formats on lines this one cannot explain (`fallback.py`)."""
        self.fmt = fmt
        self.multiline_start = multiline_start_pattern
        self.events = events
        self.minutes = minutes
        self.lines = 0
        self._counts = np.zeros(len(LEVELS), dtype=np.int64)
        self._token_codes: dict[bytes, int] = {}
        # The last line seen: an indented non-header line (a frame), and not a record.
        self._prev_indented = False
        self._prev_not_record = False
        # A user's pattern or record start is a promise about the whole file: no fallback then.
        self._fallback = (
            FormatFallback(fmt, self._codes_under, CODE_NONE, CODE_CONTINUED)
            if fallback and fmt.name != CUSTOM and multiline_start_pattern is None
            else None
        )
        self._others: dict[str, RecordCounter] = {}

    def add(self, block: LineBlock, base: int = 0) -> None:
        """`base`: the file offset of the block's first byte (for error events)."""
        n = len(block.lines)
        if n == 0:
            return
        self.lines += n
        record, codes = self._classify(block)
        if self.minutes is not None:  # first: it chooses the file's time family
            self._count_minutes(block, record, codes)
        if self.events is not None:
            self.events.take(block, record, codes, base, self.lines - n)
        if level_fields.count_records(codes, record, UNKNOWN_CODE, self._counts):
            return
        if record is None:  # every line a record
            self._counts += np.bincount(codes, minlength=CODE_NONE + 1)[: len(LEVELS)]
            self._counts[UNKNOWN_CODE] += int(np.count_nonzero(codes == CODE_NONE))
            return
        levels = np.where(codes[record] >= CODE_CONTINUED, UNKNOWN_CODE, codes[record])
        self._counts += np.bincount(levels, minlength=len(LEVELS))

    def frame(self, data: memoryview) -> LineBlock:
        """`data`'s whole lines as a block, with this file's level tokens found while framing."""
        return LineBlock.frame(data, self.fmt.finder)

    def _count_minutes(
        self, block: LineBlock, record: np.ndarray | None, codes: np.ndarray
    ) -> None:
        assert self.minutes is not None
        idx = None if record is None else np.flatnonzero(record)
        levels = codes if idx is None else codes[idx]
        self.minutes.take(
            block.lines, np.where(levels >= CODE_CONTINUED, UNKNOWN_CODE, levels), idx
        )

    def prime(self, block: LineBlock) -> None:
        """Take the continuation state of `block`'s last line without counting anything: the
        lines before a range's start, so a scan starting there classifies as if it had read
        them (the state is one line deep)."""
        if len(block.lines):
            self._classify(block)

    def line_levels(self, block: LineBlock) -> list[str | None]:
        """Each line's level if it starts a record, else None. For tests and debugging."""
        self.lines += len(block.lines)
        if len(block.lines) == 0:
            return []
        record, codes = self._classify(block)
        if record is None:
            record = np.ones(len(codes), dtype=bool)
        return [
            (LEVELS[c] if c < len(LEVELS) else "UNKNOWN") if r else None
            for r, c in zip(record.tolist(), codes.tolist(), strict=True)
        ]

    def counts(self) -> dict[str, int]:
        """Records per canonical level so far."""
        return dict(zip(LEVELS, self._counts.tolist(), strict=True))

    # -- classification ----------------------------------------------------------------------

    def _classify(self, block: LineBlock) -> tuple[np.ndarray | None, np.ndarray]:
        """(record mask or None when every line is a record, per-line code)."""
        lines = block.lines
        codes = self._codes(block)
        first = block.first_bytes()

        if self.multiline_start is not None:
            record = _matches(lines, self.multiline_start, ours=False)
            self._prev_indented = self._prev_not_record = False
            return record, codes
        if level_fields.is_available():
            return self._fold_compiled(block, codes, first), codes

        head = codes < CODE_NONE
        # A header-shaped line can still be part of a stack trace: a column format sees `ERROR:`
        # as the 3rd field of `Caused by: org.postgresql.util.PSQLException: ERROR: ...`.
        suspect = head & _MAY_NOT_BE_RECORD[first] if self.fmt.matches_traces else None
        if suspect is not None and suspect.any():
            idx = np.flatnonzero(suspect)
            trace = _not_record(block, idx)
            codes[idx[trace]] = CODE_NONE
            head[idx[trace]] = False

        if head.all() and not (codes == CODE_CONTINUED).any():
            self._prev_indented = self._prev_not_record = False
            return None, codes

        indented = ((first == _SPACE) | (first == _TAB)) & ~head
        not_record = (codes == CODE_CONTINUED) | indented
        other = np.flatnonzero(~head & ~indented & _MAY_NOT_BE_RECORD[first])
        if len(other):
            not_record[other] = _not_record(block, other)

        prev_indented = np.empty_like(indented)
        prev_indented[0] = self._prev_indented
        prev_indented[1:] = indented[:-1]
        prev_not_record = np.empty_like(not_record)
        prev_not_record[0] = self._prev_not_record
        prev_not_record[1:] = not_record[:-1]
        self._prev_indented = bool(indented[-1])
        self._prev_not_record = bool(not_record[-1])

        # Lines that close or continue a trace only because of the line above them.
        maybe = ~head & ~not_record & prev_not_record
        if maybe.any():
            idx = np.flatnonzero(maybe)
            candidates = take(lines, idx)
            tail = _matches(candidates, GO_FRAME)
            after_frame = prev_indented[idx]
            if after_frame.any():
                tail |= after_frame & _matches(candidates, EXCEPTION_LINE)
            not_record[idx[tail]] = True
        return ~not_record, codes

    def _fold_compiled(
        self, block: LineBlock, codes: np.ndarray, first: np.ndarray
    ) -> np.ndarray | None:
        """`_classify`'s rules in the compiled passes (`level_fields.fold_*`, a loop each where
        numpy made a dozen whole-array operations); they answer NOT_RECORD themselves where it is
        sure (a fixed prefix, a Java exception's name), and the patterns run on the lines they
        list."""
        lines, data, offsets = block.lines, block.data, block.offsets
        if self.fmt.matches_traces:
            suspects = level_fields.fold_suspects(codes, first, data, offsets)
            if suspects is not None and len(suspects):
                codes[suspects[_matches(take(lines, suspects), NOT_RECORD)]] = CODE_NONE
        folded = level_fields.fold_lines(codes, first, data, offsets)
        if folded is None:
            self._prev_indented = self._prev_not_record = False
            return None
        flags, others = folded
        if len(others):
            flags[others[_matches(take(lines, others), NOT_RECORD)]] |= 1
        state = np.array([self._prev_indented, self._prev_not_record], dtype=np.uint8)
        maybe, after_frame = level_fields.fold_continuations(codes, flags, state)
        self._prev_indented, self._prev_not_record = bool(state[0]), bool(state[1])
        not_record = (flags & 1).view(np.bool_)
        if len(maybe):
            candidates = take(lines, maybe)
            tail = _matches(candidates, GO_FRAME)
            if after_frame.any():
                tail |= after_frame & _matches(candidates, EXCEPTION_LINE)
            not_record[maybe[tail]] = True
        return ~not_record

    def _codes(self, block: LineBlock) -> np.ndarray:
        codes = self._format_codes(block)
        if self._fallback is not None:
            self._fallback.apply(block.lines, block.first_bytes(), codes)
        return codes

    def _codes_under(self, fmt: LogFormat, lines: pa.Array) -> np.ndarray:
        """Each line's code under another format (for `FormatFallback`), with its own memo."""
        other = self._others.get(fmt.name)
        if other is None:
            other = self._others[fmt.name] = RecordCounter(fmt, fallback=False)
        return other._format_codes(_block_of_lines(lines))

    def _format_codes(self, block: LineBlock) -> np.ndarray:
        lines = block.lines
        n = len(lines)
        if self.fmt is PLAIN:
            return np.full(n, CODE_NONE, dtype=np.uint8)
        if self.fmt.finder is not None:
            found = block.tokens if block.finder == self.fmt.finder else None
            if found is None:
                found = level_fields.tokens(self.fmt.finder, block.data, block.offsets)
            if found is not None:
                return self._compiled_codes(lines, *found)
        if n <= _SMALL_BLOCK and self.fmt.name != CUSTOM:  # a user's pattern may be RE2-only
            match = py_regex(self.fmt.pattern).match
            found = (match(line) for line in lines.to_pylist())
            return np.fromiter(
                (self._code_of(m.group("level") if m else None) for m in found),
                dtype=np.uint8,
                count=n,
            )
        tokens = self.fmt.tokens(lines)
        if tokens.null_count == n:
            return np.full(n, CODE_NONE, dtype=np.uint8)
        encoded = call("dictionary_encode", tokens, options=_ENCODE_NULLS)
        lut = np.array([self._code_of(t) for t in encoded.dictionary.to_pylist()], dtype=np.uint8)
        return lut[_ints(encoded.indices)]

    def _compiled_codes(
        self, lines: pa.Array, token_of_line: np.ndarray, distinct: list[bytes]
    ) -> np.ndarray:
        """Codes from `level_fields.tokens`; its UNSURE lines get the format's full pattern."""
        lut = np.array([CODE_NONE] + [self._code_of(token) for token in distinct], np.uint8)
        # `clip`: UNSURE (-1) reads lut[0] until the pattern decides; quicker than lut[indices].
        codes = lut.take(token_of_line, mode="clip")
        if not len(token_of_line) or token_of_line.min() >= 0:
            return codes
        unsure = np.flatnonzero(token_of_line == level_fields.UNSURE)
        found = extract_tokens(take(lines, unsure), self.fmt.pattern).to_pylist()
        codes[unsure] = [self._code_of(token) for token in found]
        return codes

    def _code_of(self, token: bytes | None) -> int:
        if token is None:
            return CODE_NONE
        code = self._token_codes.get(token)
        if code is None:
            level = self.fmt.level_of(token.decode("latin-1"))
            if level is None:
                code = CODE_NONE
            elif level == CONTINUED:
                code = CODE_CONTINUED
            else:
                code = LEVELS.index(level)
            if len(self._token_codes) >= _TOKEN_CODES_KEPT:
                self._token_codes.clear()
            self._token_codes[token] = code
        return code


_ENCODE_NULLS = _compute.DictionaryEncodeOptions("encode")
# The level-field tokens whose code a counter remembers. A file's levels are a handful of tokens,
# but its unmatched lines can put a new word in the level's column on every line (`u0417 logged
# in`); unbounded, that memo held 50 MB after 400,000 such lines.
_TOKEN_CODES_KEPT = 1 << 16


def _block_of_lines(lines: pa.Array) -> LineBlock:
    """A LineBlock over a large_binary array of whole lines (as `take` returns them)."""
    n = len(lines)
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int64)[lines.offset : lines.offset + n + 1]
    data = np.frombuffer(lines.buffers()[2], dtype=np.uint8)
    return LineBlock(lines, offsets, offsets[:-1], offsets[1:], data)


def _not_record(block: LineBlock, idx: np.ndarray) -> np.ndarray:
    """Whether NOT_RECORD matches each line `idx` names; the compiled check first rules out the
    lines no alternative of it can match (most of them), then the pattern runs on the rest."""
    maybe = level_fields.may_not_be_records(block.data, block.offsets, idx)
    if maybe is None:
        return _matches(take(block.lines, idx), NOT_RECORD)
    out = np.zeros(len(idx), dtype=bool)
    candidates = np.flatnonzero(maybe)
    if len(candidates):
        out[candidates] = _matches(take(block.lines, idx[candidates]), NOT_RECORD)
    return out


def record_mask(block: LineBlock) -> np.ndarray:
    """Which lines start a record by the continuation rules alone (no level field known, so
    no format's either: detection itself runs on the lines this picks)."""
    record, _ = RecordCounter(PLAIN, fallback=False)._classify(block)
    return np.ones(len(block.lines), dtype=bool) if record is None else record


def _first_bytes_of_not_record() -> np.ndarray:
    """Which first bytes a NOT_RECORD line can have: a letter, `_`, `$` (a class name or a
    keyword), `.` (`... 5 more`) or white space (a blank line). A line starting with anything
    else (a digit, `[`, `{`, `<`) is never matched against it."""
    table = np.zeros(256, dtype=bool)
    for byte in b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_$. \t\n\r\v\f":
        table[byte] = True
    return table


_MAY_NOT_BE_RECORD = _first_bytes_of_not_record()


# Below this many lines Python's `re` (compiled once, cached) beats a pyarrow call, which compiles
# its RE2 pattern on every call (~80 microseconds for NOT_RECORD; Python needs ~0.15 per line
# here, as these patterns fail on a line's first bytes). Both match leftmost-first, and these
# patterns mean the same in both (detection scores formats with Python's `re` too).
_SMALL = 512
# The same for a block's level tokens, whose patterns cost Python ~1 microsecond a line: the few
# lines appended to a file since the last run are classified without a pyarrow call.
_SMALL_BLOCK = 48


def _matches(lines: pa.Array, pattern: str, ours: bool = True) -> np.ndarray:
    """`ours`: one of this module's patterns (a user's may use RE2-only syntax)."""
    if ours and len(lines) <= _SMALL:
        regex = py_regex(pattern)
        # `match` where the pattern is anchored: `search` would try every position.
        find = regex.match if pattern.startswith("^") else regex.search
        return np.array([find(line) is not None for line in lines.to_pylist()], dtype=bool)
    return bools(match_regex(lines, pattern))


_INT_TYPES = {pa.int8(): np.int8, pa.int16(): np.int16, pa.int32(): np.int32, pa.int64(): np.int64}


def _ints(array: pa.Array) -> np.ndarray:
    """A null-free integer Arrow array as a numpy view (`to_numpy` can import pandas)."""
    dtype = _INT_TYPES[array.type]
    return np.frombuffer(array.buffers()[1], dtype=dtype)[array.offset : array.offset + len(array)]


def bools(array: pa.BooleanArray) -> np.ndarray:
    """A boolean Arrow array as numpy (nulls as False), without `to_numpy(zero_copy_only=False)`,
    which imports pandas (a quarter of a second) on first use."""
    n, offset = len(array), array.offset
    if n == 0:
        return np.zeros(0, dtype=bool)
    validity, data = array.buffers()[:2]
    out = np.unpackbits(np.frombuffer(data, np.uint8), count=offset + n, bitorder="little")
    out = out[offset:].view(bool)
    if array.null_count:
        valid = np.unpackbits(
            np.frombuffer(validity, np.uint8), count=offset + n, bitorder="little"
        )
        out &= valid[offset:].view(bool)
    return out
