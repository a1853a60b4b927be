"""File identity: inode plus a fingerprint of the head, for plain and gzip files."""

from __future__ import annotations

import gzip
import os

from logingest_dagster.engine.plan.identity import (
    FINGERPRINT_BYTES,
    FileIdentity,
    fingerprint_of,
    identify,
    read_head,
    try_read_head,
)


def _identity(path) -> FileIdentity:
    st = os.stat(path)
    return identify(str(path), st.st_dev, st.st_ino)


def test_fingerprint_covers_at_most_the_first_kilobyte_and_records_its_length(tmp_path):
    small, big = tmp_path / "small.log", tmp_path / "big.log"
    small.write_bytes(b"x" * 10)
    big.write_bytes(b"y" * 5000)
    assert _identity(small).fingerprint.length == 10
    assert _identity(big).fingerprint.length == FINGERPRINT_BYTES
    assert len(read_head(str(big))) == FINGERPRINT_BYTES


def test_a_growing_small_file_still_matches_its_old_fingerprint(tmp_path):
    path = tmp_path / "app.log"
    path.write_bytes(b"first line\n")
    before = _identity(path).fingerprint
    with open(path, "ab") as f:
        f.write(b"more\n" * 500)
    head = read_head(str(path))
    assert before.matches(head)
    assert fingerprint_of(head).length == FINGERPRINT_BYTES  # and the new one covers more


def test_a_changed_or_shorter_head_does_not_match(tmp_path):
    path = tmp_path / "app.log"
    path.write_bytes(b"original content\n" * 100)
    before = _identity(path).fingerprint
    path.write_bytes(b"Original content\n" * 100)  # one byte differs
    assert not before.matches(read_head(str(path)))
    path.write_bytes(b"original")  # truncated below the fingerprinted length
    assert not before.matches(read_head(str(path)))


def test_two_files_with_the_same_first_bytes_are_two_identities(tmp_path):
    a, b = tmp_path / "a.log", tmp_path / "b.log"
    a.write_bytes(b"same banner\n" * 200)
    b.write_bytes(b"same banner\n" * 200 + b"different later\n")
    ia, ib = _identity(a), _identity(b)
    assert ia.fingerprint == ib.fingerprint
    assert ia != ib and (ia.dev, ia.inode) != (ib.dev, ib.inode)


def test_gzip_is_fingerprinted_on_its_decompressed_head(tmp_path):
    plain, packed = tmp_path / "app.log", tmp_path / "app.log.1.gz"
    content = b"".join(b"line %d of the log\n" % i for i in range(300))
    plain.write_bytes(content)
    packed.write_bytes(gzip.compress(content))
    assert read_head(str(packed), compressed=True) == content[:FINGERPRINT_BYTES]
    st = os.stat(packed)
    packed_identity = identify(str(packed), st.st_dev, st.st_ino, compressed=True)
    assert packed_identity.fingerprint == _identity(plain).fingerprint


def test_unreadable_or_damaged_files_have_no_head(tmp_path):
    assert try_read_head(str(tmp_path / "gone.log")) is None
    damaged = tmp_path / "bad.gz"
    damaged.write_bytes(b"not gzip at all")
    assert try_read_head(str(damaged), compressed=True) is None
    unfinished = tmp_path / "half.gz"
    unfinished.write_bytes(gzip.compress(b"x" * 10_000)[:20])
    assert try_read_head(str(unfinished), compressed=True) is None


def test_an_unreadable_file_gets_the_empty_fingerprint_which_never_rejects(tmp_path):
    identity = identify(str(tmp_path / "gone.log"), 1, 2)
    assert identity.fingerprint.length == 0
    assert identity.fingerprint.matches(b"anything at all")
