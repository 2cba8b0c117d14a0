"""On the real S3 server (versioned bucket): a document whose original is already stored,
sealed under a key ring this deployment no longer has, is stored again as a new version and
reads back; the old version stays as it was. The unit tests of the same logic (no stack):
``test_ingest_unreadable_original.py``."""

from __future__ import annotations

import hashlib
import uuid

import pytest

from connectors.capture import CapturedDocument
from connectors.capture.ingest import ingest, original_key
from connectors.capture.testing import ListSink, make_pdf
from connectors.objectstore import open_store
from inkstream.crypto.envelope import kek_id_of
from inkstream.errors import ObjectUnreadable

pytestmark = pytest.mark.stack


def _with_ring(settings, path):
    crypto = settings.crypto.model_copy(update={"keyring_file": path, "encrypt_objects": True})
    return settings.model_copy(update={"crypto": crypto})


def test_a_resend_after_the_key_ring_changed_is_stored_again_and_opens_on_real_s3(base_settings, codec, tmp_path):
    settings = base_settings  # S3 only: the records go to a list
    data = make_pdf(f"Sealed under a key ring that is lost {uuid.uuid4()}")
    sha = hashlib.sha256(data).hexdigest()
    key = original_key(sha)
    old = open_store(_with_ring(settings, tmp_path / "old" / "keyring.json"))
    new = open_store(_with_ring(settings, tmp_path / "new" / "keyring.json"), ensure_bucket=False)
    sink = ListSink(codec)
    try:
        first = ingest(CapturedDocument(source="http", filename="a.pdf", data=data), store=old, producer=sink,
                       settings=settings, codec=codec)
        with pytest.raises(ObjectUnreadable):
            new.get(first.original)
        again = ingest(CapturedDocument(source="http", filename="a.pdf", data=data), store=new, producer=sink,
                       settings=settings, codec=codec)
        assert (again.duplicate, again.duplicate_of, again.stored_again) == (False, None, "key_unavailable")
        assert new.get(again.original) == data
        # Two versions on the server: the old one still opens with the old ring, untouched.
        assert new.versions(key) == [again.original.version_id, first.original.version_id]
        assert old.get(first.original) == data
        assert kek_id_of(new.inner.get(again.original)) != kek_id_of(new.inner.get(first.original))
        found, meta = new.stat(key)
        assert found.version_id == again.original.version_id and meta["doc-id"] == again.doc_id
        assert meta["replaces-version"] == first.original.version_id
        # The next copy is a plain duplicate of the readable one: no third version.
        third = ingest(CapturedDocument(source="cli", filename="a.pdf", data=data), store=new, producer=sink,
                       settings=settings, codec=codec)
        assert (third.duplicate, third.duplicate_of) == (True, again.doc_id)
        assert len(new.versions(key)) == 2
    finally:
        for version in new.versions(key):
            new.inner._client.remove_object(new.bucket, key, version_id=version)
