"""From an approved contract to a stored signed PDF and the CRM's final commands, through
the real mapper, the dispatcher, the webhook gateway (DocuSign Connect, signed) and the
completion processor; real S3, DocuSign fake validating against the swagger."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from connectors.esign.gateway import create_app
from connectors.esign.simulate import SEQUENCES, build_request
from connectors.esign.state import EnvelopeBook
from connectors.objectstore import ObjectRef
from fakes.crm_records import validated_contract
from session_codec import decode, encode
from streams.esign.completion import make_completion
from streams.esign.dispatcher import make_dispatcher
from streams.mapper.processor import factory as mapper_factory
from streams.runtime.testing import run_processor

pytestmark = pytest.mark.stack
CONNECT_KEY = "connect-key-flow"


class Published:
    def __init__(self) -> None:
        self.records = []

    def publish(self, records) -> None:
        self.records.extend((t, k, decode(encode(t, v))) for t, k, v in records)

    def on(self, topic):
        return [v for t, _, v in self.records if t == topic]


def test_approved_contract_ends_with_the_signed_pdf_stored_and_crm_updated(settings, store, original, docusign):
    import time

    fake, client = docusign
    ref, data = original
    settings = settings.model_copy(update={
        "crm": settings.crm.model_copy(update={"crm": "salesforce", "esign_provider": "docusign"}),
        "esign": settings.esign.model_copy(update={"docusign": settings.esign.docusign.model_copy(
            update={"webhook_keys": [SecretStr(CONNECT_KEY)]})})})
    doc_id = f"doc-{uuid.uuid4().hex[:8]}"
    record = {**validated_contract(doc_id), "original": ref.to_record()}

    commands = run_processor(mapper_factory(settings), [("fields.validated", record)]).on("crm.commands")
    book = EnvelopeBook()
    dispatched = run_processor(make_dispatcher(settings, providers=lambda n: client, store=store, book=book),
                               [("crm.commands", c) for c in commands])
    assert dispatched.dead == [] and len(fake.envelopes) == 1
    [envelope_id] = fake.envelopes

    published = Published()
    gateway = TestClient(create_app(settings, publisher=published, book=book))
    now = time.time()
    for i, step in enumerate(SEQUENCES["docusign"]):
        req = build_request("docusign", step, envelope_id=envelope_id, doc_id=doc_id, key=CONNECT_KEY, at=now - 10 + i)
        assert gateway.post(req.path, headers=req.headers, content=req.content).status_code == 200
    events = published.on("esign.events")
    assert [e["event_type"] for e in events] == ["sent", "delivered", "signed", "completed"]
    assert {e["trace"] for e in events} == {f"trace-{doc_id}"}  # carried from ingestion

    done = run_processor(make_completion(settings, providers=lambda n: client, store=store, book=book),
                         [("esign.events", e) for e in events])
    assert done.dead == []
    [stored] = done.on("esign.events")
    assert store.get(ObjectRef.from_record(stored["signed"])) == client.download_signed(envelope_id)
    assert store.get(ref) == data
    final = done.on("crm.commands")
    assert [(c["operation"], c["target"], c["object"]) for c in final] == [
        ("attach_file", "salesforce", "Opportunity"), ("update_signature_status", "salesforce", "Opportunity")]
    assert final[1]["fields"]["Inkstream_Signature_Status__c"] == "signed"
    assert final[1]["external_id"] == doc_id  # the deal the mapper upserted
