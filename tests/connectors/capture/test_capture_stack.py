"""Capture on the real stack: SMTP, hot folder, HTTP upload and CLI each end as one
documents.ingested record in Kafka whose object is in S3 with the right SHA-256."""

from __future__ import annotations

import functools
import hashlib
import smtplib
import socket
import threading
import time
import uuid
from email import policy
from email.message import EmailMessage

import pytest
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry

from connectors.capture.apikeys_shared import open_key_store
from connectors.capture.batch import ingest_paths
from connectors.capture.folder import HotFolder
from connectors.capture.http import create_app
from connectors.capture.ingest import ingest, original_key
from connectors.capture.sink import KafkaRecordSink, kafka_config
from connectors.capture.smtp import CaptureHandler, start_smtp
from connectors.capture.status import StatusView
from connectors.capture.testing import make_pdf
from connectors.objectstore import ObjectRef, open_store
from schemas.codec import Codec
from topic_admin import delete_prefixed, new_prefix  # tests/topic_admin.py

pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
def stack(base_settings, tmp_path_factory):
    from ops.stack.topics import ensure_topics

    prefix = new_prefix()  # the module's topics: deleted when it ends
    settings = base_settings.model_copy(update={
        "data_dir": tmp_path_factory.mktemp("data"),
        "topics": base_settings.topics.model_copy(update={"prefix": prefix})})
    try:
        ensure_topics(settings)
        store = open_store(settings)
        producer = KafkaRecordSink.from_settings(settings)
        yield settings, store, producer
        producer.close()
    finally:
        delete_prefixed(settings, prefix)


def read_records(settings, logical: str, want: int, *, where=lambda r: True, timeout: float = 30.0) -> list[dict]:
    from confluent_kafka import Consumer

    consumer = Consumer(kafka_config(settings, **{"group.id": f"test-{uuid.uuid4().hex}",
                                                  "auto.offset.reset": "earliest"}))
    consumer.subscribe([settings.topics.name(logical)])
    codec = Codec.from_settings(settings)  # the stack's data dir: the key store its writers sealed with
    found, deadline = [], time.monotonic() + timeout
    try:
        while len(found) < want and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is None or msg.error():
                continue
            record = codec.decode(msg.value())
            assert msg.key().decode() == record["doc_id"]
            if where(record):
                found.append(record)
    finally:
        consumer.close()
    return found


def assert_stored(store, record, data: bytes) -> None:
    sha = hashlib.sha256(data).hexdigest()
    assert record["original"]["sha256"] == sha and record["original"]["key"] == original_key(sha)
    assert store.get(ObjectRef.from_record(record["original"])) == data


def test_a_pdf_emailed_to_the_smtp_endpoint_becomes_one_record(stack):
    settings, store, producer = stack
    data = make_pdf(f"Mailed {uuid.uuid4()}")
    ingest_one = functools.partial(ingest, store=store, producer=producer, settings=settings,
                                   codec=Codec.from_settings(settings))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = start_smtp(CaptureHandler(ingest_one, inline_min_bytes=10_000), host="127.0.0.1",
                            port=port, max_bytes=5_000_000)
    try:
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = "mfp@acme.test", "in@inkstream.test", "Scan"
        msg["Message-ID"] = f"<{uuid.uuid4()}@acme.test>"
        msg.set_content("scan attached")
        msg.add_attachment(data, maintype="application", subtype="pdf", filename="mailed.pdf")
        with smtplib.SMTP("127.0.0.1", port) as client:
            assert client.sendmail("mfp@acme.test", ["in@inkstream.test"], msg.as_bytes(policy=policy.SMTP)) == {}
    finally:
        controller.stop()
    [record] = read_records(settings, "documents.ingested", 1,
                            where=lambda r: r["email"] and r["email"]["message_id"] == msg["Message-ID"])
    assert record["source"] == "email" and record["filename"] == "mailed.pdf"
    assert_stored(store, record, data)


def test_a_file_dropped_into_the_hot_folder_becomes_one_record(stack, tmp_path):
    settings, store, producer = stack
    data = make_pdf(f"Dropped {uuid.uuid4()}")
    ingest_one = functools.partial(ingest, store=store, producer=producer, settings=settings,
                                   codec=Codec.from_settings(settings))
    folder = HotFolder(tmp_path / "scans", ingest_one, stable_s=0.3)
    stop = threading.Event()
    runner = threading.Thread(target=folder.run, args=(stop, 0.1))
    runner.start()
    try:
        (folder.root / "dropped.pdf").write_bytes(data)
        deadline = time.monotonic() + 20
        while not (folder.done / "dropped.pdf").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        stop.set()
        runner.join()
    assert (folder.done / "dropped.pdf").exists()
    sha = hashlib.sha256(data).hexdigest()
    [record] = read_records(settings, "documents.ingested", 1, where=lambda r: r["original"]["sha256"] == sha)
    assert (record["source"], record["filename"]) == ("folder", "dropped.pdf")
    assert_stored(store, record, data)


