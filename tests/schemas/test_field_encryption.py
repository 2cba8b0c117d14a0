"""Field-level encryption (schemas/field_encryption.py through schemas/codec.py): records of
the personal-data topics stay plain Avro of their schema; only the fields tagged PII hold
ciphertext, under the document's key; erasing the key leaves the rest readable."""

from __future__ import annotations

import base64
import copy
import io
import json
import time
import uuid
from pathlib import Path

import fastavro
import pytest
from avro_strategies import records_for
from hypothesis import HealthCheck, given, settings as hsettings

from inkstream.crypto.datakeys import DocumentKeys
from inkstream.crypto.keyring import LocalKeyRing
from inkstream.errors import RecordErased, SchemaError
from schemas.codec import SINGLE_OBJECT_MAGIC, Codec, _plain
from schemas.field_encryption import ERASED, FIELD_MAGIC, compile_plan, is_encrypted_value, tagged_paths
from schemas.sealing import NOT_SEALED, SEALED_TOPICS
from schemas.records import envelope

ROOT = Path(__file__).resolve().parents[2]

EMAIL, NAME, IP = "rahul.mehta@umbrella-logistics.fr", "Rahul Mehta", "203.0.113.7"
TEXT = "Agreement between Umbrella Logistics S.A. and Rahul Mehta, 12 rue de la Paix, Paris"
SECRETS = (EMAIL, NAME, "Rahul", "Umbrella", "rue de la Paix", IP)


def _doc() -> str:
    return f"{int(time.time() * 1000):012x}-{uuid.uuid4().hex[:20]}"


@pytest.fixture
def codec(tmp_path) -> Codec:
    return Codec(keys=DocumentKeys(tmp_path / "documents", LocalKeyRing(tmp_path / "keyring.json")), seal=True)


def _fill(topic: str, record: dict) -> dict:
    return Codec().decode(Codec().encode(topic, record))


def records(doc: str) -> dict[str, dict]:
    ref = {"bucket": "b", "key": "originals/ab/" + "ab" * 32, "version_id": None, "sha256": "ab" * 32,
           "size_bytes": 10, "content_type": "application/pdf"}
    box = {"x0": 1.0, "y0": 2.0, "x1": 3.0, "y1": 4.0}
    line = {"text": TEXT, "confidence": 0.5, "box": box,
            "words": [{"text": "Rahul", "confidence": 0.75, "box": box}]}
    return {
        "documents.ingested": {**envelope(doc, producer="capture.email"), "source": "email",
                               "source_ref": "<m1@umbrella-logistics.fr>", "filename": "Rahul_Mehta_contract.pdf",
                               "original": ref, "duplicate_of": None, "priority": "normal", "crm_ref": None,
                               "email": {"sender": EMAIL, "subject": f"Contract for {NAME}",
                                         "message_id": "<m1@umbrella-logistics.fr>"},
                               "metadata": {"x-sender-ip": IP}},
        "ocr.results": {**envelope(doc, producer="ocr"), "source": "email", "original": ref, "priority": "normal",
                        "crm_ref": None, "engine": {"name": "rapidocr", "version": "1", "models": [], "device": "cpu"},
                        "pages": [{"number": 1, "width": 600, "height": 800, "dpi": 200, "text_source": "ocr",
                                   "rotation": 0, "skew": 0.0, "lines": [line]}], "duration_ms": 5},
        "fields.validated": {**envelope(doc, producer="extract"), "source": "email", "original": ref,
                             "crm_ref": None, "doc_type": "contract", "status": "accepted", "extractor_version": "7",
                             "fields": [{"name": "signer_email", "value": EMAIL, "normalized": EMAIL.upper(),
                                         "confidence": 0.93, "status": "ok", "page": 1, "box": box, "reason": None}],
                             "line_items": [], "review": None},
        "esign.events": {**envelope(doc, producer="esign"), "provider": "docusign", "envelope_id": "env-1",
                         "event_type": "signed", "provider_event": "recipient-completed", "provider_event_id": "e1",
                         "provider_time": None,
                         "signer": {"name": NAME, "email": EMAIL, "ip": IP, "user_agent": "Firefox",
                                    "auth_method": "email", "signed_at": None},
                         "signed": None, "payload_sha256": "00" * 32},
        "crm.commands": {**envelope(doc, producer="mapper"), "target": "salesforce", "operation": "upsert",
                         "object": "Contact", "external_id_field": "Email", "external_id": EMAIL,
                         "fields": {"LastName": "Mehta", "Amount": 1250.5, "Seats": 3, "VIP": True, "Fax": None},
                         "file": None, "match": {"Email": EMAIL}, "idempotency_key": "k-1", "mapping_version": "3",
                         "depends_on": [], "links": []},
    }


