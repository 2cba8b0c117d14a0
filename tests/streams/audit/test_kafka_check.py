"""Comparing stored rows with the Kafka records they came from (no broker: the record
bytes are given), including schema evolution between writing and checking."""

from __future__ import annotations

import audit_samples as s

from streams.audit.chain import canonical_json, sha256_hex
from streams.audit.kafka_check import KafkaRef, _compare
from streams.audit.query import _Direct
from streams.audit.sink import AuditSink
from streams.runtime import Processor
from streams.runtime.testing import run_processor
from session_codec import session_codec


def _ref(store, topic: str = "esign.events") -> KafkaRef:
    _, [(doc, seq, event_id, sha)] = store.query("SELECT doc_id, seq, event_id, payload_sha256 FROM audit_events")
    return KafkaRef(doc, seq, event_id, topic, 0, 0, sha)


def _stored(store, record: dict, topic: str = "esign.events") -> tuple[KafkaRef, bytes]:
    run_processor(Processor(name="audit", inputs=("x",), batch_sink=AuditSink(lambda: store)), [(topic, record)])
    return _ref(store, topic), session_codec().encode(topic, record)


def _rewrite(store, old: str, new: str) -> KafkaRef:
    """What someone re-hashing the trail does: change the payload and its digest together."""
    edited = f"replace(payload, '{old}', '{new}')"
    store.command(f"ALTER TABLE audit_events UPDATE payload = {edited}, payload_sha256 = lower(hex(SHA256({edited}))) "
                  "WHERE 1 SETTINGS mutations_sync = 2")
    return _ref(store)


def test_a_row_equal_to_its_kafka_record_passes(store):
    ref, raw = _stored(store, s.esign("d1", "completed"))
    assert _compare(ref, raw, _Direct(store, 100), session_codec().decode) == []


def test_fields_a_newer_schema_added_with_defaults_are_not_a_difference(store):
    ref, raw = _stored(store, s.esign("d1", "completed"))

    def newer_reader(value: bytes) -> dict:
        record = session_codec().decode(value)
        record["signer"]["certificate_id"] = None  # added later, default null
        return {**record, "sequence": 0, "tags": []}

    assert sha256_hex(canonical_json(newer_reader(raw))) != ref.payload_sha256
    assert _compare(ref, raw, _Direct(store, 100), newer_reader) == []


def test_an_edited_stored_payload_is_named_by_field(store):
    _, raw = _stored(store, s.esign("d1", "completed"))
    ref = _rewrite(store, "203.0.113.7", "198.51.100.1")
    [problem] = _compare(ref, raw, _Direct(store, 100), session_codec().decode)
    assert problem.kind == "differs_from_kafka" and "signer.ip" in problem.detail


def test_a_field_removed_from_the_stored_payload_is_a_difference(store):
    _, raw = _stored(store, s.esign("d1", "completed"))
    ref = _rewrite(store, '"user_agent":', '"x_agent":')
    [problem] = _compare(ref, raw, _Direct(store, 100), session_codec().decode)
    assert "signer.user_agent" in problem.detail and "signer.x_agent" in problem.detail


def test_an_undecodable_kafka_record_is_reported(store):
    ref, _ = _stored(store, s.esign("d1", "completed"))
    [problem] = _compare(ref, b"\x00junk", _Direct(store, 100), session_codec().decode)
    assert "cannot be decoded" in problem.detail
