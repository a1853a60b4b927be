"""Log formats: where each one keeps its level field, and per-file detection from a sample.

A format is an RE2 pattern anchored at the start of a line with a named group ``level``, and a rule
that maps the captured token to a canonical level. The level is always taken from that field, never
from a word elsewhere in the message. Patterns run through ``pyarrow.compute`` over whole arrays of
lines (RE2), so they must stay RE2-compatible: no look-around, no back-references. The formats
that carry most bytes also name a compiled `finder` (`level_fields.c`) that gives the same tokens
several times faster; a change to one of their patterns must be made there too (the tests compare
the two on random lines).

Two shapes cover most of what is written in the wild:

- *dedicated* formats whose level field has a fixed syntax (JSON lines, logfmt, syslog PRI, klog,
  logcat, Ruby Logger, Python's default, .NET console, Redis, Elasticsearch-style bracket runs);
- *column* formats, where the level is the k-th whitespace-separated field of the line, maybe in
  brackets, maybe with a `module:` or `channel.` prefix or a trailing colon. Whatever the header
  holds (dates, times, pids, thread names, hosts), the level keeps its position, so one shape covers
  log4j/logback, HDFS, Hadoop, Zookeeper, Spark, OpenStack, BGL, nginx and Apache error logs,
  Windows CBS, Postgres, Laravel/Monolog, zap, loguru, Maven and most home-grown formats.

A file may also wrap its lines in a transport prefix (Kubernetes CRI, syslog without PRI, docker
compose); detection then also tries each dedicated format behind that prefix.
"""

from __future__ import annotations

import operator
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import pyarrow as pa

# The compute kernels, called by name: importing `pyarrow.compute` (a Python wrapper made for each
# of several hundred kernels) would add a sixth to `logingest scan`'s start-up.
from pyarrow import _compute

from logingest_dagster.engine.levels import (
    CONTINUED,
    LETTERS,
    is_continued_word,
    level_of_number,
    level_of_word,
)
from logingest_dagster.engine.scan.level_fields import (
    COLUMN,
    JSON,
    KLOG,
    LOGCAT_THREADTIME,
    LOGFMT,
    PYTHON_DEFAULT,
    RUBY_LOGGER,
    SYSLOG_PRI,
    LevelFinder,
)
from logingest_dagster.engine.scan.memory import SYSTEM_POOL
from logingest_dagster.engine.scan.result import format_name_from_key

TokenMapper = Callable[[str], "str | None"]


def call(name: str, *args: Any, options: Any = None) -> Any:
    """`pyarrow.compute.<name>(*args)`, without importing `pyarrow.compute`, allocating from the
    engine's pool (see `memory`)."""
    return _compute.call_function(name, list(args), options, SYSTEM_POOL)


def match_regex(lines: pa.Array, pattern: str) -> pa.Array:
    """`pyarrow.compute.match_substring_regex`: which lines the RE2 `pattern` matches."""
    return call("match_substring_regex", lines, options=_compute.MatchSubstringOptions(pattern))


def _word(token: str) -> str | None:
    return level_of_word(token)


def _letter(token: str) -> str | None:
    return LETTERS.get(token.upper()) if len(token) == 1 else level_of_word(token)


_PARTS = re.compile(r"[:.]+")


def _field_word(token: str) -> str | None:
    """A column's token: `error`, `[core:error]`, `LOG:`, `production.ERROR:`, `INFO:root:`.

    The level is the last part (a `module:` or `channel.` prefix), else the first (a `:name`
    suffix). Postgres' `DETAIL:`-style words (with their colon) mark a continuation line.
    """
    if ":" not in token and "." not in token:  # one part (most tokens): skip the split
        return level_of_word(token)
    parts = [p for p in _PARTS.split(token) if p]
    if not parts:
        return None
    for part in (parts[-1], parts[0]):
        level = level_of_word(part)
        if level is not None:
            return level
    if token.endswith(":") and is_continued_word(parts[0]):
        return CONTINUED
    return None


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


def _table(table: dict[str, str]) -> TokenMapper:
    return table.get


