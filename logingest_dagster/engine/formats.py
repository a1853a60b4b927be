"""Log formats: where each one keeps its level field, and per-file detection from a sample.

A format is an RE2 pattern anchored at the start of a line with a named group ``level``, and a rule
that maps the captured token to a canonical level. The level is always taken from that field, never
from a word elsewhere in the message. Patterns run through ``pyarrow.compute`` over whole arrays of
lines (RE2), so they must stay RE2-compatible: no look-around, no back-references.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from logingest_dagster.engine.levels import LETTERS, level_of_number, level_of_word

TokenMapper = Callable[[str], "str | None"]


def _word(token: str) -> str | None:
    return level_of_word(token)


def _letter(token: str) -> str | None:
    return LETTERS.get(token.upper()) if len(token) == 1 else level_of_word(token)


def _field_word(token: str) -> str | None:
    """`error`, `core:error`, `LOG:` -> the level of the last non-empty colon-separated part."""
    parts = [p for p in token.split(":") if p]
    return level_of_word(parts[-1]) if parts else None


def _word_or_number(token: str) -> str | None:
    return level_of_number(int(token)) if token.isdigit() else level_of_word(token)


def _syslog_pri(token: str) -> str | None:
    # RFC 5424 / 3164: PRI = facility * 8 + severity.
    return level_of_number(int(token) % 8) if token.isdigit() and int(token) <= 191 else None


def _any(token: str) -> str | None:
    """User-supplied patterns: accept words, numbers and, since the user chose the field, letters."""
    if token.isdigit():
        return level_of_number(int(token))
    return _letter(token)


@dataclass(frozen=True)
class LogFormat:
    name: str
    pattern: str
    to_level: TokenMapper = _word

    def level_of(self, token: str) -> str | None:
        return self.to_level(token)


# A level field's token, captured with any `module:` prefix (Apache 2.4 `[core:error]`) or trailing
# colon (Postgres `LOG:`) that the mapper strips. Kept one-pass for RE2 (no ambiguous split between
# prefix and level), which makes extraction several times faster.
_TOKEN = r"(?P<level>[A-Za-z][\w:.-]*)"
# Quoted or bare logfmt values, so a `level=` inside a quoted message is skipped over.
_LOGFMT_PAIR = r'[\w.@/-]+=(?:"(?:[^"\\]|\\.)*"|[^\s"]*)\s+'
_JSON_LEVEL_KEYS = r"(?:level|severity|lvl|loglevel|log\.level|levelname|@l)"

# Formats whose level field has a fixed syntax. Ordered: on equal sample scores the first wins.
DEDICATED: tuple[LogFormat, ...] = (
    LogFormat(
        "json",
        r'^\s*\{(?:.*?[{,])?\s*"' + _JSON_LEVEL_KEYS + r'"\s*:\s*"?(?P<level>[A-Za-z]+|\d+)',
        _word_or_number,
    ),
    LogFormat("syslog_pri", r"^<(?P<level>\d{1,3})>", _syslog_pri),
    LogFormat("klog", r"^(?P<level>[IWEF])\d{4} \d\d:\d\d:\d\d\.\d+ ", _letter),
    LogFormat(
        "logcat_threadtime",
        r"^\d\d-\d\d \d\d:\d\d:\d\d\.\d+\s+\d+\s+\d+\s+(?P<level>[VDIWEFA])\s",
        _letter,
    ),
    LogFormat("logcat_brief", r"^(?P<level>[VDIWEFA])/[^(:]+\(\s*\d+\):", _letter),
    LogFormat("ruby_logger", r"^[DIWEFA], \[[^\]]*\]\s+(?P<level>[A-Z]+) -- ", _word),
    LogFormat("python_default", r"^(?P<level>[A-Z]+):[\w.<>-]*:", _word),
    LogFormat(
        "logfmt",
        r"^(?:" + _LOGFMT_PAIR + r")*?(?:level|lvl|severity)=\"?(?P<level>[A-Za-z]+|\d+)",
        _word_or_number,
    ),
)

MAX_COLUMN = 10


def column_format(k: int) -> LogFormat:
    """The level is the k-th whitespace-separated field (0-based), maybe in brackets or with a colon.

    This one shape covers log4j/logback, Hadoop, HDFS, Zookeeper, Spark, OpenStack (oslo), BGL,
    nginx and Apache error logs, Windows CBS, Postgres and most home-grown formats: whatever the
    header holds (dates, times, pids, thread names), the level sits at the same field position.
    """
    return LogFormat(
        f"column{k}",
        r"^(?:\S+\s+){" + str(k) + r"}[\[(<|]?" + _TOKEN + r"[\])>|,]*(?:\s|$)",
        _field_word,
    )


COLUMNS: tuple[LogFormat, ...] = tuple(column_format(k) for k in range(MAX_COLUMN))
CANDIDATES: tuple[LogFormat, ...] = DEDICATED + COLUMNS

# A format with no level field: every record is UNKNOWN.
PLAIN = LogFormat("plain", r"^(?P<level>\b\B)")

# A format must explain at least this share of a sample's record lines to be chosen.
MIN_SHARE = 0.5


def custom_format(pattern: str) -> LogFormat:
    """A per-directory override from the settings: a regex with a named group `level`."""
    if "(?P<level>" not in pattern:
        raise ValueError(f"level pattern {pattern!r} needs a named group (?P<level>...)")
    anchored = pattern if pattern.startswith("^") else "^(?:" + pattern + ")"
    try:
        pc.extract_regex(pa.array([""], pa.large_binary()), anchored)
    except pa.ArrowInvalid as exc:
        raise ValueError(f"level pattern {pattern!r} is not a valid RE2 regex: {exc}") from exc
    return LogFormat("custom", anchored, _any)


def detect_format(sample_lines: pa.Array, is_record: pa.Array | None = None) -> LogFormat:
    """Pick the format that explains most record lines of a sample (a large_binary array)."""
    lines = sample_lines if is_record is None else sample_lines.filter(is_record)
    total = len(lines)
    if total == 0:
        return PLAIN
    best, best_hits = PLAIN, 0
    for fmt in CANDIDATES:
        tokens = pc.struct_field(pc.extract_regex(lines, fmt.pattern), "level").drop_null()
        if len(tokens) <= best_hits:
            continue
        counts = pc.value_counts(tokens).to_pylist()
        hits = sum(c["counts"] for c in counts if fmt.level_of(c["values"].decode("latin-1")))
        if hits > best_hits:
            best, best_hits = fmt, hits
    return best if best_hits >= MIN_SHARE * total else PLAIN
