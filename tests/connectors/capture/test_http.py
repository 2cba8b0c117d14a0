"""The upload API: keys, limits and refusals with reasons; status from documents.status."""

from __future__ import annotations

import hashlib
import json

import pytest
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry

from connectors.capture.apikeys import ApiKeyStore
from connectors.capture.apikeys_shared import open_key_store
from connectors.capture.http import create_app
from connectors.capture.status import StatusView
from connectors.capture.testing import make_pdf, make_png, png_bomb
from inkstream.settings import load_settings


@pytest.fixture
def settings(tmp_path):
    s = load_settings(data_dir=tmp_path)
    return s.model_copy(update={
        "topics": s.topics.model_copy(update={"prefix": "unit."}),
        "capture": s.capture.model_copy(update={"max_bytes": 200_000})})


@pytest.fixture
def keys(settings):
    return open_key_store(settings)


@pytest.fixture
def api(settings, memstore, sink, keys):
    status = StatusView("unit.documents.status")
    app = create_app(settings, store=memstore, producer=sink, codec=sink.codec, keys=keys, status=status,
                     registry=CollectorRegistry())
    with TestClient(app) as client:
        client.status_view = status
        yield client


@pytest.fixture
def key(keys):
    return {"X-API-Key": keys.create("crm-button")[1]}


def upload(api, headers, data: bytes, name="contract.pdf", **fields):
    return api.post("/v1/documents", headers=headers, files={"file": (name, data, "application/pdf")},
                    data=fields)


def test_an_upload_returns_the_doc_id_and_sha256_and_is_announced(api, key, sink, memstore):
    data = make_pdf("Upload 1")
    resp = upload(api, key, data, crm_ref="006ABC", priority="high", metadata=json.dumps({"deal": "9"}))
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["sha256"] == hashlib.sha256(data).hexdigest() and body["duplicate"] is False
    [record] = sink.decoded("documents.ingested.priority")
    assert (record["doc_id"], record["crm_ref"], record["metadata"]) == (body["doc_id"], "006ABC", {"deal": "9"})
    assert record["source"] == "http" and record["source_ref"].startswith("crm-button/")
    assert memstore.get(memstore.exists(f"originals/{body['sha256'][:2]}/{body['sha256']}")) == data


def test_the_same_file_uploaded_twice_is_flagged_as_a_duplicate(api, key):
    data = make_pdf("Twice")
    first, second = upload(api, key, data).json(), upload(api, key, data).json()
    assert second["duplicate"] is True and second["duplicate_of"] == first["doc_id"]


def test_status_of_an_uploaded_document_is_served(api, key):
    doc_id = upload(api, key, make_pdf("Status")).json()["doc_id"]
    resp = api.get(f"/v1/documents/{doc_id}", headers=key)
    assert resp.status_code == 200 and resp.json()["stage"] == "ingested"
    # a later stage read from documents.status replaces it
    api.status_view.observe({"doc_id": doc_id, "stage": "ocr", "status": "done", "detail": None,
                             "occurred_at": resp.json()["updated_at"] + 1})
    assert api.get(f"/v1/documents/{doc_id}", headers=key).json()["stage"] == "ocr"


def test_an_unknown_document_is_404_with_a_reason(api, key):
    resp = api.get("/v1/documents/nope", headers=key)
    assert resp.status_code == 404 and resp.json()["reason"] == "not_found"


def test_no_key_is_401_and_a_wrong_key_is_401(api):
    assert upload(api, {}, make_pdf()).status_code == 401
    resp = upload(api, {"X-API-Key": "ink_000000000000_forged"}, make_pdf())
    assert resp.status_code == 401 and resp.json()["reason"] == "unauthenticated"


def test_a_bearer_token_is_accepted_like_the_header(api, keys):
    secret = keys.create("script")[1]
    assert upload(api, {"Authorization": f"Bearer {secret}"}, make_pdf("Bearer")).status_code == 201


def test_a_revoked_key_is_refused_at_once(api, keys):
    entry, secret = keys.create("old-scanner")
    assert upload(api, {"X-API-Key": secret}, make_pdf("Before")).status_code == 201
    assert ApiKeyStore(keys.path).revoke(entry.id)  # as `inkstream apikey revoke` would, another process
    assert upload(api, {"X-API-Key": secret}, make_pdf("After")).status_code == 401


