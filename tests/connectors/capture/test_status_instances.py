"""``GET /v1/documents/{id}`` from any of N upload API instances: two apps, each with a data
dir and a status view of its own (its own consumer of ``documents.status`` and
``documents.ingested``), on one broker and one S3. An upload taken by A is answered by B
(status and ownership both come from Kafka, not from the instance that took it)."""

from __future__ import annotations

import time
import uuid

import pytest
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry

from connectors.capture.apikeys import ApiKeyStore
from connectors.capture.http import create_app
from connectors.capture.sink import KafkaRecordSink
from connectors.capture.status import StatusView
from connectors.capture.testing import make_pdf
from connectors.objectstore import open_store
from schemas.records import envelope
from schemas.codec import Codec

pytestmark = pytest.mark.stack

TOPICS = {"documents.ingested": 2, "documents.ingested.priority": 1, "documents.status": 3}


@pytest.fixture
def two_apis(settings, tmp_path, kafka_topics):
    # Document keys stay where both reach them (the key service's business, issue 13 item 1).
    crypto = settings.crypto.model_copy(update={"document_keys_dir": tmp_path / "documents",
                                                "keyring_file": tmp_path / "keyring.json"})
    base = settings.model_copy(update={"crypto": crypto})
    kafka_topics(base, TOPICS)
    keys = ApiKeyStore(tmp_path / "apikeys.json")
    made, clients = [], []
    for host in ("a", "b"):
        s = base.model_copy(update={"data_dir": tmp_path / f"host-{host}"})
        producer, view = KafkaRecordSink.from_settings(s), StatusView.from_settings(s, Codec.from_settings(s)).start()
        made.append((producer, view))
        clients.append(TestClient(create_app(s, store=open_store(s), producer=producer, keys=keys, status=view,
                                             registry=CollectorRegistry())))
    creds = {name: {"X-API-Key": keys.create(source, scopes=scopes)[1]} for name, source, scopes in (
        ("a", "crm-a", ("ingest", "read")), ("b", "crm-b", ("ingest", "read")), ("admin", "ops", ("read", "admin")))}
    with clients[0] as a, clients[1] as b:
        yield base, a, b, creds, made[0][0]
    for producer, view in made:
        view.stop()
        producer.close()


def _until(fetch, want, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while True:
        got = fetch()
        if want(got) or time.monotonic() > deadline:
            return got
        time.sleep(0.1)


def test_an_upload_taken_by_one_instance_is_read_on_another_with_its_owner(two_apis):
    settings, a, b, creds, _ = two_apis
    resp = a.post("/v1/documents", headers=creds["a"],
                  files={"file": ("c.pdf", make_pdf(f"Two hosts {uuid.uuid4()}"), "application/pdf")})
    assert resp.status_code == 201, resp.text
    doc_id = resp.json()["doc_id"]
    started = time.monotonic()
    seen = _until(lambda: b.get(f"/v1/documents/{doc_id}", headers=creds["a"]), lambda r: r.status_code == 200)
    assert seen.status_code == 200 and seen.json()["stage"] == "ingested", seen.text
    assert time.monotonic() - started < 20
    # The owner came to B through documents.ingested: another source's key gets the unknown-id 404.
    other = b.get(f"/v1/documents/{doc_id}", headers=creds["b"])
    assert other.status_code == 404 and other.json()["reason"] == "not_found"
    assert b.get(f"/v1/documents/{doc_id}", headers=creds["admin"]).status_code == 200


def test_a_later_stage_reaches_every_instance(two_apis):
    settings, a, b, creds, producer = two_apis
    doc_id = b.post("/v1/documents", headers=creds["b"],
                    files={"file": ("s.pdf", make_pdf(f"Stage {uuid.uuid4()}"), "application/pdf")}).json()["doc_id"]
    topic = settings.topics.name("documents.status")
    encode = Codec.from_settings(settings).encode  # the OCR pool's: the deployment's shared key store
    producer.send(topic, doc_id, encode(topic, {**envelope(doc_id, producer="ocr"), "stage": "ocr",
                                                "status": "done", "detail": "1 page"})).result(10)
    for api in (a, b):
        body = _until(lambda api=api: api.get(f"/v1/documents/{doc_id}", headers=creds["b"]).json(),
                      lambda j: j.get("stage") == "ocr")
        assert (body["stage"], body["status"]) == ("ocr", "done")
        assert api.get(f"/v1/documents/{doc_id}", headers=creds["a"]).status_code == 404
