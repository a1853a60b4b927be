"""The compiled time matchers (`time_keys.c`) find what the families' RE2 patterns find, group for
group, in the three ways the engine runs them:

- minute counts: the pattern (RE2) over each whole record line, its newline included;
- events: the pattern with Python's `\\s` (RE2) over each head (the line without its newline, cut
  at HEAD_CHARS), a head with a non-ASCII byte left to `TimeReader.exact` (UNSURE);
- choosing a family: Python's `re` searching each head of the first records.

Compared on hand-written edge cases, seeded random lines made of time fragments, every format the
benchmark corpus renders, and the loghub logs (when ../shared/loghub is there); and then the
minutes and exact times the engine makes of them, in UTC and in another zone.
"""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from benchmarks import corpus
from logingest_dagster.engine.levels import LEVELS
from logingest_dagster.engine.scan import time_keys
from logingest_dagster.engine.scan.event_times import _re2_pattern, exact_times, re2_exact_times
from logingest_dagster.engine.scan.minute_counts import MinuteCounter
from logingest_dagster.engine.scan.record_times import RecordTimes
from logingest_dagster.engine.scan.result import NO_TIME
from logingest_dagster.engine.scan.timestamps import (
    FAMILIES,
    HEAD_CHARS,
    MONTHS,
    TimeFamily,
    TimeReader,
)

pytestmark = pytest.mark.skipif(
    not time_keys.is_available(), reason="time_keys is not built (make setup builds it)"
)

LOGHUB = Path(__file__).resolve().parents[3] / "shared" / "loghub"
MTIME = 1_800_000_000.0  # 2027-01-15: the bound for times written without a year