@dataclass(frozen=True)
class LogFormat:
    """Where a format keeps its level.

    `pattern` defines the format. `fast`, when set, is an equivalent but quicker (unanchored)
    pattern valid on the lines `guard` matches; the other lines fall back to `pattern`, or get no
    level when `fallback` is false. RE2 must run its slower capturing engines over the whole
    stretch a pattern matches, so an unanchored pattern that matches only the `"level":"info"` part
    of a JSON line extracts several times faster than one anchored at the line's start.
    """

    name: str
    pattern: str
    to_level: TokenMapper = _word
    fast: str | None = None
    guard: str | None = None
    fallback: bool = True
    # Whether a stack-trace line (`Caused by: x.y.SomeException: ERROR: ...`) can look like one of
    # the format's header lines, as it can to a column format; the scan checks those lines.
    matches_traces: bool = True
    # Finds the same tokens in compiled code, where built (`level_fields`).
    finder: LevelFinder | None = None

    def level_of(self, token: str) -> str | None:
        """The canonical level of a captured token, `CONTINUED`, or None (not a level)."""
        return self.to_level(token)

    def tokens(self, lines: pa.Array) -> pa.Array:
        """Each line's level token (large_binary), null where the line has no level field."""
        if self.fast is None:
            return extract_tokens(lines, self.pattern)
        tokens = extract_tokens(lines, self.fast)
        if self.guard is None:
            return tokens
        guarded = match_regex(lines, self.guard)
        if guarded.false_count == 0:
            return tokens
        # Not `pa.scalar(None, type)`: its first use imports pandas (~0.2 s, mid-scan).
        tokens = call("if_else", guarded, tokens, pa.nulls(1, tokens.type)[0])
        if not self.fallback:
            return tokens
        rest = call("invert", guarded)
        slow = extract_tokens(call("filter", lines, rest), self.pattern)
        return call("replace_with_mask", tokens, rest, slow)


def extract_tokens(lines: pa.Array, pattern: str) -> pa.Array:
    # `StructArray.field()` ignores the struct's own validity (non-matching rows would come back
    # as empty strings); the `struct_field` kernel carries the nulls through.
    matches = call("extract_regex", lines, options=_compute.ExtractRegexOptions(pattern))
    return call("struct_field", matches, options=_LEVEL_FIELD)


_LEVEL_FIELD = _compute.StructFieldOptions(["level"])


def _wrapped(fmt: LogFormat, wrapper: str, prefix: str) -> LogFormat:
    """`fmt` behind a transport prefix. Dedicated patterns all start with `^`."""

    def behind(pattern: str | None) -> str | None:
        if pattern is None or not pattern.startswith("^"):
            return pattern  # unanchored `fast` patterns find the field wherever it is
        return "^(?:" + prefix + ")" + pattern[1:]

    return LogFormat(
        f"{wrapper}+{fmt.name}",
        behind(fmt.pattern) or "",
        fmt.to_level,
        behind(fmt.fast),
        behind(fmt.guard),
        fmt.fallback,
        fmt.matches_traces,
    )


# JSON keys that hold a level: `level`, `severity`, `lvl`, ECS's `log.level`, python-json-logger's
# `levelname`, Monolog's `level_name`, Serilog's `@l`, OpenTelemetry's `severity_text`, and
# journald's `PRIORITY` (case-sensitive: a lower-case `priority` is usually something else).
_JSON_KEYS = (
    r"(?:(?i:level|severity|lvl|loglevel|log[._]level|level_?name|@l|@level|severity_?text)"
    r"|PRIORITY)"
)
_JSON_VALUE = r'"\s*:\s*"?(?P<level>[A-Za-z]+|\d+)'
# A key can only follow `{` or `,`: inside a JSON string every `"` is escaped, so a message holding
# `\"level\":\"error\"` never matches, and the leftmost match is the first (outermost) level key.
_JSON_FAST = r'[{,]\s*"' + _JSON_KEYS + _JSON_VALUE

_LOGFMT_KEYS = r"(?i:level|lvl|severity|log[._]?level)"
# Quoted or bare logfmt values (or bare words), so a `level=` inside a quoted message is skipped.
_LOGFMT_ITEM = r'(?:[\w.@/-]+=(?:"(?:[^"\\]|\\.)*"|[^\s"]*)|[^\s"=]+)\s+'
_LOGFMT_VALUE = r'="?(?P<level>[A-Za-z]+|\d+)'
# Lines on which the first ` level=` is the level key: what precedes it is unquoted text and
# quoted values without a `=` (`time="2026-11-26T12:00:00Z"`), so no `level=` hides in a quote.
_LOGFMT_GUARD = r'^(?:(?:[^"\\]|\\.|"(?:[^"\\=]|\\.)*")*?\s)?' + _LOGFMT_KEYS + "="

