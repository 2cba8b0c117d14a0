"""Personal data at rest in records: destroying a document's key (erasure) makes every copy
of its records unreadable (RecordErased) while the bytes and offsets stay as they were.

Records are written with their personal fields encrypted (tests/schemas/test_field_encryption.py
has the format); records sealed whole by earlier releases (schemas/sealing.py, ``C5 01``)
must still decode: ``legacy`` makes them exactly as those releases did."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
from confluent_registry import ConfluentRegistry

from inkstream.crypto.datakeys import DocumentKeys
from inkstream.crypto.keyring import LocalKeyRing
from inkstream.errors import RecordErased, SchemaError
from schemas.codec import CONFLUENT_MAGIC, SEALED_MAGIC, Codec, registry_for
from schemas.registry import SchemaRegistry
from schemas.sealing import NOT_SEALED, SEALED_TOPICS, document_keys, key_id, seal, sealed_doc_id
from schemas.records import envelope

ROOT = Path(__file__).resolve().parents[2]
SENDER, SIGNER_EMAIL, NAME = "jane.roe@example.org", "rahul.mehta@umbrella-logistics.fr", "Rahul Mehta"
TEXT = "Agreement between Umbrella Logistics S.A. and Rahul Mehta, 12 rue de la Paix, Paris"


def _doc() -> str:
    return f"{int(time.time() * 1000):012x}-{uuid.uuid4().hex[:20]}"  # as capture makes them


@pytest.fixture
def sealed_settings(settings, tmp_path):
    """The test's settings with a key store of its own (erasures here touch no one else)."""
    crypto = settings.crypto.model_copy(update={"document_keys_dir": tmp_path / "documents",
                                                "keyring_file": tmp_path / "keyring.json",
                                                "encrypt_records": True})
    return settings.model_copy(update={"crypto": crypto})


def ingested(doc_id: str) -> dict:
    return {**envelope(doc_id, producer="capture.email"), "source": "email", "source_ref": None,
            "filename": "Rahul_Mehta_contract.pdf",
            "original": {"bucket": "b", "key": "originals/ab/" + "ab" * 32, "version_id": None,
                         "sha256": "ab" * 32, "size_bytes": 10, "content_type": "application/pdf"},
            "duplicate_of": None, "priority": "normal", "crm_ref": None,
            "email": {"sender": SENDER, "subject": f"Contract for {NAME}", "message_id": "<m1@example.org>"},
            "metadata": {}}


def ocr_result(doc_id: str) -> dict:
    line = {"text": TEXT, "confidence": 0.5, "box": {"x0": 1.0, "y0": 2.0, "x1": 3.0, "y1": 4.0}}
    return {**envelope(doc_id, producer="ocr"), "source": "email",
            "original": ingested(doc_id)["original"], "priority": "normal", "crm_ref": None,
            "engine": {"name": "rapidocr", "version": "1", "models": [], "device": "cpu"},
            "pages": [{"number": 1, "width": 600, "height": 800, "dpi": 200, "text_source": "text_layer",
                       "rotation": 0, "skew": 0.0, "lines": [line]}],
            "duration_ms": 5}


def signed_event(doc_id: str) -> dict:
    return {**envelope(doc_id, producer="esign"), "provider": "docusign", "envelope_id": "env-1",
            "event_type": "signed", "provider_event": "recipient-completed", "provider_event_id": "e1",
            "provider_time": None,
            "signer": {"name": NAME, "email": SIGNER_EMAIL, "ip": "203.0.113.7", "user_agent": "Firefox",
                       "auth_method": None, "signed_at": None},
            "signed": None, "payload_sha256": "00" * 32}


def _fill(topic: str, record: dict) -> dict:
    """``record`` completed with the schema's defaults (so the fixtures stay short)."""
    return Codec().decode(Codec().encode(topic, record))


def test_every_schema_is_either_sealed_or_left_readable_with_a_reason() -> None:
    assert Codec().topics <= set(SEALED_TOPICS) | set(NOT_SEALED)  # a new schema must be decided on
    assert set(SEALED_TOPICS) <= Codec().topics
    assert not set(SEALED_TOPICS) & set(NOT_SEALED)


