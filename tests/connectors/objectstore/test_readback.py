"""``stored_once``: content-addressed writers (CRM-started signatures, signed files) reuse the
object at their key only when it reads back; otherwise they store their bytes again as a new
version, the old one kept. No stack: the sealed store over a versioned dict."""

from __future__ import annotations

import hashlib

import pytest

from connectors.objectstore.readback import stored_once, unusable
from connectors.objectstore.sealed import SealedObjectStore
from connectors.objectstore.testing import VersionedMemoryStore as Versioned
from inkstream.crypto import LocalKeyRing
from inkstream.errors import ObjectStoreError

PDF = b"%PDF-1.7 contract to sign\n%%EOF\n"
KEY = "originals/ab/" + hashlib.sha256(PDF).hexdigest()


def test_an_object_sealed_under_a_lost_key_ring_is_stored_again_and_the_old_version_kept(tmp_path):
    raw = Versioned()
    old = SealedObjectStore(raw, LocalKeyRing(tmp_path / "old.json"))
    new = SealedObjectStore(raw, LocalKeyRing(tmp_path / "new.json"))
    first = stored_once(old, KEY, PDF, content_type="application/pdf", metadata={"source": "crm.hubspot"})
    assert unusable(new, first, hashlib.sha256(PDF).hexdigest()) == "key_unavailable"

    again = stored_once(new, KEY, PDF, content_type="application/pdf", metadata={"source": "crm.hubspot"})
    assert again.version_id == "v2" and new.get(again) == PDF and old.get(first) == PDF
    meta = raw.versions[KEY][1][1]
    assert (meta["replaces-version"], meta["stored-again"], meta["source"]) == ("v1", "key_unavailable", "crm.hubspot")
    # Readable now: reused, nothing stored.
    assert stored_once(new, KEY, PDF, content_type="application/pdf").version_id == "v2"
    assert len(raw.versions[KEY]) == 2


def test_a_readable_object_is_reused_and_other_bytes_at_the_address_are_not(tmp_path):
    raw = Versioned()
    store = SealedObjectStore(raw, LocalKeyRing(tmp_path / "ring.json"))
    first = stored_once(store, KEY, PDF, content_type="application/pdf")
    assert stored_once(store, KEY, PDF, content_type="application/pdf") == first and len(raw.versions[KEY]) == 1
    raw.put("plain", b"not the contract", content_type="application/pdf")  # an unsealed object with other bytes
    replaced = stored_once(raw, "plain", PDF, content_type="application/pdf")
    assert raw.get(replaced) == PDF and raw.versions["plain"][1][1]["stored-again"] == "digest_mismatch"


def test_an_s3_failure_while_reading_back_is_raised(tmp_path, monkeypatch):
    raw = Versioned()
    store = SealedObjectStore(raw, LocalKeyRing(tmp_path / "ring.json"))
    stored_once(store, KEY, PDF, content_type="application/pdf")

    def down(ref):
        raise ObjectStoreError("get: connection reset")

    monkeypatch.setattr(raw, "get", down)
    with pytest.raises(ObjectStoreError, match="connection reset"):
        stored_once(store, KEY, PDF, content_type="application/pdf")
    assert len(raw.versions[KEY]) == 1
