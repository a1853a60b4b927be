"""A message as tokens, with the parts that are obviously variable already replaced by `<*>`.

Words are seen as pieces split on the punctuation that glues values to keys (`rhost=10.0.0.1`,
`(uid=0)`, `[instance: 4f1c...]`, `host:port`), so that only the value is masked, not its key. A
piece is variable where it holds a digit (numbers, ids, IPs, hex, versions, numbers glued to
words such as `blk_-1608` or `user42`), is a path or URL, or is a day or month name. A run of
variable words is one `<*>`: a list of block ids or a date is one value, whatever its length.
Whatever masking misses, mostly plain words such as user names, the miner generalises by
comparing messages.
"""

from __future__ import annotations

import re

WILDCARD = "<*>"

_CALENDAR = "Mon|Tue|Wed|Thu|Fri|Sat|Sun|Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"
# Punctuation that glues a value to its key: a piece is a run of anything else.
_SEP = r"""\s=,;()\[\]{}"'<>:"""
# Variable pieces: a URL, a piece with a digit, a path, a day or month name. Plain regular
# expressions with a fixed replacement, so the whole message is masked in C, not word by word.
_VARIABLE = re.compile(
    rf"(?<![^{_SEP}])(?:"  # only where a piece starts: a failed attempt costs one look back
    rf"""[A-Za-z][\w+.-]*://[^\s"'<>]*"""
    rf"|[^{_SEP}0-9]*[0-9][^{_SEP}]*"
    rf"|/[^{_SEP}]*"
    rf"|(?:{_CALENDAR})(?![^{_SEP}])"
    ")"
)
# Masked pieces joined by these are one value (`10.0.0.1:8080`, `12:00:01`, a list), and so is
# a run of masked words.
_JOINED = re.compile(r"<\*>(?:[:,]<\*>)+")
_WILDCARD_RUN = re.compile(r"(?<!\S)<\*>(?:\s+<\*>)+(?!\S)")


def masked(message: str) -> str:
    """The message with its variable parts as `<*>` (whitespace as written)."""
    text = _JOINED.sub(WILDCARD, _VARIABLE.sub(WILDCARD, message))
    return _WILDCARD_RUN.sub(WILDCARD, text)


def mask(message: str) -> list[str]:
    """The message's tokens (whitespace-separated words), their variable parts as `<*>`."""
    return masked(message).split()
