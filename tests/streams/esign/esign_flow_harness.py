"""Fixtures for the e-sign processors: the real S3 server holds the originals and the
signed files; vendors are the spec-validating fakes."""

from __future__ import annotations

import hashlib
import uuid

import httpx
import pytest

from connectors.esign.docusign import DocuSign
from connectors.objectstore.s3 import S3ObjectStore
from fakes.esign_docusign import FakeDocuSign
from streams.records import envelope


@pytest.fixture
def store(settings) -> S3ObjectStore:
    return S3ObjectStore.from_settings(settings)


@pytest.fixture
def original(store):
    """An original PDF stored the way capture stores it (content-addressed)."""
    from connectors.esign.simulated import signed_pdf

    data = signed_pdf(f"original-{uuid.uuid4().hex}", provider="capture", signer="nobody yet")
    sha = hashlib.sha256(data).hexdigest()
    return store.put(f"originals/{sha[:2]}/{sha}", data, content_type="application/pdf", metadata={"sha256": sha}), data


@pytest.fixture
def docusign():
    fake = FakeDocuSign()
    client = DocuSign(httpx.Client(transport=fake.transport()), base_url="https://demo.docusign.net/restapi",
                      account_id=fake.account_id, access_token=fake.token)
    return fake, client


def signature_command(doc_id: str, ref, *, target: str = "docusign", auth: str | None = None) -> dict:
    """A request_signature command as the mapper writes it (streams/mapper/plan.py)."""
    fields = {"title": "Please sign: Acme contract", "signer_name": "Ada Lovelace",
              "signer_email": "ada@acme.example", "crm": "salesforce", "file_name": "acme-contract.pdf"}
    if auth:
        fields["signer_auth"] = auth
    return {
        **envelope(doc_id, producer="map", trace=f"trace-{doc_id}"), "target": target,
        "operation": "request_signature", "object": "Opportunity", "external_id_field": "Inkstream_Document_Id__c",
        "external_id": doc_id, "fields": fields, "file": ref.to_record(), "match": {},
        "idempotency_key": hashlib.sha256(f"{doc_id}|request_signature|Opportunity|v1".encode()).hexdigest(),
        "mapping_version": "v1", "depends_on": [], "links": [],
    }