def _plain_avro(topic: str, data: bytes) -> dict:
    """Read as any Avro tool does: the schema, no inkstream code, no key."""
    assert data[:2] == SINGLE_OBJECT_MAGIC
    schema = fastavro.parse_schema(_plain(json.loads((ROOT / "schemas" / f"{topic}.avsc").read_text())))
    return fastavro.schemaless_reader(io.BytesIO(data[10:]), schema, None)


def test_every_personal_data_topic_tags_its_personal_fields_and_no_other_topic_does() -> None:
    for topic in SEALED_TOPICS:
        assert tagged_paths(Codec().schema(topic)), topic
    for topic in NOT_SEALED:
        assert not tagged_paths(Codec().schema(topic)), topic
    assert "pages[].lines[].words[].text" in tagged_paths(Codec().schema("ocr.results"))
    assert "signer.email" in tagged_paths(Codec().schema("esign.events"))


def test_a_tag_on_a_field_that_cannot_hold_ciphertext_is_refused() -> None:
    schema = {"type": "record", "name": "R", "fields": [
        {"name": "doc_id", "type": "string"}, {"name": "n", "type": "long", "confluent:tags": ["PII"]}]}
    with pytest.raises(SchemaError, match="n is tagged PII but cannot hold ciphertext"):
        compile_plan(schema)


@pytest.mark.parametrize("topic", sorted(records("x")))
def test_records_stay_plain_avro_with_only_personal_values_encrypted(codec, topic) -> None:
    doc = _doc()
    record = _fill(topic, records(doc)[topic])
    data = codec.encode(topic, record)
    for secret in SECRETS:
        assert secret.encode() not in data, secret
    seen = _plain_avro(topic, data)  # a stock reader: envelope readable, personal values ciphertext
    assert seen["doc_id"] == doc and seen["event_id"] == record["event_id"]
    assert seen["occurred_at"] == record["occurred_at"] and seen["producer"] == record["producer"]
    if topic == "ocr.results":
        assert seen["pages"][0]["lines"][0]["confidence"] == 0.5 and seen["duration_ms"] == 5
        assert is_encrypted_value(seen["pages"][0]["lines"][0]["text"])
        assert is_encrypted_value(seen["pages"][0]["lines"][0]["words"][0]["text"])
    if topic == "fields.validated":
        field = seen["fields"][0]
        assert (field["name"], field["status"], seen["status"]) == ("signer_email", "ok", "accepted")
        assert abs(field["confidence"] - 0.93) < 1e-6 and is_encrypted_value(field["value"])
        assert field["reason"] is None  # null stays null
    if topic == "esign.events":
        assert seen["signer"]["auth_method"] == "email" and seen["event_type"] == "signed"
        assert all(is_encrypted_value(seen["signer"][k]) for k in ("name", "email", "ip", "user_agent"))
    if topic == "crm.commands":
        assert seen["external_id_field"] == "Email" and seen["idempotency_key"] == "k-1"
        assert seen["fields"]["Fax"] is None
        assert all(is_encrypted_value(seen["fields"][k]) for k in ("LastName", "Amount", "Seats", "VIP"))
        assert set(seen["match"]) == {"Email"}  # map keys are field names, readable
    if topic == "documents.ingested":
        assert seen["original"]["sha256"] == "ab" * 32 and is_encrypted_value(seen["filename"])
        assert is_encrypted_value(seen["metadata"]["x-sender-ip"])
    assert codec.decode(data) == record  # numbers in crm fields come back as numbers, of their type