EDGE_CASES = [
    # zones: +hh:mm, -hhmm, Z, UTC, GMT, a space before, an offset that is not one
    "2026-11-26T12:00:07.123456789+02:00 ERROR nanoseconds and a zone",
    "2026-11-26 12:00:08Z WARN Zulu",
    "2026-11-26 12:00:09,5 -0700 ERROR an offset after a space",
    "2026-11-26 12:00:09 -07:30 x",
    "2026-11-26 12:00:09 UTC x",
    "2026-11-26 12:00:09 GMT x",
    "2026-11-26 12:00:09 Z x",
    "2026-11-26 12:00:09 ZZ x",
    "2026-11-26 12:00:09+01:0012 an offset running into digits",
    "2026-11-26 12:00:09+0100: a colon after",
    "2026-11-26 12:00:09-00:00",
    "2026-11-26 12:00:09+99:99 an offset past any real one",
    "2026-11-26 12:00:00 -12 items left",
    # fractions of 1 to 10 digits, a digit or ':' right after
    *(f"2026-11-26 12:00:10.{'7' * k} x" for k in range(1, 11)),
    *(f"2026-11-26 12:00:10,{'7' * k}Z" for k in range(1, 11)),
    "2026-11-26 12:00:101 a digit after the seconds",
    "2026-11-26 12:00:10: a colon after the seconds",
    "2026-11-26 12:00:10.5:",
    "2026-11-26 12:00:10.",
    "2026-11-26 12:00:10",
    # impossible dates: month 13, Feb 29 of a common and a leap year, day 31 of a 30-day month
    "2026-13-26 12:00:00 ERROR x",
    "2023-02-29 12:00:00 ERROR x",
    "2024-02-29 12:00:00 ERROR x",
    "1900-02-29 12:00:00 x",
    "2000-02-29 12:00:00 x",
    "2026-04-31 12:00:00 x",
    "2026-00-10 12:00:00 x",
    "2026-01-00 12:00:00 x",
    "2026-01-10 24:00:00 x",
    "2026-01-10 23:60:00 x",
    "2026-01-10 23:59:99 x",
    "0000-01-01 00:00:00 x",
    "0001-01-01 00:00:00 x",
    "0001-01-01 00:30:00+01:00 a time before year 1",
    "0001-01-01 00:30:00-01:00",
    "9999-12-31 23:30:00-01:00 a time after year 9999",
    "9999-12-31 23:30:00+01:00",
    "1969-12-31 23:59:00 before the epoch",
    # dates not at the line's start, or after digits
    "[main] 2026/11/26 12:00:00 [error] x",
    "12026-11-26 12:00:00 ERROR five digits",
    "12026-11-26 12:00:00 then 2026-11-27 13:00:00",
    "x2026-11-26T12:00:00",
    "2026-11/26 12:00:00 mixed separators",
    "2026-11-26X12:00:00",
    # shorter than the pattern
    "2026-11-26 12:00",
    "2026-11-26 12:00:0",
    "2026",
    "",
    "Nov 26 12:00",
    # the other families and their edges
    "[Thu Nov 26 12:00:17 2026] [error] ctime",
    "[Thu Nov  6 12:00:17.123456 2026] [error] ctime, a padded day, a fraction",
    "Thu Nov 126 12:00:17 2026 a three-digit day",
    "Thu Nov 26 12:00:17.1234567890 2026 ten fraction digits",
    "Sun Feb 29 12:00:17 2023",
    '127.0.0.1 - - [26/Nov/2026:12:00:18 +0100] "GET / HTTP/1.1" 500 1',
    "[26/Nov/2026:12:00:18 -0530]",
    "[26/Nov/2026:12:00:18]",
    "[26/Nov/2026:12:00:18 +01:00]",
    "[26/Foo/2026:12:00:18]",
    "26 Nov 2026 12:00:19.123 # redis",
    "1:M 6 Nov 2026 12:00:19.1234567891 * redis, one-digit day, ten digits",
    "123 Nov 2026 12:00:19",
    '{"ts": 1764158412.25, "level": "error"}',
    '{"ts": 1764158412250, "level": "error"}',
    '{"time": "9999999999999999999", "level": "error", "msg": "19 digits past int64"}',
    '{"time": 1764158412250123456}',
    '{"time":17641584122}',
    '{"t" :\t"1764158412.123456789x"}',
    '{"@timestamp": 1764158412.1234567890}',
    '{"timestamp"  :  1764158412}',
    '{"time":"1764158412"',
    '{"tim": 1764158412}',
    "ts=1764158412250123 level=error",
    "level=error time=1764158412",
    "level=error\ttimestamp=1764158412.5",
    "level=error\vtime=1764158412 a vertical tab: \\s in Python's re, not RE2's",
    "xts=1764158412",
    "081109 203615 148 ERROR dfs.DataNode: hdfs",
    "081109 2036150 a longer time",
    " 081109 203615 not at the start",
    "Nov 26 12:00:14 host app[1]: ERROR syslog",
    "Nov  6 12:00:14.123 host",
    "Nov 26 12:00:14.1234567891 host",
    "Jan 1 00:00:00 host",
    "Foo 26 12:00:14 host",
    "I1126 12:00:15.123456 1 main.go:1] klog",
    "W1126 12:00:15 1 main.go:1] no fraction",
    "X1126 12:00:15.123456 1",
    "I1326 12:00:15 month 13",
    "11-26 12:00:16.123  1  2 E Tag: logcat",
    "11-26 12:00:16.123\v1 a vertical tab after",
    "11-26 12:00:16\t1",
    "11-26 12:00:16.1234567890 1",
    # CRLF, non-ASCII, a time past the head
    "2026-11-26 12:00:13.1 ERROR a CRLF line\r",
    "2026-11-26 12:00:13\r",
    "caf\u00e9 2026-11-26 12:00:11 a non-ASCII byte first",
    "\u00e9" * 80 + " 2026-11-26 12:00:12 past 160 characters, not 160 bytes",
    "x" * (HEAD_CHARS - 19) + "2026-11-26 12:00:12 across the head's end",
    "x" * (HEAD_CHARS - 20) + "2026-11-26 12:00:12 within the head",
    "x" * 300 + " 2026-11-26 12:00:12 far past the head",
]

