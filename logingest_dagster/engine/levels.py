"""Canonical severity levels and the spellings each format uses for them (GUIDE.md's table)."""

from __future__ import annotations

LEVELS: tuple[str, ...] = ("TRACE", "DEBUG", "INFO", "NOTICE", "WARN", "ERROR", "FATAL", "UNKNOWN")

# Words accepted in any format's level field, upper-cased.
_WORDS: dict[str, str] = {
    "TRACE": "TRACE", "VERBOSE": "TRACE", "FINEST": "TRACE", "FINER": "TRACE",
    "DEBUG": "DEBUG", "FINE": "DEBUG", "DBG": "DEBUG",
    "INFO": "INFO", "INFORMATION": "INFO", "INFORMATIONAL": "INFO", "LOG": "INFO", "INF": "INFO",
    "NOTICE": "NOTICE",
    "WARN": "WARN", "WARNING": "WARN", "WRN": "WARN",
    "ERROR": "ERROR", "ERR": "ERROR", "SEVERE": "ERROR",
    "FATAL": "FATAL", "CRITICAL": "FATAL", "CRIT": "FATAL", "ALERT": "FATAL",
    "EMERG": "FATAL", "EMERGENCY": "FATAL", "PANIC": "FATAL", "FTL": "FATAL",
}  # fmt: skip

# Single letters, only where a format puts a level letter (klog/glog, logcat, Ruby Logger).
LETTERS: dict[str, str] = {
    "V": "TRACE", "T": "TRACE", "D": "DEBUG", "I": "INFO", "N": "NOTICE",
    "W": "WARN", "E": "ERROR", "F": "FATAL", "A": "FATAL", "C": "FATAL",
}  # fmt: skip

# syslog severity (PRI mod 8), also GELF's numeric level.
SYSLOG: tuple[str, ...] = ("FATAL", "FATAL", "FATAL", "ERROR", "WARN", "NOTICE", "INFO", "DEBUG")

# pino / bunyan numeric levels.
PINO: dict[int, str] = {10: "TRACE", 20: "DEBUG", 30: "INFO", 40: "WARN", 50: "ERROR", 60: "FATAL"}


def empty_counts() -> dict[str, int]:
    return dict.fromkeys(LEVELS, 0)


def level_of_word(word: str) -> str | None:
    """The canonical level a level-field word stands for, or None if it is not a level."""
    return _WORDS.get(word.upper())


def level_of_number(number: int) -> str | None:
    """A numeric level field: pino/bunyan (10..60) or syslog/GELF severity (0..7)."""
    if 0 <= number <= 7:
        return SYSLOG[number]
    return PINO.get(number)


def add_counts(into: dict[str, int], other: dict[str, int]) -> dict[str, int]:
    for level, count in other.items():
        into[level] = into.get(level, 0) + count
    return into