def test_a_read_only_key_may_not_upload_and_an_ingest_only_key_may_not_read(api, keys):
    reader = {"X-API-Key": keys.create("dashboard", scopes=("read",))[1]}
    writer = {"X-API-Key": keys.create("mfp", scopes=("ingest",))[1]}
    assert upload(api, reader, make_pdf()).status_code == 403
    doc_id = upload(api, writer, make_pdf("W")).json()["doc_id"]
    resp = api.get(f"/v1/documents/{doc_id}", headers=writer)
    assert resp.status_code == 403 and resp.json()["reason"] == "forbidden"


def test_keys_are_stored_hashed_never_in_clear(keys):
    _, secret = keys.create("crm")
    on_disk = keys.path.read_text()
    assert secret not in on_disk and hashlib.sha256(secret.encode()).hexdigest() in on_disk
    assert oct(keys.path.stat().st_mode & 0o777) == "0o600"


@pytest.mark.parametrize("data,name,status,reason", [
    (b"", "empty.pdf", 422, "empty"),
    (b"PK\x03\x04 a zip pretending", "invoice.pdf", 415, "type_mismatch"),
    (b"GIF89a....", "logo.gif", 415, "unsupported_type"),
    (make_pdf(owner_password="o", user_password="u"), "locked.pdf", 422, "encrypted"),
    (make_pdf()[:300], "cut.pdf", 422, "corrupt"),
    (png_bomb(), "bomb.png", 422, "decompression_bomb"),
])
def test_each_bad_file_is_refused_with_its_status_and_reason(api, key, sink, memstore, data, name, status, reason):
    resp = upload(api, key, data, name=name)
    assert (resp.status_code, resp.json()["reason"]) == (status, reason)
    assert name in resp.json()["detail"]
    assert sink.records == [] and memstore.versions == {}


def test_a_file_over_the_limit_is_cut_off_with_413(api, key, settings):
    resp = upload(api, key, b"%PDF-1.7\n" + b"0" * 300_000)
    assert resp.status_code == 413 and resp.json()["reason"] == "too_large"
    uploads = settings.data_dir / "capture" / "uploads"
    assert not uploads.exists() or list(uploads.iterdir()) == []  # no temp file left behind


def test_a_declared_length_over_the_limit_is_refused_before_reading(api, key):
    resp = api.post("/v1/documents", headers={**key, "Content-Length": "999999999",
                                              "Content-Type": "multipart/form-data; boundary=x"},
                    content=b"--x--\r\n")
    assert resp.status_code == 413


def test_bad_metadata_or_priority_or_missing_file_is_422(api, key):
    assert upload(api, key, make_png(), name="a.png", metadata="{not json").json()["reason"] == "invalid_metadata"
    assert upload(api, key, make_png(), name="b.png", metadata='{"n": 1}').json()["reason"] == "invalid_metadata"
    assert upload(api, key, make_png(), name="c.png", priority="asap").json()["reason"] == "invalid_priority"
    resp = api.post("/v1/documents", headers=key, data={"crm_ref": "x"}, files={"other": ("x", b"1")})
    assert resp.status_code == 422


def test_a_body_that_is_not_multipart_is_422(api, key):
    resp = api.post("/v1/documents", headers=key, content=b"%PDF-1.7", )
    assert resp.status_code == 422 and resp.json()["reason"] == "invalid_form"


def test_openapi_describes_the_upload_form_and_refusals(api):
    spec = api.get("/openapi.json").json()
    post = spec["paths"]["/v1/documents"]["post"]
    assert "file" in post["requestBody"]["content"]["multipart/form-data"]["schema"]["properties"]
    assert {"401", "403", "413", "415", "422"} <= set(post["responses"])


def test_metrics_are_served_without_pii(api, key):
    upload(api, key, make_pdf("Metric"), name="jane.doe@example.com.pdf")
    text = api.get("/metrics/").text
    assert 'inkstream_ingest_documents_total{outcome="ingested",source="http"} 1.0' in text
    assert "jane" not in text


def test_an_unreachable_store_is_a_503_with_retry_after(settings, sink, keys):
    from inkstream.errors import ObjectStoreError

    class DownStore:
        def put_if_absent(self, *a, **kw):
            raise ObjectStoreError("put originals/..: connection refused")

    app = create_app(settings, store=DownStore(), producer=sink, codec=sink.codec, keys=keys,
                     status=StatusView("unit.documents.status"), registry=CollectorRegistry())
    with TestClient(app) as client:
        resp = upload(client, {"X-API-Key": keys.create("s")[1]}, make_pdf("Down"))
    assert resp.status_code == 503 and resp.headers["Retry-After"] == "5"
    assert resp.json()["reason"] == "unavailable" and sink.records == []