FRAGMENTS = [
    *("2026", "1999", "0001", "9999", "12026", "-", "/", "11", "26", "02", "29", "13", "00", "99"),
    *("T", " ", "  ", "12:00:00", "23:59:59", "12", ":", ".", ",", "5", "123", "123456789"),
    *("1234567890", "Z", " Z", "+01:00", "-0700", "+01", "-00:00", " UTC", " GMT", "x", "]"),
    *("Nov", "Feb", "Dec", "Jun", "Mon", "Thu", "Sun", "[", "[26/Nov/2026:12:00:00", " +0100"),
    *('"time"', '"ts"', '"t"', '"@timestamp"', '"timestamp"', '"', "ts=", "time=", "timestamp="),
    *("1764158412", "1764158412250", "1764158412250123", "1764158412250123456"),
    *("9999999999999999999", "\v", "\t", "\r", "\f", "\u00e9", "I1126", "E0229", "081109 203615"),
    *("11-26", "02-30"),
]


def fuzz_lines(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choices(FRAGMENTS, k=rng.randrange(1, 14))) for _ in range(count)]


def corpus_lines(records: int = 300) -> list[str]:
    """Lines of every format the benchmark corpus renders (continuation lines too)."""
    lines = []
    for name, render in corpus.FORMATS.items():
        gen = corpus.Gen(random.Random(f"time_keys:{name}"), 1_710_000_000.0)
        for _ in range(records):
            lines += render(gen)[1]
    return lines


def loghub_lines() -> list[bytes]:
    return [
        line
        for path in sorted(LOGHUB.glob("*.log"))
        for line in path.read_bytes().splitlines(keepends=True)
    ]


def utf8(lines: list[str]) -> list[bytes]:
    return [line.encode("utf-8", "surrogateescape") + b"\n" for line in lines]


# ---------------------------------------------------------------------------------------------
# Groups: what RE2 (or Python's re) extracts, and what the compiled matcher packs.


def re2_groups(family: TimeFamily, texts: list[bytes], pattern: str) -> list[tuple | None]:
    found = pc.extract_regex(pa.array(texts, pa.large_binary()), pattern).to_pylist()
    return [None if groups is None else normalized(family, groups) for groups in found]


def normalized(family: TimeFamily, groups: dict) -> tuple:
    """The groups as numbers: the packed key's fields and the microseconds into the minute (for
    the epoch family, its minute and its time in microseconds)."""
    text = {name: (value.decode() if value is not None else None) for name, value in groups.items()}
    fraction = (text.get("f") or "")[:6].ljust(6, "0")
    if family.epoch:
        digits = text["e"]
        whole, scale = int(digits), 10 ** (len(digits) - 10)
        seconds = whole // scale
        micros = whole * 1_000_000 // scale + (int(fraction) if scale == 1 else 0)
        return (seconds - seconds % 60, micros)
    year = int(text.get("Y") or text.get("y") or 0)
    month = int(text["m"]) if text.get("m") is not None else MONTHS.index(text["b"]) + 1
    zone = None
    written = (text.get("z") or "").strip()
    if written in ("Z", "UTC", "GMT"):
        zone = (False, 0, 0)
    elif written:
        digits = written[1:].replace(":", "")
        zone = (written[0] == "-", int(digits[:2]), int(digits[2:]))
    seconds = int(text["S"]) * 1_000_000 + int(fraction)
    return (year, month, int(text["d"]), int(text["H"]), int(text["M"]), zone, seconds)


def compiled_groups(found: time_keys.Found, epoch: bool) -> list[tuple | str | None]:
    assert found.within is not None
    out: list[tuple | str | None] = []
    for slot, within in zip(found.slots.tolist(), found.within.tolist(), strict=True):
        if slot == time_keys.NO_TIME:
            out.append(None)
        elif slot == time_keys.UNSURE:
            out.append("unsure")
        elif epoch:
            out.append((int(found.keys[slot]), within))
        else:
            key = int(found.keys[slot])
            zone = None
            if key & 0x8000:
                zone = (bool(key & 0x4000), key >> 7 & 127, key & 127)
            fields = (key >> 44, key >> 37 & 127, key >> 30 & 127, key >> 23 & 127)
            out.append((*fields, key >> 16 & 127, zone, within))
    return out


