"""When a record was logged: the date and time written in its first line.

A file writes its times one way, so each file gets one *family* (`FAMILIES`), chosen from its first
record lines (`choose_family`); a read then finds every record's time with one RE2 pattern over the
whole block of lines (`TimeReader.minutes`), parsing in Python only the distinct minutes a block
holds (a few per block), and an event's exact time from its own line (`TimeReader.exact`).

Families: ISO 8601 / RFC 3339 and its log4j/Python (`,123`), nginx (`2026/11/26`) and Postgres
(` UTC`) spellings; Apache/ctime (`Sun Dec 04 04:47:44 2005`); Apache access logs
(`26/Nov/2026:12:00:00 +0000`); Redis (`26 Nov 2026 12:00:00.123`); epoch seconds, milliseconds,
microseconds or nanoseconds in JSON (`"time"`, `"ts"`, `"@timestamp"`, `"timestamp"`) and logfmt
(`ts=`, `time=`); HDFS (`081109 203615`, a two-digit year); and formats written without a year:
syslog (`Nov 26 12:00:00`), klog (`I1126 12:00:00.123456`), logcat (`11-26 12:00:00.123`). Their
year is the file's modification year, or the one before where that would put the time more than a
day after the file was last written: never in the future.

A time with a zone (`Z`, `+01:00`, `-0700`, ` UTC`, ` GMT`) is converted to UTC; one without is
taken in the reader's `timezone` (a per-directory setting, UTC by default).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from functools import cache
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
from pyarrow import _compute

# Where a time is looked for: the head of the line, past a JSON key or two or a logfmt pair.
HEAD_CHARS = 160
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MON = "(?P<b>" + "|".join(MONTHS) + ")"
_HMS = r"(?P<H>\d\d):(?P<M>\d\d):(?P<S>\d\d)"
_FRACTION = r"(?:[.,](?P<f>\d{1,9}))?"
_ZONE = r"(?P<z>Z|[+-]\d\d:?\d\d| UTC| GMT| Z| [+-]\d\d:?\d\d)?"
_NOT_DIGIT_AFTER = r"(?:[^\d:]|$)"  # RE2 has no look-ahead: consume one byte (or the end)


@dataclass(frozen=True)
class TimeFamily:
    """A way of writing times: an RE2 pattern with named groups for the parts written.

    Groups: `Y` (year), `y` (two-digit year), `m` (month number) or `b` (month name), `d`, `H`,
    `M`, `S`, `f` (fraction), `z` (zone), or `e` (an epoch number) with `f`."""

    name: str
    pattern: str
    # The groups that fix a record's minute (the rest, seconds and fraction, are added to it).
    key_groups: tuple[str, ...]

    @property
    def epoch(self) -> bool:
        return self.key_groups == ("e",)


FAMILIES: tuple[TimeFamily, ...] = (
    TimeFamily(
        "iso",
        r"(?:^|[^\d])(?P<Y>\d{4})[-/](?P<m>\d\d)[-/](?P<d>\d\d)[T ]"
        + _HMS
        + _FRACTION
        + _ZONE
        + _NOT_DIGIT_AFTER,
        ("Y", "m", "d", "H", "M", "z"),
    ),
    TimeFamily(
        "ctime",
        r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) "
        + _MON
        + r" +(?P<d>\d{1,2}) "
        + _HMS
        + _FRACTION
        + r" (?P<Y>\d{4})",
        ("Y", "b", "d", "H", "M"),
    ),
    TimeFamily(
        "access",
        r"\[(?P<d>\d\d)/" + _MON + r"/(?P<Y>\d{4}):" + _HMS + r"(?P<z> [+-]\d{4})?\]",
        ("Y", "b", "d", "H", "M", "z"),
    ),
    TimeFamily(
        "redis",
        r"(?P<d>\d{1,2}) " + _MON + r" (?P<Y>\d{4}) " + _HMS + _FRACTION,
        ("Y", "b", "d", "H", "M"),
    ),
    TimeFamily(
        "epoch",
        r'(?:"(?:time|ts|@timestamp|timestamp|t)"\s*:\s*"?|(?:^|\s)(?:ts|time|timestamp)=)'
        r"(?P<e>\d{10}|\d{13}|\d{16}|\d{19})(?:\.(?P<f>\d{1,9}))?(?:[^\d]|$)",
        ("e",),
    ),
    TimeFamily(
        "hdfs",
        r"^(?P<y>\d\d)(?P<m>\d\d)(?P<d>\d\d) (?P<H>\d\d)(?P<M>\d\d)(?P<S>\d\d) ",
        ("y", "m", "d", "H", "M"),
    ),
    TimeFamily(
        "syslog",
        _MON + r" +(?P<d>\d{1,2}) " + _HMS + _FRACTION + r" ",
        ("b", "d", "H", "M"),
    ),
    TimeFamily(
        "klog",
        r"^[IWEF](?P<m>\d\d)(?P<d>\d\d) " + _HMS + _FRACTION + r" ",
        ("m", "d", "H", "M"),
    ),
    TimeFamily(
        "logcat",
        r"^(?P<m>\d\d)-(?P<d>\d\d) " + _HMS + _FRACTION + r"\s",
        ("m", "d", "H", "M"),
    ),
)
FAMILY_NAMED = {family.name: family for family in FAMILIES}


def choose_family(
    lines: list[bytes], count_hits: Callable[[list[bytes]], dict[str, int] | None] | None = None
) -> TimeFamily | None:
    """The family that finds a time in the most of `lines` (record lines of a file's start);
    None when none finds any (`family_with_most`). `count_hits(heads)`: in how many heads Python's
    `re` finds each family's pattern, by name, where not counted here."""
    heads = [line[:HEAD_CHARS] for line in lines]
    counted = count_hits(heads) if count_hits is not None else None
    if counted is None:
        counted = {
            family.name: sum(_py(family.pattern).search(head) is not None for head in heads)
            for family in FAMILIES
        }
    return family_with_most(counted)


def family_with_most(hits: dict[str, int]) -> TimeFamily | None:
    """The family with the most `hits` (by name), None when none has any. On a tie the earlier
    family wins (`ctime` before `syslog`)."""
    best, best_hits = None, 0
    for family in FAMILIES:
        if hits[family.name] > best_hits:
            best, best_hits = family, hits[family.name]
    return best


class TimeReader:
    """The times of one file's records, in one family and time zone."""

    def __init__(
        self, family: TimeFamily, timezone: str = "UTC", reference: float | None = None
    ) -> None:
        """`reference`: the file's modification time, the bound for year-less times."""
        self.family = family
        self.zone: tzinfo = UTC if timezone in ("", "UTC") else ZoneInfo(timezone)
        self.reference = reference
        self._search = _py(family.pattern).search
        self._minute_of_key: dict[bytes, int] = {}  # minute key -> epoch seconds, or -1
        self._minute_of_packed: dict[int, int] = {}  # the same for `time_keys`' packed keys

    def minutes(self, lines: pa.Array) -> np.ndarray:
        """Each line's minute (epoch seconds, a multiple of 60), -1 where it has no time."""
        n = len(lines)
        if n == 0:
            return np.zeros(0, dtype=np.int64)
        options = _compute.ExtractRegexOptions(self.family.pattern)
        found = _call("extract_regex", lines, options=options)
        if found.null_count == n:
            return np.full(n, -1, dtype=np.int64)
        if self.family.epoch:
            return self._epoch_minutes(found)
        return self.minutes_of(found)

    def minutes_of(self, found: pa.StructArray) -> np.ndarray:
        """The minute (epoch seconds) of each match `extract_regex` found with this family's
        pattern (not the epoch family's), -1 where none: Python parses each distinct minute."""
        fields = [_field(found, name) for name in self.family.key_groups]
        keys = _call(
            "binary_join_element_wise",
            *fields,
            pa.scalar(b"|", pa.large_binary()),
            options=_compute.JoinOptions("replace", b""),
        )
        encoded = _call("dictionary_encode", keys, options=_ENCODE_NULLS)
        lut = np.array(
            [self._minute_of(key) for key in encoded.dictionary.to_pylist()] + [-1],
            dtype=np.int64,
        )
        return lut[_np_ints(encoded.indices.fill_null(len(lut) - 1))]

    def minutes_of_packed(self, keys: np.ndarray, minutes: np.ndarray) -> np.ndarray:
        """The minute (epoch seconds, or -1) of each of `keys` as `time_keys.c` packs a match's
        key groups, as the RE2 path parses the groups' texts: `minutes` where the compiled code
        worked it out (a written zone, or the reader in UTC), else parsed here once per reader.

        A key is year (or two-digit year) << 44 | month << 37 | day << 30 | hour << 23 | minute
        << 16 | zone, the zone 0 (none written) or 1 << 15 | negative << 14 | hours << 7 |
        minutes; `Z`, `UTC` and `GMT` are +00:00. The epoch family's keys are minutes."""
        if self.family.epoch:
            return keys
        ask = minutes == _ASK
        if self.zone is not UTC:
            ask |= (keys & 0x8000) == 0  # no zone written: in the reader's
        if not ask.any():
            return minutes
        minutes = minutes.copy()
        known = self._minute_of_packed
        if len(known) > 1 << 16:
            known.clear()
        for i, key in zip(np.flatnonzero(ask).tolist(), keys[ask].tolist(), strict=True):
            minute = known.get(key)
            if minute is None:
                minute = known[key] = self._minute_of_fields(key)
            minutes[i] = minute
        return minutes

    def _minute_of_fields(self, key: int) -> int:
        groups = self.family.key_groups
        year = key >> 44
        zone = key & 0xFFFF
        offset = None
        if zone & 0x8000:
            offset = timedelta(hours=zone >> 7 & 127, minutes=zone & 127)
            offset = -offset if zone & 0x4000 else offset
        return self._minute_at(
            year if "Y" in groups else 2000 + year if "y" in groups else None,
            key >> 37 & 127,
            key >> 30 & 127,
            key >> 23 & 127,
            key >> 16 & 127,
            offset,
        )

    def exact(self, line: str) -> int | None:
        """Microseconds since the epoch (UTC) of `line`'s time, or None."""
        m = self._search(line[:HEAD_CHARS].encode("utf-8", "replace"))
        if m is None:
            return None
        parts = {k: (v.decode() if v is not None else None) for k, v in m.groupdict().items()}
        fraction = (parts.get("f") or "")[:6].ljust(6, "0")
        if self.family.epoch:
            digits = parts["e"]
            scale = 10 ** (len(digits) - 10)
            whole = int(digits)
            micros = whole * 1_000_000 // scale
            return micros + (int(fraction) if scale == 1 else 0)
        key = "|".join(parts.get(g) or "" for g in self.family.key_groups).encode()
        minute = self._minute_of(key)
        if minute < 0:
            return None
        return (minute + int(parts["S"])) * 1_000_000 + int(fraction)

    def _epoch_minutes(self, found: pa.StructArray) -> np.ndarray:
        digits = _field(found, "e")
        length = _np_ints(_call("binary_length", digits).fill_null(0)).astype(np.int64)
        text = _call("cast", digits, options=_TO_STRING).fill_null("0")
        # Unsigned: 19 digits may be past int64 (and were an error that failed the read).
        values = _np_ints(_call("cast", text, options=_TO_UINT64))
        scale = (10 ** np.maximum(length - 10, 0)).astype(np.uint64)
        seconds = (values // scale).astype(np.int64)
        seconds[length == 0] = -1
        return np.where(seconds >= 0, seconds - seconds % 60, -1)

    def _minute_of(self, key: bytes | None) -> int:
        if not key:
            return -1
        minute = self._minute_of_key.get(key)
        if minute is None:
            minute = self._parse_minute(key.decode("ascii", "replace").split("|"))
            if len(self._minute_of_key) > 1 << 16:
                self._minute_of_key.clear()
            self._minute_of_key[key] = minute
        return minute

    def _parse_minute(self, parts: list[str]) -> int:
        named = dict(zip(self.family.key_groups, parts, strict=True))
        try:
            month = int(named["m"]) if "m" in named else MONTHS.index(named["b"]) + 1
            day, hour, minute = int(named["d"]), int(named["H"]), int(named["M"])
            if "Y" in named:
                year = int(named["Y"])
            elif "y" in named:
                year = 2000 + int(named["y"])
            else:
                year = None
        except (ValueError, KeyError):
            return -1
        zone = named.get("z", "").strip()
        return self._minute_at(year, month, day, hour, minute, _offset(zone) if zone else None)

    def _minute_at(
        self,
        year: int | None,
        month: int,
        day: int,
        hour: int,
        minute: int,
        offset: timedelta | None,
    ) -> int:
        """Epoch seconds of a minute written with `offset` from UTC (None: in the reader's
        zone), or without a year (None); -1 where that is no time (month 13, day 31 of a 30-day
        month)."""
        if year is None:
            return self._yearless(month, day, hour, minute)
        try:
            when = datetime(year, month, day, hour, minute, tzinfo=self.zone)
            if offset is not None:
                when = when.replace(tzinfo=UTC) - offset
            return int(when.timestamp())
        except ValueError:
            return -1
        except OverflowError:  # an offset taking it out of years 1-9999: no time, not a failure
            return -1

    def _yearless(self, month: int, day: int, hour: int, minute: int) -> int:
        if self.reference is None:
            return -1
        bound = self.reference + 86_400
        year = datetime.fromtimestamp(self.reference, UTC).year
        for candidate in (year, year - 1):
            try:
                when = datetime(candidate, month, day, hour, minute, tzinfo=self.zone).timestamp()
            except ValueError:  # Feb 29 of a year that has none
                continue
            if when <= bound:
                return int(when)
        return -1


def leading_timestamp(line: str) -> float | None:
    """Seconds since the epoch (UTC) of a dated time (one with a year) at the head of `line`."""
    for family in FAMILIES[:4]:
        micros = _utc_reader(family).exact(line)
        if micros is not None:
            return micros / 1e6
    return None


@cache
def _utc_reader(family: TimeFamily) -> TimeReader:
    return TimeReader(family)


def _offset(zone: str) -> timedelta:
    if zone in ("Z", "UTC", "GMT"):
        return timedelta(0)
    digits = zone[1:].replace(":", "")
    offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return offset if zone[0] == "+" else -offset


@cache
def _py(pattern: str) -> re.Pattern[bytes]:
    return re.compile(pattern.encode())


def _call(name: str, *args, options=None):
    return _compute.call_function(name, list(args), options)


def _field(found: pa.StructArray, name: str) -> pa.Array:
    return _call("struct_field", found, options=_compute.StructFieldOptions([name]))


def _np_ints(array: pa.Array) -> np.ndarray:
    """A null-free integer array as numpy (`to_numpy` can import pandas)."""
    array = array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array
    dtype = np.dtype(array.type.to_pandas_dtype())
    data = np.frombuffer(array.buffers()[1], dtype=dtype)
    return data[array.offset : array.offset + len(array)]


_ASK = np.iinfo(np.int64).min  # `time_keys.ASK`: a minute the compiled code leaves to Python
_ENCODE_NULLS = _compute.DictionaryEncodeOptions("encode")
_TO_UINT64 = _compute.CastOptions.safe(pa.uint64())
_TO_STRING = _compute.CastOptions.unsafe(pa.large_string())
