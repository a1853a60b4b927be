"""UTF-16 logs with a byte order mark (issue 12 case 9), as Windows tools write them: decoded and
counted exactly as the same text written UTF-8, with offsets still in the file's own bytes.

Each test writes the same lines UTF-8, UTF-16 LE (`FF FE`) and UTF-16 BE (`FE FF`) and compares
what the scan gives for each; a file without a BOM stays binary.
"""

from __future__ import annotations

import codecs
import gzip

import pytest

from logingest_dagster.engine.scan import BatchScan, ScanOptions, ScanRequest
from logingest_dagster.engine.scan.range_scanner import MAX_LINE_BYTES, scan_range
from logingest_dagster.engine.scan.result import (
    DEFAULT_CHUNK_SIZE,
    DETECTION_VERSION,
    format_name_from_key,
)

ENCODINGS = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE}
# Non-ASCII text, a character outside the BMP (a surrogate pair in UTF-16) and CRLF endings.
LINES = (
    "2026-11-26 10:00:00,000 INFO [main] x - café crème {i}\n",
    "2026-11-26 10:00:01,000 ERROR [main] org.example.Svc - boom 🚀 {i}\n",
    "\tat org.example.Svc.run(Svc.java:{i})\n",
    "2026-11-26 10:00:02,000 WARN [worker-1] x - disk at {i}%\r\n",
)
OPTIONS = ScanOptions(max_events=1000, min_level="TRACE", minute_counts=True)


def text(n: int) -> str:
    return "".join(LINES[i % len(LINES)].format(i=i) for i in range(n))


def write(path, content: str, encoding: str) -> bytes:
    data = content.encode("utf-8")
    if encoding != "utf-8":
        data = ENCODINGS[encoding] + content.encode(encoding)
    path.write_bytes(data)
    return data


def seen(result) -> tuple:
    """What must not depend on the file's encoding: counts, lines, format, events."""
    events = [
        (e.line_number, e.level, e.time, e.logger, e.message, e.record, e.truncated)
        for e in result.events
    ]
    return (
        result.error,
        result.counts,
        result.lines,
        result.format,
        result.minute_counts,
        events,
    )


@pytest.fixture
def written(tmp_path):
    """The same 40 lines in each encoding: {encoding: path}."""
    paths = {}
    for encoding in ("utf-8", *ENCODINGS):
        paths[encoding] = tmp_path / f"{encoding}.log"
        write(paths[encoding], text(40), encoding)
    return paths


@pytest.mark.parametrize("encoding", list(ENCODINGS))
def test_utf16_with_a_bom_counts_and_describes_as_its_utf8_text(written, encoding):
    utf8 = scan_range(str(written["utf-8"]), options=OPTIONS)
    utf16 = scan_range(str(written[encoding]), options=OPTIONS)
    assert utf8.error is None and utf8.records == 30
    assert seen(utf16) == seen(utf8)
    assert utf16.encoding == encoding and utf8.encoding is None
    # Its figures are in the file's bytes, as offsets are: file_stats.bytes is its size.
    assert utf16.bytes_read == written[encoding].stat().st_size


@pytest.mark.parametrize("encoding", list(ENCODINGS))
def test_utf16_offsets_are_the_file_bytes(written, encoding):
    """The read ends at the file's end (not the text's), and each event's offset is where its
    line starts in the file."""
    data = written[encoding].read_bytes()
    result = scan_range(str(written[encoding]), options=OPTIONS)
    assert result.end == len(data)
    lines = data[2:].decode(encoding).splitlines(keepends=True)
    starts = [2]
    for line in lines:
        starts.append(starts[-1] + len(line.encode(encoding)))
    assert [e.offset for e in result.events] == [starts[e.line_number - 1] for e in result.events]


@pytest.mark.parametrize("encoding", list(ENCODINGS))
def test_utf16_read_resumes_at_a_stored_offset(written, encoding):
    """A second read from where the first stopped, with the format key it stored (no head
    read), counts the rest once."""
    path = written[encoding]
    whole = scan_range(str(path), options=OPTIONS)
    data = path.read_bytes()
    cut = 2 + len(text(21).encode(encoding))
    first = scan_range(str(path), 0, cut, options=OPTIONS)
    assert first.end == cut and first.lines == 21
    key = f"{DETECTION_VERSION}/{first.format};{encoding}"  # as the offset store keeps it
    [second] = BatchScan([ScanRequest(str(path), cut, len(data), format_key=key)], workers=1)
    assert second.error is None and second.end == len(data)
    assert {k: first.counts[k] + second.counts[k] for k in whole.counts} == whole.counts
    assert first.bytes_read + second.bytes_read == whole.bytes_read