def bounds(texts: list[bytes]) -> tuple[bytes, np.ndarray, np.ndarray]:
    lengths = np.array([len(t) for t in texts], dtype=np.int64)
    stops = np.cumsum(lengths)
    return b"".join(texts), stops - lengths, stops


def assert_record_lines_match(lines: list[bytes]) -> None:
    """Minute counts: the pattern over whole lines."""
    data, starts, stops = bounds(lines)
    for family in FAMILIES:
        found = time_keys.find(family, data, starts, stops, within=True)
        expected = re2_groups(family, lines, family.pattern)
        got = compiled_groups(found, family.epoch)
        mismatches = [(i, lines[i]) for i in range(len(lines)) if got[i] != expected[i]]
        assert not mismatches, (family.name, mismatches[:5], len(mismatches))


def heads_of(lines: list[bytes]) -> list[bytes]:
    return [line.rstrip(b"\r\n")[:HEAD_CHARS] for line in lines]


def assert_event_heads_match(lines: list[bytes]) -> None:
    """Events: the pattern with Python's \\s over heads; a non-ASCII head is UNSURE."""
    heads = heads_of(lines)
    data, starts, stops = bounds(heads)
    non_ascii = [any(byte >= 0x80 for byte in head) for head in heads]
    for family in FAMILIES:
        found = time_keys.find(
            family, data, starts, stops, python_space=True, ascii_only=True, within=True
        )
        expected = re2_groups(family, heads, _re2_pattern(family.pattern))
        expected = [
            "unsure" if high else groups for high, groups in zip(non_ascii, expected, strict=True)
        ]
        got = compiled_groups(found, family.epoch)
        mismatches = [(i, heads[i]) for i in range(len(heads)) if got[i] != expected[i]]
        assert not mismatches, (family.name, mismatches[:5], len(mismatches))


def assert_family_hits_match(lines: list[bytes]) -> None:
    """Choosing a family: Python's re searching the first HEAD_CHARS bytes of each line."""
    heads = [line[:HEAD_CHARS] for line in lines]
    expected = {
        family.name: sum(re.compile(family.pattern.encode()).search(h) is not None for h in heads)
        for family in FAMILIES
    }
    assert time_keys.hits(heads) == expected
    array = pa.array(lines, pa.large_binary())
    assert time_keys.hits_in_lines(array.slice(1), HEAD_CHARS) == time_keys.hits(heads[1:])


def sources() -> dict[str, list[bytes]]:
    return {
        "edge cases": utf8(EDGE_CASES),
        "random fragments": utf8(fuzz_lines(20_000, seed=16)),
        "corpus formats": utf8(corpus_lines()),
    }


@pytest.mark.parametrize("source", ["edge cases", "random fragments", "corpus formats"])
def test_record_lines_give_the_re2_groups(source):
    assert_record_lines_match(sources()[source])


@pytest.mark.parametrize("source", ["edge cases", "random fragments", "corpus formats"])
def test_event_heads_give_the_re2_groups(source):
    assert_event_heads_match(sources()[source])


@pytest.mark.parametrize("source", ["edge cases", "random fragments", "corpus formats"])
def test_family_hits_are_pythons(source):
    assert_family_hits_match(sources()[source])


@pytest.mark.skipif(not LOGHUB.is_dir(), reason=f"the loghub samples are not at {LOGHUB}")
def test_loghub_lines_give_the_re2_groups_every_way():
    lines = loghub_lines()
    assert len(lines) >= 14_000
    assert_record_lines_match(lines)
    assert_event_heads_match(lines)
    assert_family_hits_match(lines)


# ---------------------------------------------------------------------------------------------
# Minutes and exact times, as the engine makes them of the groups.


def all_lines() -> list[bytes]:
    lines = utf8(EDGE_CASES + fuzz_lines(5_000, seed=61) + corpus_lines(100))
    return lines + (loghub_lines() if LOGHUB.is_dir() else [])


