"""``esign.complete``: on completed, the signed PDF is stored next to the original with its
hash (the original untouched) and the CRM commands follow."""

from __future__ import annotations

import hashlib

import pytest
from esign_flow_harness import signature_command

from connectors.esign.state import EnvelopeBook
from connectors.objectstore import ObjectRef
from streams.esign.completion import make_completion, signed_key
from streams.esign.dispatcher import make_dispatcher
from schemas.records import envelope
from streams.runtime.testing import run_processor

pytestmark = pytest.mark.stack


def _completed(doc_id: str, envelope_id: str, event_type: str = "completed") -> dict:
    return {**envelope(doc_id, producer="esign.gateway", trace=f"trace-{doc_id}"), "provider": "docusign",
            "envelope_id": envelope_id, "event_type": event_type, "provider_event": f"envelope-{event_type}",
            "provider_event_id": f"{envelope_id}:{event_type}", "provider_time": 1_764_000_000_000,
            "signer": {"name": "Ada Lovelace", "email": "ada@acme.example", "ip": None, "user_agent": None,
                       "auth_method": "sms", "signed_at": 1_764_000_000_000},
            "signed": None, "payload_sha256": "0" * 64}


@pytest.fixture
def sent(settings, store, original, docusign):
    """An envelope created by the dispatcher for a fresh document."""
    import uuid

    fake, client = docusign
    book = EnvelopeBook()
    doc_id = f"doc-{uuid.uuid4().hex[:8]}"
    run_processor(make_dispatcher(settings, providers=lambda n: client, store=store, book=book),
                  [("crm.commands", signature_command(doc_id, original[0]))])
    [envelope_id] = fake.envelopes
    return doc_id, envelope_id, book, client


def test_completed_envelope_stores_the_signed_pdf_with_its_hash_next_to_the_untouched_original(
        settings, store, original, sent):
    doc_id, envelope_id, book, client = sent
    ref, data = original
    versions_before = store.versions(ref.key)
    run = run_processor(make_completion(settings, providers=lambda n: client, store=store, book=book),
                        [("esign.events", _completed(doc_id, envelope_id))])
    assert run.dead == []
    signed = client.download_signed(envelope_id)
    sha = hashlib.sha256(signed).hexdigest()
    [stored] = [e["signed"] for e in run.on("esign.events")]
    assert stored["key"] == signed_key(doc_id, sha) == f"signed/{doc_id}/{sha}.pdf"
    assert stored["sha256"] == sha and store.get(ObjectRef.from_record(stored)) == signed
    # The original: same bytes, same single version.
    assert store.get(ref) == data and store.versions(ref.key) == versions_before
    attach, status = run.on("crm.commands")
    assert (attach["operation"], attach["target"], attach["object"], attach["external_id"]) == \
        ("attach_file", "salesforce", "Opportunity", doc_id)
    assert attach["file"] == stored and attach["trace"] == f"trace-{doc_id}"
    assert status["operation"] == "update_signature_status" and status["depends_on"] == [attach["idempotency_key"]]
    own = {k: v for k, v in status["fields"].items() if not k.startswith("signature.")}
    assert own == {"Inkstream_Signature_Status__c": "signed", "Inkstream_Signed_At__c": "2025-11-24T16:00:00Z",
                   "Inkstream_Signer__c": "ada@acme.example", "Inkstream_Audit_Hash__c": sha}
    # the signature record's facts (streams/esign/crm_fields.py): hash and envelope with the signer's
    assert (status["fields"]["signature.sha256"], status["fields"]["signature.envelope_id"]) == (sha, envelope_id)
    assert [(s["doc_id"], s["stage"], s["status"]) for s in run.statuses] == [(doc_id, "signature", "done")]


def test_redelivered_completion_stores_no_second_version_and_repeats_the_same_keys(settings, store, sent):
    doc_id, envelope_id, book, client = sent
    proc = make_completion(settings, providers=lambda n: client, store=store, book=book)
    event = _completed(doc_id, envelope_id)
    first = run_processor(proc, [("esign.events", event)])
    again = run_processor(proc, [("esign.events", event)])
    key = first.on("esign.events")[0]["signed"]["key"]
    assert len(store.versions(key)) == 1
    assert [c["idempotency_key"] for c in first.on("crm.commands")] == [c["idempotency_key"] for c in again.on("crm.commands")]


def test_declined_envelope_only_updates_the_signature_status(settings, store, sent):
    doc_id, envelope_id, book, client = sent
    run = run_processor(make_completion(settings, providers=lambda n: client, store=store, book=book),
                        [("esign.events", _completed(doc_id, envelope_id, "declined")),
                         ("esign.events", _completed(doc_id, envelope_id, "delivered"))])
    [status] = run.on("crm.commands")
    assert status["fields"] == {"Inkstream_Signature_Status__c": "declined"} and run.on("esign.events") == []
    assert run.skipped == ["not a final envelope event"]


def test_the_stored_record_is_not_acted_on_again(settings, store, sent):
    doc_id, envelope_id, book, client = sent
    proc = make_completion(settings, providers=lambda n: client, store=store, book=book)
    stored = run_processor(proc, [("esign.events", _completed(doc_id, envelope_id))]).on("esign.events")
    loop = run_processor(proc, [("esign.events", stored[0])])
    assert loop.emitted == [] and loop.skipped == ["not a final envelope event"]


def test_a_download_that_is_not_a_pdf_goes_to_the_dlq(settings, store, sent):
    doc_id, envelope_id, book, _ = sent

    class Broken:
        name = "docusign"

        def download_signed(self, envelope_id):
            return b"<html>maintenance</html>"

    run = run_processor(make_completion(settings, providers=lambda n: Broken(), store=store, book=book),
                        [("esign.events", _completed(doc_id, envelope_id))])
    assert run.dead and "not a PDF" in run.dead[0]["error"] and run.on("crm.commands") == []


def test_a_late_voided_after_completed_does_not_unsign_the_crm_record(settings, store, sent):
    doc_id, envelope_id, book, client = sent
    book.apply({**book.get(envelope_id), "status": "completed"})  # what the gateway recorded
    run = run_processor(make_completion(settings, providers=lambda n: client, store=store, book=book),
                        [("esign.events", _completed(doc_id, envelope_id, "voided"))])
    assert run.emitted == [] and run.skipped == ["envelope is already completed"]