_DOTNET = {"trce": "TRACE", "dbug": "DEBUG", "info": "INFO", "warn": "WARN", "fail": "ERROR"}
_DOTNET["crit"] = "FATAL"
# Redis: `.` debug, `-` verbose, `*` notice, `#` warning.
_REDIS = {".": "DEBUG", "-": "TRACE", "*": "NOTICE", "#": "WARN"}

# Formats whose level field has a fixed syntax. Ordered: on equal sample scores the first wins.
DEDICATED: tuple[LogFormat, ...] = tuple(
    replace(fmt, matches_traces=False)
    for fmt in (
        LogFormat(
            "json",
            r'^\s*\{(?:.*?[{,])??\s*"' + _JSON_KEYS + _JSON_VALUE,
            _word_or_number,
            fast=_JSON_FAST,
            guard=r"^\s*\{",
            fallback=False,
            finder=LevelFinder(JSON),
        ),
        LogFormat(
            "syslog_pri", r"^<(?P<level>\d{1,3})>", _syslog_pri, finder=LevelFinder(SYSLOG_PRI)
        ),
        LogFormat(
            "klog",
            r"^(?P<level>[IWEF])\d{4} \d\d:\d\d:\d\d\.\d+ ",
            _letter,
            finder=LevelFinder(KLOG),
        ),
        LogFormat(
            "logcat_threadtime",
            r"^(?:\d{4}-)?\d\d-\d\d \d\d:\d\d:\d\d\.\d+\s+\d+\s+\d+\s+(?P<level>[VDIWEFA])\s",
            _letter,
            finder=LevelFinder(LOGCAT_THREADTIME),
        ),
        LogFormat(
            "logcat_time",
            r"^(?:\d{4}-)?\d\d-\d\d \d\d:\d\d:\d\d\.\d+\s+(?P<level>[VDIWEFA])/",
            _letter,
        ),
        LogFormat("logcat_brief", r"^(?P<level>[VDIWEFA])/[^(:]+\(\s*\d+\):", _letter),
        LogFormat(
            "ruby_logger",
            r"^[DIWEFA], \[[^\]]*\]\s+(?P<level>[A-Z]+) -- ",
            _word,
            finder=LevelFinder(RUBY_LOGGER),
        ),
        LogFormat(
            "python_default",
            r"^(?P<level>[A-Z]+):[\w.<>-]*:",
            _word,
            finder=LevelFinder(PYTHON_DEFAULT),
        ),
        LogFormat(
            "logfmt",
            r"^(?:" + _LOGFMT_ITEM + r")*?" + _LOGFMT_KEYS + _LOGFMT_VALUE,
            _word_or_number,
            # Where no quote precedes the first level key, the first ` level=` is that key.
            fast=r"(?:^|\s)" + _LOGFMT_KEYS + _LOGFMT_VALUE,
            guard=_LOGFMT_GUARD,
            finder=LevelFinder(LOGFMT),
        ),
        LogFormat("dotnet", r"^(?P<level>trce|dbug|info|warn|fail|crit): ", _table(_DOTNET)),
        LogFormat(
            "redis",
            r"^(?:\d+:[XCSM]|\[\d+\]) \d{1,2} [A-Z][a-z]{2}(?: \d{4})? \d\d:\d\d:\d\d(?:\.\d+)? "
            r"(?P<level>[.*#-]) ",
            _table(_REDIS),
        ),
        # Elasticsearch and friends: `[2026-11-26T12:00:00,123][INFO ][o.e.n.Node] ...`.
        LogFormat("brackets1", r"^\[[^\]]*\]\[\s*(?P<level>[A-Za-z]+)\s*\]", _word),
        LogFormat("brackets2", r"^(?:\[[^\]]*\]){2}\[\s*(?P<level>[A-Za-z]+)\s*\]", _word),
    )
)