@pytest.mark.parametrize("timezone", ["UTC", "Europe/Paris", "America/St_Johns"])
def test_minutes_are_the_re2_minutes(timezone):
    lines = pa.array(all_lines(), pa.large_binary())
    for family in FAMILIES:
        found = time_keys.find_in_lines(family, lines)
        compiled = TimeReader(family, timezone, reference=MTIME)
        minutes = np.append(compiled.minutes_of_packed(found.keys, found.minutes), -1)
        got = minutes[np.where(found.slots >= 0, found.slots, len(minutes) - 1)]
        expected = TimeReader(family, timezone, reference=MTIME).minutes(lines)
        wrong = np.flatnonzero(got != expected)
        assert not len(wrong), (family.name, [lines[i] for i in wrong[:5].tolist()])


@pytest.mark.parametrize("timezone", ["UTC", "Europe/Paris"])
def test_exact_times_are_the_re2_exact_times(timezone):
    lines = all_lines()
    data = np.frombuffer(b"".join(lines), dtype=np.uint8)
    lengths = np.array([len(line) for line in lines], dtype=np.int64)
    ends = np.cumsum(lengths)
    starts = ends - lengths
    stops = np.array([s + len(line.rstrip(b"\r\n")) for s, line in zip(starts, lines, strict=True)])
    texts = [line.rstrip(b"\r\n").decode("utf-8", "replace") for line in lines]
    for family in FAMILIES:
        reader = TimeReader(family, timezone, reference=MTIME)
        got = exact_times(reader, pa.py_buffer(data), data, starts, stops, texts)
        heads = np.minimum(stops, starts + HEAD_CHARS)
        expected = re2_exact_times(
            TimeReader(family, timezone, reference=MTIME), pa.py_buffer(data), starts, heads, texts
        )
        wrong = [i for i in range(len(lines)) if got[i] != expected[i]]
        assert not wrong, (family.name, [(lines[i], got[i], expected[i]) for i in wrong[:5]])
        assert got.count(None) < len(got) or family.name in ("access",)


def test_a_compiled_minute_is_pythons_datetime_on_every_calendar_edge():
    """Every day number 0-32 of every month 0-13 of common, leap and century years, with and
    without a zone: `utc_minute` in C as `datetime` refuses or places it."""
    lines = [
        f"{year:04d}-{month:02d}-{day:02d} {hour:02d}:{minute:02d}:00{zone}\n".encode()
        for year in (1, 2, 1900, 1970, 2000, 2023, 2024, 2100, 9998, 9999)
        for month in range(14)
        for day in range(33)
        for hour, minute in ((0, 0), (23, 59), (24, 0), (0, 60))
        for zone in ("", "+05:30", "-0800")
    ]
    array = pa.array(lines, pa.large_binary())
    iso = FAMILIES[0]
    found = time_keys.find_in_lines(iso, array)
    got = TimeReader(iso).minutes_of_packed(found.keys, found.minutes)[found.slots]
    expected = TimeReader(iso).minutes(array)
    assert got.tolist() == expected.tolist()
    assert (expected == -1).sum() > len(lines) // 3  # many refused
    assert datetime.fromtimestamp(int(expected.max()), UTC).year == 9999