@pytest.mark.stack
def test_sealed_bytes_on_the_topic_hold_no_personal_data_and_decode_back(sealed_settings) -> None:
    """Sealed as earlier releases did, produced to real Kafka; the raw bytes read back are
    scanned and still decode with today's codec."""
    s = sealed_settings
    codec = Codec.from_settings(s)
    keys = document_keys(s)
    doc = _doc()
    records = {"documents.ingested": _fill("documents.ingested", ingested(doc)),
               "ocr.results": _fill("ocr.results", ocr_result(doc)),
               "esign.events": _fill("esign.events", signed_event(doc))}
    admin = AdminClient({"bootstrap.servers": s.kafka.bootstrap, **s.kafka.client})
    names = [s.topics.name(t) for t in records]
    for future in admin.create_topics([NewTopic(n, num_partitions=1, replication_factor=1) for n in names]).values():
        future.result(30)
    try:
        producer = Producer({"bootstrap.servers": s.kafka.bootstrap, **s.kafka.client})
        for topic, record in records.items():
            producer.produce(s.topics.name(topic), seal(keys, topic, doc, Codec().encode(topic, record)),
                             doc.encode())
        assert producer.flush(30) == 0
        raw = {topic: _read_one(s, s.topics.name(topic)) for topic in records}
    finally:
        for future in admin.delete_topics(names).values():
            future.exception(30)
    for topic, data in raw.items():
        assert data[:2] == SEALED_MAGIC and sealed_doc_id(data) == doc
        for secret in (SENDER, SIGNER_EMAIL, NAME, "Rahul", "Umbrella", "rue de la Paix", "203.0.113.7"):
            assert secret.encode() not in data, (topic, secret)
        assert codec.decode(data, s.topics.name(topic)) == records[topic]
    # The plain encoding of the same records does hold them: the scan above can fail.
    assert SENDER.encode() in Codec().encode("documents.ingested", records["documents.ingested"])


def _read_one(settings, topic: str) -> bytes:
    consumer = Consumer({"bootstrap.servers": settings.kafka.bootstrap, "group.id": f"r-{uuid.uuid4()}",
                         "enable.auto.commit": False, **settings.kafka.client})
    try:
        consumer.assign([TopicPartition(topic, 0, 0)])
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is not None and msg.error() is None:
                return msg.value()
        raise AssertionError(f"nothing read from {topic}")
    finally:
        consumer.close()


def test_destroying_a_documents_key_erases_its_records_and_only_its(sealed_settings) -> None:
    codec = Codec.from_settings(sealed_settings)
    erased, kept = _doc(), _doc()
    gone = [codec.encode("ocr.results", ocr_result(erased)), codec.encode("documents.status", _status(erased)),
            seal(codec.keys, "ocr.results", erased, Codec().encode("ocr.results", ocr_result(erased)))]
    stays = codec.encode("ocr.results", ocr_result(kept))
    plain = Codec().encode("ocr.results", ocr_result(erased))  # written before sealing was on
    assert codec.keys.destroy(erased)
    for data in gone:
        with pytest.raises(RecordErased) as caught:
            codec.decode(data)
        assert caught.value.doc_id == erased and not isinstance(caught.value, SchemaError)  # not a fault
    assert codec.decode(stays)["doc_id"] == kept
    with pytest.raises(RecordErased):  # every record of an erased document reads as erased...
        codec.decode(plain)
    assert TEXT.encode() in plain  # ...though bytes written in clear were never protected
    with pytest.raises(RecordErased):  # nothing new is written about an erased document
        codec.encode("ocr.results", ocr_result(erased))


