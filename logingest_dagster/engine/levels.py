"""Canonical severity levels and the spellings each format uses for them (GUIDE.md's table)."""

from __future__ import annotations

LEVELS: tuple[str, ...] = ("TRACE", "DEBUG", "INFO", "NOTICE", "WARN", "ERROR", "FATAL", "UNKNOWN")

# Words accepted in any format's level field, upper-cased.
_WORDS: dict[str, str] = {
    "TRACE": "TRACE", "VERBOSE": "TRACE", "FINEST": "TRACE", "FINER": "TRACE", "VRB": "TRACE",
    "DEBUG": "DEBUG", "FINE": "DEBUG", "DBG": "DEBUG",
    "INFO": "INFO", "INFORMATION": "INFO", "INFORMATIONAL": "INFO", "LOG": "INFO", "INF": "INFO",
    "NOTICE": "NOTICE",
    # Grafana / log15 four-letter levels (`lvl=eror`).
    "DBUG": "DEBUG", "EROR": "ERROR", "TRCE": "TRACE",
    "WARN": "WARN", "WARNING": "WARN", "WRN": "WARN",
    "ERROR": "ERROR", "ERR": "ERROR", "SEVERE": "ERROR",
    "FATAL": "FATAL", "CRITICAL": "FATAL", "CRIT": "FATAL", "ALERT": "FATAL",
    "EMERG": "FATAL", "EMERGENCY": "FATAL", "PANIC": "FATAL", "FTL": "FATAL",
    # java.util.logging's CONFIG sits between INFO and FINE; SLF4J's bridge logs it as INFO.
    "CONFIG": "INFO",
    # MySQL's error log: `[Note]` is its informational level. (Not its `[System]`: too common a
    # word to be safe as a level in a column nobody named.)
    "NOTE": "INFO",
    # Blue Gene/L RAS severities, in increasing order: INFO WARNING SEVERE ERROR FATAL FAILURE.
    # FAILURE is the top of that scale (a component failed), so it is FATAL.
    "FAILURE": "FATAL",
}  # fmt: skip
# Postgres DEBUG1..DEBUG5, Apache 2.4 trace1..trace8.
_WORDS.update({f"DEBUG{i}": "DEBUG" for i in range(1, 6)})
_WORDS.update({f"TRACE{i}": "TRACE" for i in range(1, 9)})

# Single letters, only where a format puts a level letter (klog/glog, logcat, Ruby Logger).
LETTERS: dict[str, str] = {
    "V": "TRACE", "T": "TRACE", "D": "DEBUG", "I": "INFO", "N": "NOTICE",
    "W": "WARN", "E": "ERROR", "F": "FATAL", "A": "FATAL", "C": "FATAL",
}  # fmt: skip

# syslog severity (PRI mod 8), also GELF's numeric level.
SYSLOG: tuple[str, ...] = ("FATAL", "FATAL", "FATAL", "ERROR", "WARN", "NOTICE", "INFO", "DEBUG")

# pino / bunyan numeric levels, and Monolog's (PHP, RFC 5424 names at 100..600).
PINO: dict[int, str] = {10: "TRACE", 20: "DEBUG", 30: "INFO", 40: "WARN", 50: "ERROR", 60: "FATAL"}
MONOLOG: dict[int, str] = {
    100: "DEBUG", 200: "INFO", 250: "NOTICE", 300: "WARN",
    400: "ERROR", 500: "FATAL", 550: "FATAL", 600: "FATAL",
}  # fmt: skip

# Not a level but a marker: the line is part of the record above it, not a record of its own.
# Postgres writes a record's DETAIL, HINT, STATEMENT ... as separate lines in the level's place.
CONTINUED = "CONTINUED"
_CONTINUED_WORDS = frozenset({"DETAIL", "HINT", "STATEMENT", "CONTEXT", "QUERY", "LOCATION"})


def empty_counts() -> dict[str, int]:
    return dict.fromkeys(LEVELS, 0)


def level_of_word(word: str) -> str | None:
    """The canonical level a level-field word stands for, or None if it is not a level."""
    return _WORDS.get(word.upper())


def level_words() -> tuple[str, ...]:
    """Every word `level_of_word` accepts, upper-cased."""
    return tuple(_WORDS)


def is_continued_word(word: str) -> bool:
    """A word in the level's place that marks a continuation line (Postgres `DETAIL:`)."""
    return word.upper() in _CONTINUED_WORDS


def level_of_number(number: int) -> str | None:
    """A numeric level field: syslog/GELF (0..7), pino/bunyan (10..60) or Monolog (100..600)."""
    if 0 <= number <= 7:
        return SYSLOG[number]
    return PINO.get(number) or MONOLOG.get(number)


def add_counts(into: dict[str, int], other: dict[str, int]) -> dict[str, int]:
    for level, count in other.items():
        into[level] = into.get(level, 0) + count
    return into
