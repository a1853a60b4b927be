"""A block's events, collected with RE2 and numpy, are those a line-by-line reading gives.

The reference reads each event's first line on its own, as the collector once did: its bytes up
to LINE_BYTES without the newline, decoded; the time from `TimeReader.exact` on that text (in
the family chosen from the first records); the logger and message from the format's pattern on
the encoded line (`_reference_describe`, the former code, kept here as the specification). Every
record is an event (min_level TRACE) so every line shape of each format is compared: the format
samples of test_formats.py, the same with extra lines (times with zones, fractions, epoch numbers,
non-ASCII heads, CRLF), and the real loghub logs when ../shared/loghub is there. Each test runs
with the times from the RE2 patterns and from the compiled matchers (`time_engine`).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from logingest_dagster.engine.scan import scan_range
from logingest_dagster.engine.scan.event_fields import (
    _HEADER_END,
    _LOGGER,
    _from_json,
    _from_logfmt,
)
from logingest_dagster.engine.scan.events import LINE_BYTES
from logingest_dagster.engine.scan.formats import LogFormat, format_named, py_regex
from logingest_dagster.engine.scan.record_times import SAMPLE_RECORDS, RecordTimes
from logingest_dagster.engine.scan.result import ScanOptions
from tests.engine.test_formats import SAMPLES

LOGHUB = Path(__file__).resolve().parents[3] / "shared" / "loghub"
MTIME = 1_800_000_000  # 2027-01-15: the bound for times written without a year
pytestmark = pytest.mark.usefixtures("time_engine")
EVERY_RECORD = ScanOptions(max_events=1_000_000, min_level="TRACE", timezone="Europe/Paris")
# Lines in several families' spellings, with the edge cases the numpy readers handle.
EXTRA = """\
2026-11-26T12:00:07.123456789+02:00 ERROR [main] com.foo.Bar - nanoseconds and a zone
2026-11-26 12:00:08Z WARN svc.api: no fraction, Zulu
2026-11-26 12:00:09,5 -0700 ERROR x - one fraction digit, an offset
2026-02-30 12:00:10 ERROR not a day: no time
2026-11-26 12:00:11 ERROR caf\u00e9 \u00e9\u00e9 a head with non-ASCII text \u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9 2026-11-27 01:02:03
\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9 2026-11-26 12:00:12 ERROR a time past 160 characters, not 160 bytes
{"ts": 1764158412.25, "level": "error", "msg": "epoch seconds"}
{"ts": 1764158412250, "level": "error", "msg": "epoch milliseconds"}
{"time": "9999999999999999999", "level": "error", "msg": "19 digits"}
ts=1764158412250123 level=error msg="epoch microseconds" logger=a.b
2026-11-26 12:00:13.1 ERROR a CRLF line\r
Nov 26 12:00:14 host app[1]: ERROR syslog without a year
I1126 12:00:15.123456 1 main.go:1] klog
11-26 12:00:16.123  1  2 E Tag: logcat
[Thu Nov 26 12:00:17 2026] [error] ctime
127.0.0.1 - - [26/Nov/2026:12:00:18 +0100] "GET / HTTP/1.1" 500 1
26 Nov 2026 12:00:19.123 # redis
081109 203615 148 ERROR dfs.DataNode: hdfs
"""


def _reference_describe(fmt: LogFormat, line: str) -> tuple[str | None, str]:
    name = fmt.name.rpartition("+")[2]
    if name == "json":
        return _from_json(line)
    if name == "logfmt":
        return _from_logfmt(line)
    encoded = line.encode("utf-8", "replace")
    match = py_regex(fmt.pattern).match(encoded)
    if match is None or match.start("level") < 0:
        return None, line
    rest = encoded[match.end("level") :].decode("utf-8", "replace")
    if name == "python_default":
        logger, _, message = rest.lstrip(":").partition(":")
        return logger or None, message
    rest = rest.lstrip(_HEADER_END)
    found = _LOGGER.match(rest)
    if found is not None and ("." in found["logger"] or rest[found.end() - 2 :].startswith(":")):
        return found["logger"], rest[found.end() :]
    return None, rest


def _first_line(data: bytes, offset: int) -> bytes:
    end = data.find(b"\n", offset)
    line = data[offset : len(data) if end < 0 else end + 1]
    return line[:LINE_BYTES].rstrip(b"\r\n")


def assert_events_as_read_line_by_line(path: Path) -> int:
    os.utime(path, (MTIME, MTIME))
    result = scan_range(str(path), options=EVERY_RECORD)
    events = result.events
    assert len(events) == result.records  # every record an event
    data = path.read_bytes()
    fmt = format_named(result.format)
    times = RecordTimes(EVERY_RECORD.timezone, reference=MTIME)
    firsts = [data[o : data.find(b"\n", o) + 1 or len(data)] for o in events.offsets]
    times.choose(firsts[:SAMPLE_RECORDS])
    for i, event in enumerate(events):
        text = _first_line(data, event.offset).decode("utf-8", "replace")
        assert (event.logger, event.message) == _reference_describe(fmt, text), (i, text)
        assert event.time == times.exact(text), (i, text)
        assert event.line_number == data[: event.offset].count(b"\n") + 1
    return len(events)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_format_samples(tmp_path, name):
    path = tmp_path / f"{name}.log"
    path.write_bytes(SAMPLES[name][0].encode() * 3)
    assert assert_events_as_read_line_by_line(path) > 0


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_format_samples_with_other_families_lines(tmp_path, name):
    path = tmp_path / f"{name}.log"
    path.write_bytes((SAMPLES[name][0] * 2 + EXTRA).encode())
    assert assert_events_as_read_line_by_line(path) > 0


@pytest.mark.parametrize("family_line", [line for line in EXTRA.splitlines() if line])
def test_each_family_spelling_first(tmp_path, family_line):
    """A file of one spelling chooses that family, so each numpy reader is compared."""
    path = tmp_path / "one.log"
    path.write_bytes(((family_line + "\n") * 3 + EXTRA).encode())
    assert assert_events_as_read_line_by_line(path) > 0


@pytest.mark.skipif(not LOGHUB.is_dir(), reason="the loghub samples are not at ../shared/loghub")
@pytest.mark.parametrize(
    "name", sorted(p.stem for p in LOGHUB.glob("*.log")) if LOGHUB.is_dir() else []
)
def test_loghub_logs(tmp_path, name):
    path = tmp_path / f"{name}.log"
    path.write_bytes((LOGHUB / f"{name}.log").read_bytes())
    assert assert_events_as_read_line_by_line(path) > 0


def test_the_reference_is_the_module_describe():
    """`describe` (the per-format `describer`) and the reference agree on a line of each kind."""
    from logingest_dagster.engine.scan.event_fields import describe

    for name, (text, _) in SAMPLES.items():
        try:
            fmt = format_named(name)
        except KeyError:
            continue
        for line in text.splitlines():
            assert describe(fmt, line) == _reference_describe(fmt, line), (name, line)
    assert re.ASCII  # the text path's flag exists on this Python