def test_erasure_reaches_a_fresh_process(sealed_settings, tmp_path) -> None:
    """Another process (its own cache) reading the same bytes after the key was destroyed."""
    codec = Codec.from_settings(sealed_settings)
    doc = _doc()
    (tmp_path / "record.bin").write_bytes(codec.encode("ocr.results", ocr_result(doc)))
    script = ("import json, sys\n"
              "from pathlib import Path\n"
              "from inkstream.settings import load_settings\n"
              "from inkstream.errors import RecordErased\n"
              "from schemas.codec import Codec\n"
              f"s = load_settings(crypto={{'document_keys_dir': {str(tmp_path / 'documents')!r},"
              f" 'keyring_file': {str(tmp_path / 'keyring.json')!r}}})\n"
              f"data = Path({str(tmp_path / 'record.bin')!r}).read_bytes()\n"
              "try:\n"
              "    print(json.dumps({'doc_id': Codec.from_settings(s).decode(data)['doc_id']}))\n"
              "except RecordErased as exc:\n"
              "    print(json.dumps({'erased': exc.doc_id}))\n")
    run = lambda: json.loads(subprocess.run([sys.executable, "-c", script], cwd=ROOT, check=True,  # noqa: E731
                                            capture_output=True, text=True, env=os.environ).stdout)
    assert run() == {"doc_id": doc}
    DocumentKeys(tmp_path / "documents", LocalKeyRing(tmp_path / "keyring.json")).destroy(doc)
    assert run() == {"erased": doc}


def test_a_process_that_cached_the_key_stops_reading_within_the_cache_time(sealed_settings, tmp_path) -> None:
    ring = LocalKeyRing(tmp_path / "keyring.json")
    writer = Codec(keys=DocumentKeys(tmp_path / "documents", ring), seal=True)
    reader = Codec(keys=DocumentKeys(tmp_path / "documents", ring, cache_seconds=0.3))
    doc = _doc()
    data = writer.encode("ocr.results", ocr_result(doc))
    assert reader.decode(data)["doc_id"] == doc  # key now cached by the reader
    writer.keys.destroy(doc)
    time.sleep(0.4)
    with pytest.raises(RecordErased):
        reader.decode(data)


def _status(doc_id: str) -> dict:
    return {**envelope(doc_id, producer="crm"), "stage": "crm", "status": "failed",
            "detail": f"duplicate value found: Email {SIGNER_EMAIL}"}


def test_a_sealed_record_moved_to_another_topic_or_document_does_not_open(sealed_settings) -> None:
    codec = Codec.from_settings(sealed_settings)
    doc, other = _doc(), _doc()
    codec.encode("ocr.results", ocr_result(other))  # the other document has a key
    data = seal(document_keys(sealed_settings), "ocr.results", doc, Codec().encode("t1.ocr.results", ocr_result(doc)))
    assert codec.decode(data, "t2.ocr.results")["doc_id"] == doc  # same logical topic, other prefix
    with pytest.raises(SchemaError, match="does not open") as caught:
        codec.decode(data, "t1.fields.validated")
    assert not isinstance(caught.value, RecordErased)
    # Relabelled: the header names another topic, or another document (whose key exists).
    relabelled_topic = data.replace(b"\x0bocr.results", b"\x0bcrm.dryrun\x00", 1)
    assert relabelled_topic != data
    relabelled_doc = data.replace(doc.encode(), other.encode(), 1)
    for forged in (relabelled_topic, relabelled_doc):
        with pytest.raises(SchemaError, match="does not open"):
            codec.decode(forged)
    flipped = data[:-1] + bytes([data[-1] ^ 1])
    with pytest.raises(SchemaError, match="does not open"):
        codec.decode(flipped)


def test_records_of_no_document_and_unsealed_topics_are_plain(sealed_settings) -> None:
    codec = Codec.from_settings(sealed_settings)  # either framing: the stack's registry may answer
    action = {**envelope("", producer="review"), "reviewer": "alice", "role": "reviewer",
              "action": "login", "detail": {}}
    assert b"alice" in codec.encode("review.actions", action)
    doc_action = {**action, "doc_id": _doc()}
    assert b"alice" in codec.encode("review.actions", doc_action)  # not a personal-data topic
    data = codec.encode("documents.status", {**_status(""), "doc_id": ""})
    assert data[:2] != SEALED_MAGIC and SIGNER_EMAIL.encode() in data  # no document, no key