# Transport prefixes in front of a whole log line.
WRAPPERS: tuple[tuple[str, str], ...] = (
    # Kubernetes container logs (CRI): `2026-11-26T12:00:00.1Z stdout F `.
    ("cri", r"\S+ (?:stdout|stderr) [FP] "),
    # syslog without PRI, as files under /var/log hold it: `Nov 26 12:00:00 host app[123]: `.
    ("syslog", r"[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ [^\s:\[]+(?:\[\d+\])?: "),
    ("syslog_iso", r"\d{4}-\d\d-\d\dT[\d:.]+(?:Z|[+-]\d\d:?\d\d) \S+ [^\s:\[]+(?:\[\d+\])?: "),
    # docker compose logs: `web-1  | `.
    ("compose", r"[\w.-]+\s+\| "),
)

MAX_COLUMN = 10

# A level token in a column: optionally bracketed, with a `module:` prefix or trailing colon.
_COLUMN_TOKEN = r"[\[(<|]?(?P<level>[A-Za-z:][\w:.-]*)[\])>|,]*(?:\s|$)"
# A field is a whitespace-separated word; in the bracket-aware variant a field that opens a bracket
# runs to its closing bracket, so `[RMI TCP Connection(2)-10.0.0.1]` is one field.
_PLAIN_FIELD = r"\S+\s+"
_BRACKET_FIELD = r"(?:\[[^\]]*\]\S*|[^\s\[]\S*)\s+"


def column_format(k: int, brackets: bool = True) -> LogFormat:
    """The level is the k-th field (0-based) of the line, maybe bracketed or with a colon."""
    field = _BRACKET_FIELD if brackets else _PLAIN_FIELD
    name = f"bracket_column{k}" if brackets else f"column{k}"
    pattern = r"^(?:" + field + r"){" + str(k) + r"}" + _COLUMN_TOKEN
    return LogFormat(name, pattern, _field_word, finder=LevelFinder(COLUMN, k, brackets))


COLUMNS: tuple[LogFormat, ...] = tuple(
    column_format(k, brackets) for brackets in (True, False) for k in range(MAX_COLUMN)
)
CANDIDATES: tuple[LogFormat, ...] = DEDICATED + COLUMNS
_COLUMN_NAMES = tuple(fmt.name for fmt in COLUMNS)  # bracket-aware k = 0.., then plain
_COLUMN_SPECS = tuple(
    (fmt, k, brackets)
    for fmt, (brackets, k) in zip(
        COLUMNS, [(b, k) for b in (True, False) for k in range(MAX_COLUMN)], strict=True
    )
)

# The name of a user's per-directory pattern (`custom_format`).
CUSTOM = "custom"

# A format with no level field: every record is UNKNOWN.
PLAIN = LogFormat("plain", r"^(?P<level>\b\B)")

# A format must explain more than this share of a sample's record lines to be chosen.
MIN_SHARE = 0.5


def custom_format(pattern: str) -> LogFormat:
    """A per-directory override from the settings: a regex with a named group `level`."""
    if "(?P<level>" not in pattern:
        raise ValueError(f"level pattern {pattern!r} needs a named group (?P<level>...)")
    anchored = pattern if pattern.startswith("^") else "^(?:" + pattern + ")"
    try:
        # A one-line array from buffers: `pa.array([...])` would import pandas on first use.
        empty = pa.py_buffer(bytes(16))  # offsets 0, 0: one empty line
        extract_tokens(pa.Array.from_buffers(pa.large_binary(), 1, [None, empty, empty]), anchored)
    except pa.ArrowInvalid as exc:
        raise ValueError(f"level pattern {pattern!r} is not a valid RE2 regex: {exc}") from exc
    return LogFormat(CUSTOM, anchored, _any)


def format_from_key(stored: str | None) -> LogFormat | None:
    """The format an offset row stores (`ScanResult.format_key`), or None: nothing stored,
    another DETECTION_VERSION, or a name this version does not know (detect again)."""
    name = format_name_from_key(stored)
    try:
        return None if name is None else format_named(name)
    except KeyError:
        return None


def format_named(name: str) -> LogFormat:
    """A format by the name detection gives it (`json`, `cri+logfmt`, `bracket_column3`, ...)."""
    if name == PLAIN.name:
        return PLAIN
    for fmt in CANDIDATES:
        if fmt.name == name:
            return fmt
    wrapper, _, inner = name.partition("+")
    for wname, prefix in WRAPPERS:
        if wname == wrapper:
            return _wrapped(format_named(inner), wname, prefix)
    raise KeyError(name)


