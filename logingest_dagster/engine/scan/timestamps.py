"""When an error event was logged: the date and time written near the start of its line.

Only full dates with a year are read, as most formats write them: `2026-11-26 12:00:00,123`
(log4j, logback, Python), `2026-11-26T12:00:00.123Z` (JSON lines, logfmt `time=`, RFC 3339),
`2026/11/26 12:00:00` (nginx), `2026-11-26 12:00:00.123 UTC` (Postgres). Formats without a year
(syslog's `Nov 26 12:00:00`, klog, logcat, HDFS's `081109 203615`) give None rather than a guess.

A time with a UTC offset (`Z`, `+01:00`, `-0700`, ` UTC`, ` GMT`) is converted to UTC; a time
without one is taken as UTC already (the zone of the machine that wrote it is not known here).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

# Where the time is looked for: the head of the line, past a JSON key or two or a logfmt pair.
HEAD_CHARS = 160

_DATE_TIME = re.compile(
    r"(?<!\d)(\d{4})([-/])(\d\d)\2(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:[.,](\d{1,9}))?"
    r"(?:(Z|[+-]\d\d:?\d\d)| (UTC|GMT|Z|[+-]\d\d:?\d\d))?(?![\d:])"
)


def leading_timestamp(line: str) -> float | None:
    """Seconds since the epoch (UTC) of the first date-time in the head of `line`, or None."""
    m = _DATE_TIME.search(line, 0, HEAD_CHARS)
    if m is None:
        return None
    year, _, month, day, hour, minute, second, fraction, zone, spaced_zone = m.groups()
    try:
        when = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second),
            int((fraction or "")[:6].ljust(6, "0")), tzinfo=UTC,
        )  # fmt: skip
    except ValueError:  # month 13, second 61: not a time
        return None
    return (when - _offset(zone or spaced_zone)).timestamp()


def _offset(zone: str | None) -> timedelta:
    if zone is None or zone in ("Z", "UTC", "GMT"):
        return timedelta(0)
    digits = zone[1:].replace(":", "")
    offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return offset if zone[0] == "+" else -offset
