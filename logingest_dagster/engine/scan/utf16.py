"""UTF-16 logs with a byte order mark (`FF FE` little-endian, `FE FF` big-endian), as Windows
tools write them: read as the same text in UTF-8, so formats, records, events and times are the
UTF-8 path's own.

A file is UTF-16 when its first two bytes are a BOM. That is looked at once per read, in the head
that detection reads at offset 0 anyway, or taken from the encoding stored in the file's format
key (`ScanResult.format_key`). Without a BOM, UTF-16 text is not told from binary data (nothing
cheap is certain): such a file stays binary.

Lines are framed on the file's own code units (a newline is the unit 0x000A), so offsets stay in
file bytes and a read ends after a whole line, never inside a code unit; an odd trailing byte
waits for the next read like any partial line. Only whole lines are decoded (an unpaired
surrogate becomes U+FFFD).
"""

from __future__ import annotations

import codecs
from collections.abc import Callable

import numpy as np

from logingest_dagster.engine.scan.lines import LineBlock, newline_positions

BOMS = {codecs.BOM_UTF16_LE: "utf-16-le", codecs.BOM_UTF16_BE: "utf-16-be"}
BOM_BYTES = 2
_UNITS = {"utf-16-le": np.dtype("<u2"), "utf-16-be": np.dtype(">u2")}
_NEWLINE = 0x000A

OnBlock = Callable[[LineBlock, int], None]  # (block, file offset of its first line)
OnLong = Callable[[bytes, int], None]  # (UTF-8 prefix of an over-long line, its file offset)


def encoding_of(head: bytes) -> str | None:
    """The UTF-16 encoding a file's first bytes announce with a BOM, else None."""
    return BOMS.get(head[:BOM_BYTES])


def decode_head(head: bytes, encoding: str) -> bytes:
    """A UTF-16 file's first bytes (BOM included) as UTF-8, without its last code units where
    they do not make a whole character."""
    return _whole_characters(head[BOM_BYTES:], encoding)[0].encode()


def _whole_characters(raw: bytes, encoding: str) -> tuple[str, int]:
    """(the text of the whole characters at the start of `raw`, the bytes they take): an odd
    last byte, or a high surrogate without its pair, is the start of a character still to come."""
    usable = len(raw) & ~1
    if usable:
        last = raw[usable - 2 : usable]
        high = last[1] if encoding == "utf-16-le" else last[0]
        if 0xD8 <= high <= 0xDB:
            usable -= 2
    return raw[:usable].decode(encoding, "replace"), usable


class Utf16Framer:
    """UTF-16 bytes in, in pieces of any length; blocks of whole lines out as UTF-8 (`on_block`),
    with the file offset of each line, and over-long lines as their UTF-8 prefix (`on_long`).

    `end`: the file offset just after the last line given out. A line still unfinished beyond `max_line` bytes is skipped to its end and given out
    once, by its first `prefix` bytes of UTF-8, as the UTF-8 path does.
    """

    def __init__(
        self,
        encoding: str,
        pos: int,
        on_block: OnBlock,
        on_long: OnLong,
        *,
        max_line: int,
        prefix: int,
    ) -> None:
        self.encoding = encoding
        self.end = pos
        self._units = _UNITS[encoding]
        self._on_block, self._on_long = on_block, on_long
        self._max_line, self._prefix = max_line, prefix
        self._held = b""  # bytes not given out yet: a line's start, or half a code unit
        # While skipping an over-long line: its UTF-8 prefix, and the file bytes of it skipped so
        # far.
        self._long: bytes | None = None
        self._long_raw = 0

    def feed(self, chunk: bytes) -> None:
        data = self._held + chunk if self._held else chunk
        newlines = np.flatnonzero(np.frombuffer(data, self._units, len(data) // 2) == _NEWLINE)
        begin = 0
        if self._long is not None:
            if not len(newlines):
                self._skip(data)
                return
            begin = 2 * (int(newlines[0]) + 1)
            self._skip(data[:begin])
            self._end_long()
            newlines = newlines[1:]
        if len(newlines):
            stop = 2 * (int(newlines[-1]) + 1)
            self._lines(data[begin:stop], 2 * (newlines + 1) - begin)
            begin = stop
        self._held = data[begin:]
        if len(self._held) > self._max_line:
            self._long = _whole_characters(self._held[: 2 * self._prefix], self.encoding)[0]
            self._long = self._long.encode()[: self._prefix]
            self._skip(self._held)

    def finish(self, final: bool) -> None:
        """The end of the read. With `final`, a last line without its newline is given out too,
        as far as it makes whole characters: an odd trailing byte waits for the next read."""
        if not final:
            return
        if self._long is not None:
            self._end_long()
            return
        text, used = _whole_characters(self._held, self.encoding)
        if used:
            self._on_block(_block(text.encode() + b"\n", np.array([0, used], np.int64)), self.end)
            self.end += used
            self._held = self._held[used:]

    # -- internals -------------------------------------------------------------------------

    def _lines(self, raw: bytes, ends: np.ndarray) -> None:
        """Give out the whole lines `raw`, whose newlines end at the offsets `ends` in it."""
        utf8 = raw.decode(self.encoding, "replace").encode()
        starts = np.empty(len(ends) + 1, dtype=np.int64)
        starts[0] = 0
        starts[1:] = ends
        self._on_block(_block(utf8, starts), self.end)
        self.end += len(raw)

    def _skip(self, data: bytes) -> None:
        """Skip the whole code units of `data`, part of an over-long line (an odd last byte is
        held: the next piece starts with it)."""
        usable = len(data) & ~1
        self._long_raw += usable
        self._held = data[usable:]

    def _end_long(self) -> None:
        assert self._long is not None
        self._on_long(self._long, self.end)
        self.end += self._long_raw
        self._long, self._long_raw = None, 0


def _block(utf8: bytes, file_starts: np.ndarray) -> LineBlock:
    """The lines of `utf8` (it ends with a newline); `file_starts` holds each line's file offset
    from the first, and one more entry, as `LineBlock.offsets` does."""
    block = LineBlock.from_buffer(memoryview(utf8), newline_positions(utf8))
    block.file_starts = file_starts[:-1]
    return block