def test_encrypt_records_off_writes_plain_and_still_reads_sealed(sealed_settings) -> None:
    sealing = Codec.from_settings(sealed_settings)
    off = sealed_settings.model_copy(update={"crypto": sealed_settings.crypto.model_copy(
        update={"encrypt_records": False})})
    plain = Codec.from_settings(off)
    doc = _doc()
    assert TEXT.encode() in plain.encode("ocr.results", ocr_result(doc))
    assert plain.decode(sealing.encode("ocr.results", ocr_result(doc)))["doc_id"] == doc


def test_a_codec_without_the_documents_key_store_cannot_open_it(sealed_settings, tmp_path) -> None:
    data = Codec.from_settings(sealed_settings).encode("ocr.results", ocr_result(_doc()))
    stranger = Codec(registry=registry_for(sealed_settings)[0],
                     keys=DocumentKeys(tmp_path / "elsewhere", LocalKeyRing(tmp_path / "other.json")))
    with pytest.raises(SchemaError, match="no data key") as caught:
        stranger.decode(data)
    assert not isinstance(caught.value, RecordErased)


def test_doc_ids_a_key_file_cannot_be_named_after_are_sealed_under_a_hash(sealed_settings) -> None:
    codec = Codec.from_settings(sealed_settings)
    odd = "Jane Doe/../contract ✓"
    assert key_id(odd).startswith("h-") and key_id("abc-1") == "abc-1"
    data = codec.encode("ocr.results", ocr_result(odd))
    assert codec.decode(data)["doc_id"] == odd
    codec.keys.destroy(key_id(odd))
    with pytest.raises(RecordErased):
        codec.decode(data)


def test_sealed_confluent_framing_still_decodes(sealed_settings) -> None:
    with ConfluentRegistry() as server:
        s = sealed_settings.model_copy(update={"kafka": sealed_settings.kafka.model_copy(
            update={"schema_registry_url": server.url})})
        doc = _doc()
        keys = document_keys(s)  # one key store, as one process holds
        plain = Codec(registry=SchemaRegistry(server.url)).encode("t1.esign.events",
                                                                                          signed_event(doc))
        data = seal(keys, "esign.events", doc, plain)
        assert data[:2] == SEALED_MAGIC and SIGNER_EMAIL.encode() not in data
        inner = keys.decrypt(doc, data[data.index(doc.encode()) + len(doc):],
                                         aad=b"inkstream-record\x00esign.events\x00" + doc.encode())
        assert inner[:1] == CONFLUENT_MAGIC
        reader = Codec(registry=SchemaRegistry(server.url), keys=keys)
        assert reader.decode(data, "t1.esign.events")["signer"]["email"] == SIGNER_EMAIL
        keys.destroy(doc)
        with pytest.raises(RecordErased):
            reader.decode(data)


def test_a_codec_opens_with_its_own_key_store_and_one_without_refuses_sealed_records(sealed_settings) -> None:
    """No process-wide key store: a codec opens with the keys it was built with, and a
    destroy through them is seen at once; one without keys says what it lacks."""
    codec = Codec.from_settings(sealed_settings)
    doc = _doc()
    data = codec.encode("ocr.results", ocr_result(doc))
    old = seal(codec.keys, "ocr.results", doc, Codec().encode("ocr.results", ocr_result(doc)))
    assert codec.decode(old)["pages"][0]["lines"][0]["text"] == TEXT
    keyless = Codec(registry=codec.registry)
    with pytest.raises(SchemaError, match="no key store"):
        keyless.decode(data)
    with pytest.raises(SchemaError, match="no key store"):
        keyless.decode(old)
    with pytest.raises(ValueError, match="needs a key store"):
        Codec(seal=True)
    codec.keys.destroy(doc)
    for sealed in (data, old):
        with pytest.raises(RecordErased):
            codec.decode(sealed)