def reference_minute_counts(lines: pa.Array, levels: np.ndarray, reader) -> dict:
    """The minute counts as `MinuteCounter.take` made them before (np.unique over every record's
    minute and level, from the RE2 minutes): the specification of the bincount over slots."""
    minutes = reader.minutes(lines) if reader is not None else np.full(len(lines), -1)
    minutes = np.where(minutes < 0, NO_TIME * 60, minutes)
    keys = (minutes // 60) * len(LEVELS) + levels.astype(np.int64)
    unique, counts = np.unique(keys, return_counts=True)
    table: dict = {}
    for key, count in zip(unique.tolist(), counts.tolist(), strict=True):
        minute, level = divmod(key, len(LEVELS))
        slot = (minute * 60 if minute != NO_TIME else NO_TIME, LEVELS[level])
        table[slot] = table.get(slot, 0) + count
    return table


def files_of_each_format() -> dict[str, list[bytes]]:
    """A file's lines per corpus format and loghub log, each followed by the edge cases and random
    lines: each chooses its own family from its first records."""
    others = utf8(EDGE_CASES + fuzz_lines(2_000, seed=7))
    files = {}
    for name, render in corpus.FORMATS.items():
        gen = corpus.Gen(random.Random(f"files:{name}"), 1_710_000_000.0)
        files[name] = utf8([line for _ in range(400) for line in render(gen)[1]]) + others
    for path in sorted(LOGHUB.glob("*.log")) if LOGHUB.is_dir() else []:
        files[path.name] = path.read_bytes().splitlines(keepends=True) + others
    return files


def count_minutes(lines: pa.Array, levels: np.ndarray, timezone: str) -> MinuteCounter:
    counter = MinuteCounter(RecordTimes(timezone, reference=MTIME))
    for start in range(0, len(lines), 1000):  # blocks, the family chosen from the first
        counter.take(lines.slice(start, 1000), levels[start : start + 1000])
    return counter


@pytest.mark.parametrize("timezone", ["UTC", "Europe/Paris"])
def test_minute_counts_are_those_of_the_re2_minutes(monkeypatch, timezone):
    files = files_of_each_format()
    compiled = {}
    for name, file_lines in files.items():
        lines = pa.array(file_lines, pa.large_binary())
        levels = np.random.default_rng(16).integers(0, len(LEVELS), len(lines))
        counter = count_minutes(lines, levels, timezone)
        reader = counter.times.reader
        assert counter.counts == reference_minute_counts(lines, levels, reader), name
        compiled[name] = (reader.family.name if reader else None, counter.counts)
    assert len({family for family, _ in compiled.values()}) >= 8  # of the 9

    monkeypatch.setattr(time_keys, "_library", None)
    monkeypatch.setattr(time_keys, "_loaded", True)
    for name, file_lines in files.items():
        lines = pa.array(file_lines, pa.large_binary())
        levels = np.random.default_rng(16).integers(0, len(LEVELS), len(lines))
        counter = count_minutes(lines, levels, timezone)
        reader = counter.times.reader
        assert (reader.family.name if reader else None, counter.counts) == compiled[name], name


def test_lines_with_32_bit_offsets_are_read_as_large_binary():
    lines = [b"x 2026-11-26 12:00:00 a\n", b"no time\n", b"2024-02-29 23:59:00Z\n"]
    iso = FAMILIES[0]
    narrow = time_keys.find_in_lines(iso, pa.array(lines, pa.binary()).slice(1))
    wide = time_keys.find_in_lines(iso, pa.array(lines[1:], pa.large_binary()))
    assert narrow.slots.tolist() == wide.slots.tolist() == [-1, 0]
    assert narrow.keys.tolist() == wide.keys.tolist()
    assert time_keys.hits_in_lines(pa.array(lines, pa.binary()), HEAD_CHARS)["iso"] == 2


@pytest.mark.parametrize("engine", ["compiled", "re2"])
def test_minute_counts_given_record_indices_are_those_of_the_record_lines_alone(
    monkeypatch, engine
):
    # Continuation lines hold times too, in another family, and outnumber the records among the
    # first lines: the family is still chosen from the records, and only records are counted.
    if engine == "re2":
        monkeypatch.setattr(time_keys, "_library", None)
        monkeypatch.setattr(time_keys, "_loaded", True)
    elif not time_keys.is_available():
        pytest.skip("time_keys is not built (make setup builds it)")
    lines, records = [], []
    for i in range(400):
        records.append(len(lines))
        lines.append(f"2026-11-26 12:{i % 60:02d}:00 ERROR boom {i}\n".encode())
        lines += [f"Nov 27 0{k}:{i % 60:02d}:11 retried\n".encode() for k in range(3)]
    all_lines = pa.array(lines, pa.large_binary())
    index = np.array(records, dtype=np.int64)
    levels = np.random.default_rng(3).integers(0, len(LEVELS), len(index))
    given = MinuteCounter(RecordTimes("UTC", reference=MTIME))
    given.take(all_lines, levels, index)
    alone = MinuteCounter(RecordTimes("UTC", reference=MTIME))
    alone.take(pa.array([lines[i] for i in records], pa.large_binary()), levels)
    assert given.times.reader.family.name == alone.times.reader.family.name == "iso"
    assert given.counts == alone.counts
    assert sum(given.counts.values()) == len(records)
