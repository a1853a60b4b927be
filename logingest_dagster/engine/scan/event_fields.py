"""An event's logger and message: its first line without the time and level header.

Where the format has fields (JSON lines, logfmt) they come from the fields; elsewhere the message
is what follows the level token, and the logger the dotted name right after it, when one is
followed by `: ` or ` - ` (`ERROR [main] org.example.Service: boom`, `ERROR:root:boom`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from logingest_dagster.engine.scan.formats import LogFormat, py_regex

_JSON_MESSAGE = ("message", "msg", "@m", "@mt", "short_message", "MESSAGE")
_JSON_LOGGER = ("logger", "logger_name", "loggerName", "name", "log.logger", "@logger", "caller")
_LOGFMT_PAIR = re.compile(r'(?:^|\s)([\w.@/-]+)=("(?:[^"\\]|\\.)*"|\S*)')
# After the level: optional bracketed fields (a thread), then a logger and its separator.
_LOGGER = re.compile(
    r"^(?:\[[^\]]*\]\s*)*(?P<logger>[A-Za-z_$][\w$]*(?:[.:/][\w$]+)*)(?:@\d+)?\]?(?::\s+|\s+-\s+)"
)
_HEADER_END = " \t]):|,>-"


def describe(fmt: LogFormat, line: str) -> tuple[str | None, str]:
    """(logger or None, message) of an event's first line (newline removed)."""
    return describer(fmt)(line)


def describer(fmt: LogFormat) -> Callable[[str], tuple[str | None, str]]:
    """`describe` for one format, its choices made once (a collector calls it per event)."""
    name = fmt.name.rpartition("+")[2]  # a wrapped format: the format behind the prefix
    if name == "json":
        return _from_json
    if name == "logfmt":
        return _from_logfmt
    try:
        on_bytes = py_regex(fmt.pattern).match
    except re.error:  # a user's RE2-only pattern: it fails where an event is described, as before

        def on_bytes(line: bytes) -> re.Match[bytes] | None:
            return py_regex(fmt.pattern).match(line)

    # On an ASCII line, the pattern compiled for text with ASCII classes matches as the bytes
    # one does, at the same positions: no encoding back and forth.
    try:
        on_text = re.compile(fmt.pattern, re.ASCII).match
    except (re.error, ValueError):
        on_text = None
    after_colon = name == "python_default"

    def from_pattern(line: str) -> tuple[str | None, str]:
        if on_text is not None and line.isascii():
            match = on_text(line)
            if match is None or match.start("level") < 0:
                return None, line
            rest = line[match.end("level") :]
        else:
            encoded = line.encode("utf-8", "replace")
            match = on_bytes(encoded)
            if match is None or match.start("level") < 0:
                return None, line
            rest = encoded[match.end("level") :].decode("utf-8", "replace")
        if after_colon:  # `LEVEL:logger:message`
            logger, _, message = rest.lstrip(":").partition(":")
            return logger or None, message
        rest = rest.lstrip(_HEADER_END)
        found = _LOGGER.match(rest)
        if found is not None and (
            "." in found["logger"] or rest[found.end() - 2 :].startswith(":")
        ):
            return found["logger"], rest[found.end() :]
        return None, rest

    return from_pattern


def _from_json(line: str) -> tuple[str | None, str]:
    start = line.find("{")
    try:
        value = json.loads(line[start:]) if start >= 0 else None
    except ValueError:
        value = None
    if not isinstance(value, dict):
        return None, line
    message = next((value[k] for k in _JSON_MESSAGE if isinstance(value.get(k), str)), None)
    logger = next((value[k] for k in _JSON_LOGGER if isinstance(value.get(k), str)), None)
    return logger, line if message is None else message


def _from_logfmt(line: str) -> tuple[str | None, str]:
    pairs = {}
    for key, raw in _LOGFMT_PAIR.findall(line):
        if raw.startswith('"'):
            try:
                raw = json.loads(raw)
            except ValueError:
                raw = raw[1:-1]
        pairs.setdefault(key, raw)
    message = pairs.get("msg", pairs.get("message"))
    return pairs.get("logger", pairs.get("caller")), line if message is None else message