# ---------------------------------------------------------------------------------------------
# Detection
#
# Detection scores candidates on a small sample (the first lines of the file) with Python's `re`,
# whose compiled patterns are cached across files. A pyarrow call compiles its RE2 pattern every time
# whatever the sample's size, which made detecting a format cost more than scanning a 1 MB file. Both engines use leftmost-first (Perl) matching; the tests check that
# scoring through pyarrow (`detect_format_exhaustive`) picks the same format.

# A column's level field once split out of the line (the Python twin of `_COLUMN_TOKEN`).
_FIELD = re.compile(rb"[\[(<|]?([A-Za-z:][\w:.-]*)[\])>|,]*")
_FIELD_START = frozenset(b"[(<|:" + bytes(range(65, 91)) + bytes(range(97, 123)))
_FIELD_CACHE: dict[bytes, int] = {}
_FIELD_CACHE_MAX = 1 << 16
# Sample lines on which every column is scored before the others are scored column by column.
# Fewer is quicker and changes no choice: the rest of the sample is scored exactly for every
# column that could still win.
_COLUMN_HEAD = 8

_UPPER = bytes(range(65, 91))
_LOWER = bytes(range(97, 123))
_DIGITS = b"0123456789"
_SPACE = b" \t\r\n\f\v"
# The bytes a dedicated format's line can start with (first, second; None: any): a format that
# cannot explain more lines than the best so far is not scored.
_STARTS: dict[str, tuple[bytes, bytes | None]] = {
    "json": (b"{" + _SPACE, None),
    "syslog_pri": (b"<", _DIGITS),
    "klog": (b"IWEF", _DIGITS),
    "logcat_threadtime": (_DIGITS, _DIGITS),
    "logcat_time": (_DIGITS, _DIGITS),
    "logcat_brief": (b"VDIWEFA", b"/"),
    "ruby_logger": (b"DIWEFA", b","),
    "python_default": (_UPPER, _UPPER + b":"),
    "dotnet": (b"tdiwfc", _LOWER),
    "redis": (_DIGITS + b"[", _DIGITS + b":"),
    "brackets1": (b"[", None),
    "brackets2": (b"[", None),
}
# A line logfmt can explain names a level key (lower-cased).
_LOGFMT_KEY_HINTS = (b"level=", b"lvl=", b"severity=")


def detect_format(
    sample_lines: pa.Array | list[bytes], is_record: pa.Array | Sequence[bool] | None = None
) -> LogFormat:
    """Pick the format that explains most record lines of a sample.

    A line is explained when the format finds a level token there that maps to a level. Formats
    are tried in the order of `CANDIDATES`, then wrapped dedicated formats; a later one must
    explain strictly more lines to win, and none wins at or below `MIN_SHARE` of the lines
    (`PLAIN`). A dedicated format that cannot beat the best so far (too few lines start with
    bytes it can start with) is not scored, and all twenty columns are scored from one split of
    each line (`_column_hits`).
    """
    lines = _sample_list(sample_lines, is_record)
    total = len(lines)
    if total == 0:
        return PLAIN
    best, best_hits = PLAIN, int(MIN_SHARE * total)

    def consider(fmt: LogFormat, bound: int, sample: list[bytes] = lines) -> None:
        nonlocal best, best_hits
        if bound > best_hits:
            hits = _py_hits(fmt, sample)
            if hits > best_hits:
                best, best_hits = fmt, hits

    starts = Counter(line[:2] for line in lines)
    for fmt in DEDICATED:
        if best_hits == total:  # nothing can explain more
            return best
        consider(fmt, _bound(fmt, starts, lines))
    if best_hits == total:  # nothing can explain more
        return best
    best, best_hits = _best_column(lines, best, best_hits)
    for wrapper, prefix in WRAPPERS:
        if best_hits == total:
            break
        prefix_re = py_regex("^(?:" + prefix + ")")
        inner = [line[m.end() :] for line in lines if (m := prefix_re.match(line))]
        if len(inner) <= best_hits:
            continue
        inner_starts = Counter(line[:2] for line in inner)
        for fmt in DEDICATED:
            consider(_wrapped(fmt, wrapper, prefix), _bound(fmt, inner_starts, inner))
    return best


