"""End to end with encryption at rest: an HTTP upload, with the stores production builds
(``open_store``), lands in S3 as an envelope, and the OCR processor reads the document."""

from __future__ import annotations

import hashlib
import uuid

import pytest
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry

from connectors.capture.apikeys import ApiKeyStore
from connectors.capture.http import create_app
from connectors.capture.ingest import original_key
from connectors.capture.testing import make_pdf
from connectors.objectstore import ObjectRef, open_store
from inkstream.crypto import LocalKeyRing, is_sealed
from inkstream.crypto.envelope import kek_id_of
from inkstream.settings import OcrSettings

pytestmark = pytest.mark.stack


def _create_topics(settings, *logical: str) -> None:
    """Only the topics this test uses (ensure_topics would make ~30)."""
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": settings.kafka.bootstrap})
    futures = admin.create_topics([NewTopic(settings.topics.name(t), num_partitions=1, replication_factor=1)
                                   for t in logical])
    for fut in futures.values():
        fut.result(timeout=30)


def test_an_upload_is_stored_sealed_and_ocr_reads_the_document(settings, tmp_path):
    from streams.ocr.processor import INPUT_BULK, factory
    from streams.ocr.reader import DocumentReader
    from schemas.records import envelope
    from streams.runtime.testing import run_processor

    crypto = settings.crypto.model_copy(update={"keyring_file": tmp_path / "keyring.json", "encrypt_objects": True})
    settings = settings.model_copy(update={"crypto": crypto, "data_dir": tmp_path / "data"})
    _create_topics(settings, "documents.ingested", "documents.ingested.priority", "documents.status")
    keys = ApiKeyStore(tmp_path / "apikeys.json")
    data = make_pdf(f"Sealed upload {uuid.uuid4()} total EUR 1,234.56")
    sha = hashlib.sha256(data).hexdigest()
    # store, producer and status left out: the app builds them as in production
    with TestClient(create_app(settings, keys=keys, registry=CollectorRegistry())) as client:
        resp = client.post("/v1/documents", headers={"X-API-Key": keys.create("tests")[1]},
                           files={"file": ("sealed.pdf", data, "application/pdf")})
    assert resp.status_code == 201, resp.text
    assert resp.json()["sha256"] == sha

    store = open_store(settings, ensure_bucket=False)
    raw = store.inner
    try:
        found, meta = raw.stat(original_key(sha))  # what the server holds, unopened
        stored = raw.get(found)
        assert is_sealed(stored) and b"Sealed upload" not in stored and data not in stored
        current = LocalKeyRing(tmp_path / "keyring.json").current
        assert kek_id_of(stored) == meta["kek-id"] == current
        ref, _ = store.stat(original_key(sha))
        assert (ref.sha256, ref.size_bytes) == (sha, len(data))

        record = {**envelope("doc-sealed", producer="capture.http"), "source": "http", "source_ref": None,
                  "filename": "sealed.pdf", "original": ref.to_record(), "duplicate_of": None,
                  "priority": "normal", "crm_ref": None, "email": None, "metadata": {}}
        reader = DocumentReader.from_settings(OcrSettings(engine="rapidocr", dpi=150, max_pages=5, threads=1))
        run = run_processor(factory(settings, reader=reader), [(INPUT_BULK, record)])  # store: open_store
        assert run.dead == []
        [out] = run.on("ocr.results")
        assert "1,234.56" in "\n".join(line["text"] for page in out["pages"] for line in page["lines"])
        assert out["original"]["sha256"] == sha
    finally:
        for version in raw.versions(original_key(sha)):
            raw.discard(ObjectRef(raw.bucket, original_key(sha), version, sha, len(data), "application/pdf"))