def test_ciphertext_is_base64_of_the_field_format() -> None:
    seen = _plain_avro("esign.events", Codec(keys=None, seal=False).encode("esign.events",
                                                                           records(_doc())["esign.events"]))
    assert not is_encrypted_value(seen["signer"]["email"])  # plaintext is never taken for ciphertext


def test_erasure_makes_personal_values_unreadable_and_leaves_the_rest(codec) -> None:
    doc, kept = _doc(), _doc()
    written = {topic: codec.encode(topic, _fill(topic, r)) for topic, r in records(doc).items()}
    other = codec.encode("esign.events", records(kept)["esign.events"])
    assert codec.keys.destroy(doc)
    for topic, data in written.items():
        with pytest.raises(RecordErased) as caught:  # processors: nothing is done about an erased document
            codec.decode(data, topic)
        assert caught.value.doc_id == doc
        shown = codec.decode(data, topic, erased="mark")  # readers: what is left, never a crash
        assert shown["doc_id"] == doc and shown["event_id"] == _plain_avro(topic, data)["event_id"]
        assert not any(s in json.dumps(shown) for s in SECRETS), topic
    shown = codec.decode(written["esign.events"], erased="mark")
    assert shown["signer"]["email"] == ERASED and shown["signer"]["auth_method"] == "email"
    assert codec.decode(written["ocr.results"], erased="mark")["pages"][0]["lines"][0]["confidence"] == 0.5
    assert codec.decode(other)["signer"]["email"] == EMAIL  # only its document
    with pytest.raises(RecordErased):
        codec.encode("esign.events", records(doc)["esign.events"])  # nothing new is written about it


def test_a_value_moved_to_another_field_or_document_does_not_decrypt(codec) -> None:
    doc, other = _doc(), _doc()
    codec.encode("esign.events", records(other)["esign.events"])  # the other document has a key
    data = codec.encode("esign.events", records(doc)["esign.events"])
    raw = _plain_avro("esign.events", data)
    swapped = copy.deepcopy(raw)
    swapped["signer"]["name"], swapped["signer"]["email"] = raw["signer"]["email"], raw["signer"]["name"]
    relabelled = {**raw, "doc_id": other}
    flipped = copy.deepcopy(raw)
    blob = bytearray(base64.b64decode(raw["signer"]["ip"]))
    blob[-1] ^= 1
    flipped["signer"]["ip"] = base64.b64encode(bytes(blob)).decode()
    for forged in (swapped, relabelled, flipped):
        with pytest.raises(SchemaError, match="does not authenticate") as caught:
            codec.decode(Codec().encode("esign.events", forged))
        assert not isinstance(caught.value, RecordErased)


def test_records_in_clear_still_decode_and_a_stranger_cannot_open(codec, tmp_path) -> None:
    doc = _doc()
    clear = Codec().encode("esign.events", records(doc)["esign.events"])  # encryption off, or before it
    assert codec.decode(clear)["signer"]["email"] == EMAIL
    data = codec.encode("esign.events", records(doc)["esign.events"])
    stranger = Codec(keys=DocumentKeys(tmp_path / "elsewhere", LocalKeyRing(tmp_path / "other.json")))
    with pytest.raises(SchemaError, match="no data key") as caught:
        stranger.decode(data)
    assert not isinstance(caught.value, RecordErased)
    assert FIELD_MAGIC == b"\xc5\x02"


@pytest.mark.parametrize("topic", sorted(SEALED_TOPICS))
def test_any_record_of_a_personal_data_topic_round_trips(tmp_path_factory, topic) -> None:
    store = tmp_path_factory.mktemp("keys")
    codec = Codec(keys=DocumentKeys(store / "documents", LocalKeyRing(store / "keyring.json")), seal=True)

    @hsettings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(records_for(Codec().schema(topic)))
    def check(record: dict) -> None:
        record = _fill(topic, record)
        assert codec.decode(codec.encode(topic, record)) == record

    check()