def detect_format_exhaustive(
    sample_lines: pa.Array, is_record: pa.Array | None = None
) -> LogFormat:
    """`detect_format` without its shortcuts, scoring every candidate through pyarrow (RE2)."""
    lines = sample_lines if is_record is None else sample_lines.filter(is_record)
    total = len(lines)
    best, best_hits = PLAIN, int(MIN_SHARE * total)
    candidates = list(CANDIDATES)
    for wrapper, prefix in WRAPPERS:
        candidates += [_wrapped(fmt, wrapper, prefix) for fmt in DEDICATED]
    for fmt in candidates:
        hits = _arrow_hits(fmt, lines) if total else 0
        if hits > best_hits:
            best, best_hits = fmt, hits
    return best


def _sample_list(
    sample_lines: pa.Array | list[bytes], is_record: pa.Array | Sequence[bool] | None
) -> list[bytes]:
    lines = sample_lines if isinstance(sample_lines, list) else sample_lines.to_pylist()
    if is_record is not None:
        keep = is_record.to_pylist() if isinstance(is_record, pa.Array) else list(is_record)
        lines = [line for line, k in zip(lines, keep, strict=True) if k]
    # Every line keeps its newline, as in the arrays the scan classifies.
    return [line if line.endswith(b"\n") else line + b"\n" for line in lines]


_PY_REGEXES: dict[str, re.Pattern[bytes]] = {}


def py_regex(pattern: str) -> re.Pattern[bytes]:
    """`pattern` compiled by Python's `re`, once per process (for small samples and blocks)."""
    compiled = _PY_REGEXES.get(pattern)
    if compiled is None:
        compiled = _PY_REGEXES[pattern] = re.compile(pattern.encode())
    return compiled


def _py_hits(fmt: LogFormat, lines: list[bytes]) -> int:
    regex = py_regex(fmt.pattern)
    levels: dict[bytes, bool] = {}
    hits = 0
    for line in lines:
        m = regex.match(line)
        if m is None:
            continue
        token = m.group("level")
        known = levels.get(token)
        if known is None:
            known = levels[token] = fmt.level_of(token.decode("latin-1")) is not None
        hits += known
    return hits


def _arrow_hits(fmt: LogFormat, lines: pa.Array) -> int:
    tokens = fmt.tokens(lines)
    if tokens.null_count == len(tokens):
        return 0
    counts = call("value_counts", tokens.drop_null()).to_pylist()
    return sum(c["counts"] for c in counts if fmt.level_of(c["values"].decode("latin-1")))


def _bound(fmt: LogFormat, starts: Counter[bytes], lines: list[bytes]) -> int:
    """At most how many of `lines` `fmt` can explain (`starts`: their first two bytes, counted)."""
    if fmt.name == "logfmt":  # at most one line per level key found
        lowered = b"".join(lines).lower()
        return sum(lowered.count(key) for key in _LOGFMT_KEY_HINTS)
    first, second = _STARTS[fmt.name]
    return sum(
        n
        for s, n in starts.items()
        if s and s[0] in first and (second is None or (len(s) == 2 and s[1] in second))
    )


def _level_field_flag(field: bytes) -> int:
    """1 if a whole field is a column's level token (`INFO`, `[error]`, `LOG:`), else 0."""
    if field[0] not in _FIELD_START:  # dates, times, numbers: never cached, never levels
        return 0
    flag = _FIELD_CACHE.get(field)
    if flag is None:
        m = _FIELD.fullmatch(field)
        flag = int(m is not None and _field_word(m.group(1).decode("latin-1")) is not None)
        if len(_FIELD_CACHE) >= _FIELD_CACHE_MAX:
            _FIELD_CACHE.clear()
        _FIELD_CACHE[field] = flag
    return flag


def _level_field_flags(fields: list[bytes]) -> list[int]:
    flags = list(map(_FIELD_CACHE.get, fields))  # a C loop; most fields are known
    if None in flags:
        flags = [
            _level_field_flag(f) if v is None else v for f, v in zip(fields, flags, strict=True)
        ]
    return flags


