"""``GET /v1/documents/{id}`` answers a key only about its own source's uploads (an
``admin`` key about any), through the real app on real Kafka and S3 with sealed records,
and a status view rebuilt from the topics enforces the same."""

from __future__ import annotations

import time
import uuid

import pytest
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry

from connectors.capture.apikeys_shared import open_key_store
from connectors.capture.document import CapturedDocument
from connectors.capture.http import create_app
from connectors.capture.ingest import ingest
from connectors.capture.sink import KafkaRecordSink
from connectors.capture.status import StatusView
from connectors.capture.testing import make_pdf
from connectors.objectstore import open_store
from schemas.sealing import document_keys
from schemas.codec import Codec

pytestmark = pytest.mark.stack

TOPICS = ("documents.ingested", "documents.ingested.priority", "documents.status")


@pytest.fixture
def stack(settings, tmp_path, kafka_topics):
    crypto = settings.crypto.model_copy(update={"document_keys_dir": tmp_path / "documents",
                                                "keyring_file": tmp_path / "keyring.json",
                                                "encrypt_records": True})
    s = settings.model_copy(update={"data_dir": tmp_path / "data", "crypto": crypto})
    kafka_topics(s, TOPICS)
    producer = KafkaRecordSink.from_settings(s)
    yield s, open_store(s), producer
    producer.close()


@pytest.fixture
def keys(stack):
    store = open_key_store(stack[0])
    return {name: {"X-API-Key": store.create(source, scopes=scopes)[1]} for name, source, scopes in (
        ("a", "crm-a", ("ingest", "read")), ("a_rotated", "crm-a", ("read",)),
        ("b", "crm-b", ("ingest", "read")), ("admin", "ops", ("read", "admin")))}


def _api(stack, view: StatusView) -> TestClient:
    settings, store, producer = stack
    return TestClient(create_app(settings, store=store, producer=producer, keys=open_key_store(settings),
                                 status=view, registry=CollectorRegistry()))


def _upload(api, key, priority="normal") -> str:
    resp = api.post("/v1/documents", headers=key, data={"priority": priority},
                    files={"file": ("c.pdf", make_pdf(f"Scoped {uuid.uuid4()}"), "application/pdf")})
    assert resp.status_code == 201, resp.text
    return resp.json()["doc_id"]


def _unknown_id_answer(api, key, doc_id: str) -> tuple[int, dict]:
    """What ``key`` gets for an id nobody uploaded, with ``doc_id`` put in its place."""
    random_id = uuid.uuid4().hex
    resp = api.get(f"/v1/documents/{random_id}", headers=key)
    return resp.status_code, {k: v.replace(random_id, doc_id) for k, v in resp.json().items()}


def _answer(api, key, doc_id: str) -> tuple[int, dict]:
    resp = api.get(f"/v1/documents/{doc_id}", headers=key)
    return resp.status_code, resp.json()


def _wait(predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError("not met in time")


def _assert_scoped(api, keys, a_docs: list[str], b_docs: list[str]) -> None:
    for mine, others in ((keys["a"], b_docs), (keys["a_rotated"], b_docs), (keys["b"], a_docs)):
        for doc_id in others:
            status, body = _answer(api, mine, doc_id)
            assert (status, body) == _unknown_id_answer(api, mine, doc_id)
            assert status == 404 and body["reason"] == "not_found"
    for doc_id in a_docs:
        assert _answer(api, keys["a"], doc_id)[0] == 200
        assert _answer(api, keys["a_rotated"], doc_id)[0] == 200  # a key speaks for its source
    for doc_id in b_docs:
        assert _answer(api, keys["b"], doc_id)[0] == 200
    for doc_id in a_docs + b_docs:
        status, body = _answer(api, keys["admin"], doc_id)
        assert status == 200 and body["doc_id"] == doc_id and body["stage"] == "ingested"


def test_a_read_key_sees_its_own_sources_documents_and_another_sources_are_the_unknown_id_404(stack, keys):
    view = StatusView.from_settings(stack[0], Codec.from_settings(stack[0])).start()
    try:
        with _api(stack, view) as api:
            a_docs = [_upload(api, keys["a"]), _upload(api, keys["a"], "high")]
            b_docs = [_upload(api, keys["b"])]
            # Read-your-writes: answered at once from what the upload observed.
            _assert_scoped(api, keys, a_docs, b_docs)
    finally:
        view.stop()


def test_a_status_view_rebuilt_from_the_topics_enforces_the_same_scoping(stack, keys):
    settings, store, producer = stack
    first = StatusView(settings.topics.name("documents.status"))  # no consumer: forgets everything
    with _api(stack, first) as api:
        a_docs = [_upload(api, keys["a"]), _upload(api, keys["a"], "high")]
        b_docs = [_upload(api, keys["b"], "high")]

    # A new process's view: all it knows comes from reading the three topics from offset 0.
    rebuilt = StatusView.from_settings(settings, Codec.from_settings(settings)).start()
    try:
        _wait(lambda: all(rebuilt.get(d) and rebuilt.owner(d) for d in a_docs + b_docs))
        assert {rebuilt.owner(d)[1].split("/")[0] for d in a_docs} == {"crm-a"}
        assert rebuilt.owner(b_docs[0])[0] == "http" and rebuilt.owner(b_docs[0])[1].startswith("crm-b/")
        with _api(stack, rebuilt) as api:
            _assert_scoped(api, keys, a_docs, b_docs)
    finally:
        rebuilt.stop()


def test_documents_of_other_capture_sources_or_erased_ones_are_admin_only(stack, keys):
    settings, store, producer = stack
    with _api(stack, StatusView(settings.topics.name("documents.status"))) as api:
        erased, kept = _upload(api, keys["a"]), _upload(api, keys["a"])
    # A hot-folder document whose source_ref happens to look like crm-a's: not crm-a's upload.
    folder = ingest(CapturedDocument(source="folder", filename="f.pdf", data=make_pdf(f"F {uuid.uuid4()}"),
                                     source_ref="crm-a/dropped"), store=store, producer=producer,
                    settings=settings, codec=Codec.from_settings(settings)).doc_id
    document_keys(settings).destroy(erased)

    rebuilt = StatusView.from_settings(settings, Codec.from_settings(settings)).start()
    try:
        _wait(lambda: rebuilt.owner(folder) is not None and rebuilt.owner(kept) is not None)
        assert rebuilt.owner(erased) is None  # its ingested record no longer opens: forgotten
        assert rebuilt.owner(folder) == ("folder", "crm-a/dropped")
        with _api(stack, rebuilt) as api:
            _wait(lambda: _answer(api, keys["admin"], folder)[0] == 200)
            assert _answer(api, keys["a"], folder) == _unknown_id_answer(api, keys["a"], folder)
            assert _answer(api, keys["a"], kept)[0] == 200
    finally:
        rebuilt.stop()


def test_the_view_keeps_only_the_owner_strings_not_the_ingested_records(stack, keys):
    settings, *_ = stack
    with _api(stack, StatusView(settings.topics.name("documents.status"))) as api:
        doc_id = _upload(api, keys["a"])
    rebuilt = StatusView.from_settings(settings, Codec.from_settings(settings)).start()
    try:
        _wait(lambda: rebuilt.owner(doc_id) is not None)
        owner = rebuilt.owner(doc_id)
        assert isinstance(owner, tuple) and len(owner) == 2 and all(isinstance(p, str) for p in owner)
        assert owner[0] == "http" and owner[1].startswith("crm-a/")
    finally:
        rebuilt.stop()
