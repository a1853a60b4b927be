"""Lines their file's format cannot explain, tried against the other formats before UNKNOWN.

A file's format is detected once, from its head. A file that concatenates logs of several systems
(or a log whose writer changed format) then has whole stretches of lines with no level under that
format. A block's unexplained lines (indented ones aside: they continue a record) are looked at in
windows of `WINDOW` lines; where at least half of 16 lines sampled from a window look as if they
hold a level field, detection (the same as for a file's head, with the same evidence: more than
half the lines explained) runs on `HEAD_LINES` unexplained lines from the first such line. A format
found that way is applied to every unexplained line of the block and remembered for the rest of the
file. The level still comes from a level field, never from a word in a message: a line gets a level
only from a format that explained most lines of the stretch it was found in, and fewer than
`MIN_RUN` unexplained lines in a block are left as they are.

Detections that find nothing new make later ones rarer (file-wide exponential back-off), so a
level-less log that often says `error` does not pay for a detection in every block.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pyarrow as pa

from logingest_dagster.engine.scan import level_fields
from logingest_dagster.engine.scan.formats import PLAIN, LogFormat, detect_format

MIN_RUN = 32
HEAD_LINES = 64
MAX_PROBES = 6  # detections per block at most
# Unexplained lines are looked at in windows of this many; 16 lines of each are checked for a
# level-like field first (one small regex each), and detection runs only from the first that has
# one: a block of level-less lines costs 16 regex calls per window, and no detection.
WINDOW = 1024
_SAMPLE_STEP = WINDOW // 16
_LEVELISH = re.compile(
    rb"(?i)(?:^[{<]|\b(?:trace|debug|info|notice|warn|warning|error|err|fatal|crit|critical|severe"
    rb"|emerg|alert|panic|fine|finer|finest|verbose)\b)"
)


# A substring of every word _LEVELISH names: a line holding none of them cannot match it, and
# looking for each (a fast substring search) costs a tenth of the regex trying every position.
_LEVELISH_WORDS = (
    b"trace", b"debug", b"info", b"notice", b"warn", b"err", b"fatal", b"crit", b"severe",
    b"emerg", b"alert", b"panic", b"fine", b"verbose",
)  # fmt: skip


def _levelish(line: bytes) -> bool:
    """Whether a line may hold a level field: a level word, or a JSON or syslog PRI start."""
    head = line[:200]
    if head[:1] in (b"{", b"<"):
        return True
    lowered = head.lower()  # ASCII only, as the pattern's (?i) on bytes
    if not any(word in lowered for word in _LEVELISH_WORDS):
        return False
    return _LEVELISH.search(head) is not None


def _levelish_each(lines: list[bytes]) -> list[bool]:
    """`_levelish` of each line, with one look for level words over all of them first: in a
    level-less log there are none, and only the lines' first bytes are left to check."""
    heads = [line[:200] for line in lines]
    joined = b"\n".join(heads).lower()  # `\n` is no letter: no word spans two lines
    if any(word in joined for word in _LEVELISH_WORDS):
        return [_levelish(head) for head in heads]
    return [head[:1] in (b"{", b"<") for head in heads]


class FormatFallback:
    """Re-reads a block's unexplained lines with the other formats the file turns out to hold.

    `codes_of(fmt, lines)` gives each line's code under `fmt` (`lines` a large_binary array of
    whole lines); a code below `continued` is a level, `none` is "no level".
    """

    def __init__(
        self,
        primary: LogFormat,
        codes_of: Callable[[LogFormat, pa.Array], np.ndarray],
        none: int,
        continued: int,
    ) -> None:
        self.primary = primary
        self.found: list[LogFormat] = []
        self._codes_of = codes_of
        self._none, self._continued = none, continued
        self._tried: set[str] = {primary.name, PLAIN.name}
        self._eligible = 0  # windows that looked worth a detection
        self._failures = 0  # detections in a row that found nothing new

    def apply(self, lines: pa.Array, first: np.ndarray, codes: np.ndarray) -> None:
        """Give levels, in place in `codes`, to unexplained lines that another format explains.

        `first`: each line's first byte (indented lines are skipped).
        """
        unexplained = codes == self._none
        if np.count_nonzero(unexplained) < MIN_RUN:  # most blocks: no need to look further
            return
        candidate = unexplained & (first != 32) & (first != 9)
        if np.count_nonzero(candidate) < MIN_RUN:
            return
        for fmt in self.found:
            self._assign(lines, codes, candidate, fmt)
        idx = np.flatnonzero(candidate)
        windows = range(0, len(idx) - MIN_RUN + 1, WINDOW)
        if not windows:
            return
        # Every window's sampled lines, checked at once where the compiled check is built.
        flags = _levelish_sampled(lines, idx[: windows[-1] + WINDOW : _SAMPLE_STEP])
        probes = 0
        for window in windows:
            if probes == MAX_PROBES:
                return
            if not candidate[idx[window]]:  # explained since by a format found in this block
                continue
            sampled = idx[window : window + WINDOW : _SAMPLE_STEP]
            if flags is None:
                sampled_lines = _take(lines, sampled).to_pylist()  # not line by line: 6 µs each
                found = _levelish_each(sampled_lines)
            else:
                found = flags[window // _SAMPLE_STEP :][: len(sampled)].tolist()
            hits = [int(i) for i, yes in zip(sampled, found, strict=True) if yes]
            # Detection needs most lines explained: a window where few lines even look like it
            # (a level-less log that mentions `error`) is not worth one.
            if not hits or len(hits) * 2 < len(sampled):
                continue
            self._eligible += 1
            if self._eligible % (1 << min(self._failures, 10)):
                continue  # back off after probes that found nothing new, file-wide
            head = hits[0]
            sample = np.flatnonzero(candidate[head:])[:HEAD_LINES] + head
            if len(sample) < MIN_RUN:
                continue
            probes += 1
            fmt = detect_format([lines[int(i)].as_py() for i in sample])
            if fmt.name in self._tried:
                self._failures += 1
                continue
            self._failures = 0
            self._tried.add(fmt.name)
            self.found.append(fmt)
            self._assign(lines, codes, candidate, fmt)

    def _assign(
        self, lines: pa.Array, codes: np.ndarray, candidate: np.ndarray, fmt: LogFormat
    ) -> None:
        idx = np.flatnonzero(candidate)
        if not len(idx):
            return
        got = self._codes_of(fmt, _take(lines, idx))
        level = got < self._continued
        codes[idx[level]] = got[level]
        candidate[idx[level]] = False


def _levelish_sampled(lines: pa.Array, idx: np.ndarray) -> np.ndarray | None:
    """`_levelish` of the lines `idx` names, by the compiled check (one call for a block's
    samples, where Python took a list and a search per line); None where it is not built."""
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int64)[lines.offset :]
    data = np.frombuffer(lines.buffers()[2], dtype=np.uint8)
    return level_fields.levelish(data, offsets, idx)


def _take(lines: pa.Array, idx: np.ndarray) -> pa.Array:
    if len(idx) == len(lines):
        return lines
    idx = np.ascontiguousarray(idx, dtype=np.int64)
    indices = pa.Array.from_buffers(pa.int64(), len(idx), [None, pa.py_buffer(idx)])
    return lines.take(indices)
