"""The key ring, envelope sealing and destroyable per-document keys (inkstream/crypto)."""

from __future__ import annotations

import multiprocessing as mp
import stat

import pytest
from hypothesis import given, settings as hsettings, strategies as st

from inkstream.crypto import DocumentKeys, KeyDestroyed, LocalKeyRing, is_sealed, seal, unseal
from inkstream.crypto.envelope import kek_id_of
from inkstream.crypto.keyring import KeyUnavailable


def test_the_key_file_is_created_owner_only_and_never_holds_a_data_key(tmp_path):
    ring = LocalKeyRing(tmp_path / "keys" / "keyring.json")
    blob = seal(ring, b"contract text", context="originals/ab/abc")
    assert stat.S_IMODE(ring.path.stat().st_mode) == 0o600
    assert b"contract text" not in blob and is_sealed(blob)
    assert unseal(ring, blob, context="originals/ab/abc") == b"contract text"


def test_rotation_seals_new_blobs_with_the_new_key_and_still_opens_old_ones(tmp_path):
    ring = LocalKeyRing(tmp_path / "keyring.json")
    old = seal(ring, b"before", context="k")
    first = ring.current
    second = ring.rotate()
    new = seal(ring, b"after", context="k")
    assert (kek_id_of(old), kek_id_of(new)) == (first, second) and first != second
    # a process that loaded the ring before the rotation still opens the new blob
    assert unseal(LocalKeyRing(ring.path), old, context="k") == b"before"
    assert unseal(ring, new, context="k") == b"after"
    assert [k for k, _, current in ring.keys() if current] == [second]


def test_a_blob_moved_to_another_name_or_altered_does_not_open(tmp_path):
    ring = LocalKeyRing(tmp_path / "keyring.json")
    blob = seal(ring, b"x" * 100, context="originals/a")
    with pytest.raises(KeyUnavailable):
        unseal(ring, blob, context="originals/b")
    flipped = blob[:-1] + bytes([blob[-1] ^ 1])
    with pytest.raises(KeyUnavailable):
        unseal(ring, flipped, context="originals/a")


@hsettings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_damaged_blobs_only_ever_raise_key_unavailable(tmp_path_factory, data):
    ring = LocalKeyRing(tmp_path_factory.getbasetemp() / "fuzz-keyring.json")
    with pytest.raises(KeyUnavailable):
        unseal(ring, b"INKE1" + data, context="c")


def _rotate(path):
    return LocalKeyRing(path).rotate()


def test_concurrent_rotations_keep_every_key(tmp_path):
    path = tmp_path / "keyring.json"
    assert LocalKeyRing(path).current  # the ring exists before the racing rotations
    with mp.get_context("spawn").Pool(4) as pool:
        made = pool.map(_rotate, [path] * 8)
    kept = {k for k, _, _ in LocalKeyRing(path).keys()}
    assert set(made) <= kept and len(kept) == 9


def test_a_destroyed_document_key_makes_its_data_unreadable_for_good(tmp_path):
    ring = LocalKeyRing(tmp_path / "keyring.json")
    keys = DocumentKeys(tmp_path / "docs", ring)
    blob = keys.encrypt("doc-1", b"Jane Roe <jane@example.com>", aad=b"ocr.results")
    other = keys.encrypt("doc-2", b"someone else", aad=b"ocr.results")
    assert keys.decrypt("doc-1", blob, aad=b"ocr.results") == b"Jane Roe <jane@example.com>"
    assert keys.destroy("doc-1") is True
    with pytest.raises(KeyDestroyed):
        keys.decrypt("doc-1", blob, aad=b"ocr.results")
    with pytest.raises(KeyDestroyed):  # no fresh key is ever made for an erased document
        keys.encrypt("doc-1", b"new", aad=b"")
    # another process (fresh cache) cannot read it either; other documents are untouched
    fresh = DocumentKeys(tmp_path / "docs", LocalKeyRing(ring.path))
    with pytest.raises(KeyDestroyed):
        fresh.decrypt("doc-1", blob, aad=b"ocr.results")
    assert fresh.decrypt("doc-2", other, aad=b"ocr.results") == b"someone else"
    assert not any(b"Jane" in p.read_bytes() for p in (tmp_path / "docs").rglob("*") if p.is_file())


def test_a_destruction_reaches_a_process_with_a_cached_key_within_the_cache_time(tmp_path):
    ring = LocalKeyRing(tmp_path / "keyring.json")
    reader = DocumentKeys(tmp_path / "docs", ring, cache_seconds=0.0)
    eraser = DocumentKeys(tmp_path / "docs", ring)
    blob = reader.encrypt("doc-9", b"x")
    eraser.destroy("doc-9")
    with pytest.raises(KeyDestroyed):
        reader.decrypt("doc-9", blob)


def test_document_ids_cannot_escape_the_key_directory(tmp_path):
    keys = DocumentKeys(tmp_path / "docs", LocalKeyRing(tmp_path / "keyring.json"))
    for bad in ("../etc/passwd", "a/b", "", ".hidden"):
        with pytest.raises(KeyUnavailable):
            keys.key(bad)
