"""A message as tokens, with the parts that are obviously variable already replaced by `<*>`.

Words are split on whitespace and then on the punctuation that glues values to keys
(`rhost=10.0.0.1`, `(uid=0)`, `[instance: 4f1c...]`, `host:port`), so a value is masked without
its key. A piece is variable when it holds a digit (numbers, ids, IPs, hex, versions, numbers
glued to words such as `blk_-1608` or `user42`) or is a path or URL. Whatever masking misses,
mostly plain words such as user names, the miner generalises by comparing messages.
"""

from __future__ import annotations

import re

WILDCARD = "<*>"

# Punctuation kept as separate pieces: a value glued to a key by one of these is masked alone.
_PIECES = re.compile(
    r"""[A-Za-z][\w+.-]*://[^\s"'<>]*|[=,;()\[\]{}"'<>:]|[^\s=,;()\[\]{}"'<>:]+"""
)
# Dates written in words vary like numbers.
_CALENDAR = frozenset(
    "Mon Tue Wed Thu Fri Sat Sun Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
)
_DIGIT = re.compile(r"\d")
# A run of masked pieces joined by these is one value (`10.0.0.1:8080`, `12:00:01`, a list).
_JOINERS = frozenset({":", "-", ".", ","})


def _variable(piece: str) -> bool:
    return (
        bool(_DIGIT.search(piece))
        or piece.startswith("/")
        or "://" in piece
        or piece in _CALENDAR
    )


def mask(message: str) -> list[str]:
    """The message's tokens (whitespace-separated words, their variable parts as `<*>`). A run of
    variable words is one `<*>`: a list of block ids or a date is one value, whatever its length."""
    tokens = []
    for word in message.split():
        pieces = _PIECES.findall(word)
        out: list[str] = []
        for piece in pieces:
            if _variable(piece):
                if len(out) >= 2 and out[-1] in _JOINERS and out[-2] == WILDCARD:
                    out.pop()
                    continue
                if not out or out[-1] != WILDCARD:
                    out.append(WILDCARD)
            else:
                out.append(piece)
        token = "".join(out)
        if token != WILDCARD or not tokens or tokens[-1] != WILDCARD:
            tokens.append(token)
    return tokens
