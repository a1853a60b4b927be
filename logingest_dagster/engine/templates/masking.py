"""Messages with the parts that are obviously variable replaced by `<*>`, a whole array at a time.

Words are seen as pieces split on the punctuation that glues values to keys (`rhost=10.0.0.1`,
`(uid=0)`, `[instance: 4f1c...]`, `host:port`), so that only the value is masked, not its key. A
piece is variable where it holds a digit (numbers, ids, IPs, hex, versions, numbers glued to
words such as `blk_-1608` or `user42`) or a slash (paths, URLs), or is a day or month name.
Variable pieces joined by `:` or `,` are one value (`10.0.0.1:8080`, `12:00:01`, a list), and so
is a run of them separated by whitespace (a list of block ids, a date), whatever its length; the
run ends at the first piece that is not variable (`7 x9=1` is `<*>=<*>`: RE2 cannot look ahead
to ask whether a piece is a whole word).
Whatever masking misses, mostly plain words such as user names, the miner generalises by
comparing messages.

The masking is one RE2 substitution over a whole Arrow array: an array of messages costs a few
microseconds each, where Python's `re` (word by word or over the message) cost three to five
times as much; a single message goes through `re`. RE2 has no look-behind, so a piece's start is not asserted: the leftmost match of
a pattern that cannot cross a separator always starts where a piece starts.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Sequence
from itertools import accumulate

import pyarrow as pa

# The kernel by name: importing `pyarrow.compute` costs ~20 ms (see scan/formats.py).
from pyarrow import _compute

WILDCARD = "<*>"

_CALENDAR = "Mon|Tue|Wed|Thu|Fri|Sat|Sun|Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"
# Punctuation that glues a value to its key: a piece is a run of anything else.
_SEP = r"""\t\n\v\f\r =,;()\[\]{}"'<>:"""
_PIECE = rf"(?:[^{_SEP}]*[0-9/][^{_SEP}]*|\b(?:{_CALENDAR})\b)"
_VALUE = rf"{_PIECE}(?:[:,]{_PIECE})*"
_PATTERN = rf"{_VALUE}(?:[\t\n\v\f\r ]+{_VALUE})*"
_VARIABLE = _compute.ReplaceSubstringOptions(_PATTERN, WILDCARD)
# The same pattern in Python's `re` for one message at a time: RE2 compiles the pattern at each
# call (about half a millisecond). Both are leftmost-first with greedy repeats, so they agree
# (tests compare them on loghub's messages); ASCII, as RE2's `\b` is.
_VARIABLE_RE = re.compile(_PATTERN, re.ASCII)
# Batches smaller than this go through `re`: RE2's compilation at each call costs what `re`
# takes for about this many messages.
RE2_FROM = 128


def masked_array(messages: pa.Array) -> pa.Array:
    """Each message (a string array) with its variable parts as `<*>`."""
    return _compute.call_function("replace_substring_regex", [messages], _VARIABLE)


def masked(message: str) -> str:
    return _VARIABLE_RE.sub(WILDCARD, message)


def mask(message: str) -> list[str]:
    """The message's tokens (whitespace-separated words), their variable parts as `<*>`."""
    return masked(message).split()


def masked_all(messages: Sequence[str] | pa.Array) -> pa.Array:
    """Each message masked; a null message (a bad input) as an empty one."""
    if len(messages) < RE2_FROM:
        if isinstance(messages, pa.Array | pa.ChunkedArray):
            messages = messages.to_pylist()
        return string_array([masked(m) if m is not None else "" for m in messages])
    if not isinstance(messages, pa.Array | pa.ChunkedArray):
        messages = string_array(messages)
    return masked_array(nulls_as_empty(messages))


def nulls_as_empty(messages: pa.Array) -> pa.Array:
    if not messages.null_count:
        return messages
    empty = string_array([""]).cast(messages.type)[0]
    return _compute.call_function("coalesce", [messages, empty])


def string_array(values: Sequence[str]) -> pa.Array:
    """`pa.array(values, pa.string())` without it: its first call imports pandas (~0.2 s)."""
    encoded = [value.encode("utf-8", "surrogateescape") for value in values]
    offsets = array("q", accumulate((len(e) for e in encoded), initial=0))
    buffers = [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))]
    return pa.Array.from_buffers(pa.large_string(), len(encoded), buffers)