@pytest.fixture
def api(stack):
    settings, store, producer = stack
    keys = open_key_store(settings)
    status = StatusView.from_settings(settings, Codec.from_settings(settings)).start()
    app = create_app(settings, store=store, producer=producer, keys=keys, status=status,
                     registry=CollectorRegistry())
    with TestClient(app) as client:
        client.key = {"X-API-Key": keys.create("tests")[1]}
        yield client
    status.stop()


def test_an_http_upload_becomes_one_record_and_a_duplicate_makes_no_second_version(stack, api):
    settings, store, _ = stack
    data = make_pdf(f"Uploaded {uuid.uuid4()}")
    files = {"file": ("up.pdf", data, "application/pdf")}
    first = api.post("/v1/documents", headers=api.key, files=files, data={"crm_ref": "006X"})
    second = api.post("/v1/documents", headers=api.key, files=files)
    assert first.status_code == second.status_code == 201
    first, second = first.json(), second.json()
    assert second["duplicate"] and second["duplicate_of"] == first["doc_id"]

    records = read_records(settings, "documents.ingested", 2, where=lambda r: r["original"]["sha256"] == first["sha256"])
    records.sort(key=lambda r: r["duplicate_of"] is not None)  # keys differ: partitions differ
    assert [r["doc_id"] for r in records] == [first["doc_id"], second["doc_id"]]
    assert [r["duplicate_of"] for r in records] == [None, first["doc_id"]]
    assert records[0]["crm_ref"] == "006X"
    assert_stored(store, records[0], data)
    assert len(store.versions(original_key(first["sha256"]))) == 1  # no second copy


def test_status_is_materialised_from_the_compacted_topic(stack, api):
    settings, store, producer = stack
    doc_id = api.post("/v1/documents", headers=api.key,
                      files={"file": ("s.pdf", make_pdf(f"Status {uuid.uuid4()}"), "application/pdf")}).json()["doc_id"]
    # A later stage written by another process (the OCR pool) reaches the API through Kafka.
    from schemas.records import envelope

    topic = settings.topics.name("documents.status")
    encode = Codec.from_settings(settings).encode  # that process shares this deployment's key store
    producer.send(topic, doc_id, encode(topic, {**envelope(doc_id, producer="ocr"), "stage": "ocr",
                                                "status": "done", "detail": "2 pages"})).result(10)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        body = api.get(f"/v1/documents/{doc_id}", headers=api.key).json()
        if body.get("stage") == "ocr":
            break
        time.sleep(0.2)
    assert (body["stage"], body["status"], body["detail"]) == ("ocr", "done", "2 pages")


def test_a_bad_upload_is_refused_and_produces_nothing(stack, api):
    settings, *_ = stack
    locked = make_pdf("Locked", owner_password="o", user_password="u")
    resp = api.post("/v1/documents", headers=api.key, files={"file": ("locked.pdf", locked, "application/pdf")})
    assert (resp.status_code, resp.json()["reason"]) == (422, "encrypted")
    sha = hashlib.sha256(locked).hexdigest()
    assert read_records(settings, "documents.ingested", 1, timeout=3,
                        where=lambda r: r["original"]["sha256"] == sha) == []


def test_the_cli_path_ingests_a_folder_and_reports_duplicates_and_refusals(stack, tmp_path):
    settings, store, _ = stack
    good = make_pdf(f"CLI {uuid.uuid4()}")
    (tmp_path / "a.pdf").write_bytes(good)
    (tmp_path / "copy-of-a.pdf").write_bytes(good)
    (tmp_path / "notes.pdf").write_bytes(b"plain text, not a pdf")
    (tmp_path / "empty.pdf").write_bytes(b"")
    files = sorted(tmp_path.iterdir())
    summary = ingest_paths(files, settings, priority="high", jobs=1, store=store)
    assert len(summary.ingested) == 1 and len(summary.duplicates) == 1
    assert sorted(reason for _, reason, _ in summary.refused) == ["empty", "type_mismatch"]
    assert summary.exit_code == 1
    sha = hashlib.sha256(good).hexdigest()
    records = read_records(settings, "documents.ingested.priority", 2, where=lambda r: r["original"]["sha256"] == sha)
    assert len(records) == 2 and {r["source"] for r in records} == {"cli"}
    assert_stored(store, records[0], good)