def _has_open_bracket(line: bytes) -> bool:
    """Whether a field of the line opens a bracket and holds whitespace before it closes
    (`[RMI TCP Connection]`), or never closes it: the bracket-aware fields then differ."""
    pos = line.find(b"[")
    while pos >= 0:
        if pos == 0 or line[pos - 1] in _SPACE:
            close = line.find(b"]", pos)
            if close < 0:
                return True
            inside = line[pos:close]
            if b" " in inside or b"\t" in inside:
                return True
        pos = line.find(b"[", pos + 1)
    return False


def _bracket_fields(tokens: list[bytes]) -> list[bytes]:
    """The fields `_BRACKET_FIELD` reads from whitespace-split tokens, each as its first token
    (what the level pattern looks at): a token opening a bracket runs to the first token holding
    a `]` (`[RMI`, `TCP`, `Conn]` is one field, seen as `[RMI`). A bracket never closed ends the
    fields, as the RE2 pattern cannot match past it."""
    out: list[bytes] = []
    i = 0
    while i < len(tokens) and len(out) < MAX_COLUMN:
        token = tokens[i]
        if token[0] == 0x5B and b"]" not in token:  # `[` opening a bracket with spaces inside
            j = i + 1
            while j < len(tokens) and b"]" not in tokens[j]:
                j += 1
            if j == len(tokens):
                break
            i = j
        out.append(token)
        i += 1
    return out


def _column_hits(lines: list[bytes]) -> dict[str, int]:
    """How many lines each column format explains, computed from one split of each line.

    Gives what `_py_hits(column_format(k, brackets), lines)` gives for every k and both field
    kinds, at a fraction of the cost: the column patterns backtrack a lot in Python's `re`.
    """
    plain = [0] * MAX_COLUMN
    bracketed = [0] * MAX_COLUMN
    pad = [0] * MAX_COLUMN
    for line in lines:
        if line[0] in _SPACE:  # the patterns need a field at the start of the line
            continue
        flags = _level_field_flags(line.split(None, MAX_COLUMN)[:MAX_COLUMN])
        flags += pad[len(flags) :]
        plain = list(map(operator.add, plain, flags))
        if _has_open_bracket(line):  # a bracketed field with spaces: the fields differ
            flags = _level_field_flags(_bracket_fields(line.split()))
            flags += pad[len(flags) :]
        bracketed = list(map(operator.add, bracketed, flags))
    return dict(zip(_COLUMN_NAMES, bracketed + plain, strict=True))


def _best_column(lines: list[bytes], best: LogFormat, best_hits: int) -> tuple[LogFormat, int]:
    """The first column format (in `COLUMNS` order) explaining more than `best_hits` lines and
    most of all, else (best, best_hits): what scoring each column in turn would pick.

    All twenty columns are scored on the first lines; the one leading there is scored on the
    rest, and then only the columns that could still beat or (coming earlier) tie it.
    """
    head, rest = lines[:_COLUMN_HEAD], lines[_COLUMN_HEAD:]
    by_name = _column_hits(head)
    head_hits = [by_name[fmt.name] for fmt, _, _ in _COLUMN_SPECS]
    rest_fields: list[list[bytes]] = []
    rest_bracketed: list[list[bytes]] = []
    for line in rest:
        if line[0] in _SPACE:  # the patterns need a field at the start of the line
            continue
        fields = line.split(None, MAX_COLUMN)[:MAX_COLUMN]
        rest_fields.append(fields)
        rest_bracketed.append(_bracket_fields(line.split()) if _has_open_bracket(line) else fields)

    def exact(i: int) -> int:
        _, k, brackets = _COLUMN_SPECS[i]
        hits = head_hits[i]
        for fields in rest_bracketed if brackets else rest_fields:
            if len(fields) > k:
                flag = _FIELD_CACHE.get(fields[k])
                hits += _level_field_flag(fields[k]) if flag is None else flag
        return hits

    lead = max(range(len(_COLUMN_SPECS)), key=lambda i: (head_hits[i], -i))
    scores = {lead: exact(lead)}
    for i, bound in enumerate(h + len(rest) for h in head_hits):
        if (
            i != lead
            and bound > best_hits
            and (bound >= scores[lead] if i < lead else bound > scores[lead])
        ):
            scores[i] = exact(i)
    for i in sorted(scores):  # in order: the first of the highest wins
        if scores[i] > best_hits:
            best, best_hits = _COLUMN_SPECS[i][0], scores[i]
    return best, best_hits