@pytest.mark.parametrize("encoding", list(ENCODINGS))
def test_utf16_stores_its_encoding_with_its_format(tmp_path, encoding):
    path = tmp_path / "long.log"
    write(path, text(200), encoding)  # enough lines to settle the format
    result = scan_range(str(path))
    assert result.format_key == f"{DETECTION_VERSION}/{result.format};{encoding}"
    assert format_name_from_key(result.format_key) == result.format == "bracket_column2"


@pytest.mark.parametrize("encoding", list(ENCODINGS))
def test_utf16_partial_last_line_and_odd_byte_wait_for_the_next_read(tmp_path, encoding):
    """A last line without its newline waits (not final); quiet (final), it is counted but an odd
    trailing byte (half a code unit) is left, so the next read starts on a code unit."""
    path = tmp_path / "app.log"
    data = write(path, text(3), encoding)
    partial = "2026-11-26 10:00:03,000 FATAL [main] x - last".encode(encoding)
    path.write_bytes(data + partial + b"\x00")
    waiting = scan_range(str(path), final=False)
    assert (waiting.end, waiting.lines) == (len(data), 3)
    quiet = scan_range(str(path), final=True)
    assert quiet.end == len(data) + len(partial)  # the odd byte is not consumed
    assert quiet.counts["FATAL"] == 1 and quiet.lines == 4


@pytest.mark.parametrize("encoding", list(ENCODINGS))
def test_utf16_without_a_bom_stays_binary(tmp_path, encoding):
    """No cheap, certain signal tells UTF-16 text without a BOM from binary data: it is skipped
    as before."""
    path = tmp_path / "nobom.log"
    path.write_bytes(text(5).encode(encoding))
    result = scan_range(str(path))
    assert result.error and "binary" in result.error
    assert (result.records, result.end) == (0, 0)


@pytest.mark.parametrize("encoding", list(ENCODINGS))
def test_utf16_over_long_line_is_counted_once(tmp_path, encoding):
    # Longer than a read's chunk in either encoding, so neither read holds it whole.
    body = "y" * (DEFAULT_CHUNK_SIZE + 2 * MAX_LINE_BYTES)
    long_line = "2026-11-26 10:00:00,000 ERROR [main] x - " + body + "\n"
    content = LINES[0].format(i=0) + long_line + LINES[3].format(i=1)
    for name in ("utf-8", encoding):
        write(tmp_path / f"{name}.log", content, name)
    utf8 = scan_range(str(tmp_path / "utf-8.log"), options=OPTIONS)
    utf16 = scan_range(str(tmp_path / f"{encoding}.log"), options=OPTIONS)
    assert utf8.long_lines == utf16.long_lines == 1
    assert seen(utf16) == seen(utf8)
    assert utf16.end == (tmp_path / f"{encoding}.log").stat().st_size


@pytest.mark.parametrize("encoding", list(ENCODINGS))
def test_a_large_utf16_file_is_read_whole_not_split_at_utf8_newlines(tmp_path, encoding):
    """A range large enough to split is scanned as one piece: cuts are made at `\\n` bytes, which
    in UTF-16 may fall inside a code unit."""
    for name in ("utf-8", encoding):
        write(tmp_path / f"{name}.log", text(3000), name)
    split = {"split_bytes": 1 << 14, "split_piece": 1 << 12}
    [utf8] = BatchScan([str(tmp_path / "utf-8.log")], workers=2, **split)
    [utf16] = BatchScan([str(tmp_path / f"{encoding}.log")], workers=2, **split)
    assert (utf16.error, utf16.counts, utf16.lines) == (None, utf8.counts, utf8.lines)


@pytest.mark.parametrize("encoding", list(ENCODINGS))
def test_a_gzipped_utf16_file_is_decoded(tmp_path, encoding):
    plain = tmp_path / "app.log"
    write(plain, text(12), "utf-8")
    packed = tmp_path / "app.log.1.gz"
    with gzip.open(packed, "wb") as f:
        f.write(ENCODINGS[encoding] + text(12).encode(encoding))
    utf8 = scan_range(str(plain), options=OPTIONS)
    utf16 = scan_range(str(packed), compressed=True, options=OPTIONS)
    assert seen(utf16) == seen(utf8)
