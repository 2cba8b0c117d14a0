"""Fixtures for the e-sign processors: the real S3 server holds the originals and the
signed files; vendors are the spec-validating fakes."""

from __future__ import annotations

import hashlib
import uuid

import httpx
import pytest

from connectors.esign.docusign import DocuSign
from connectors.objectstore import open_store
from fakes.esign_docusign import FakeDocuSign
from schemas.records import envelope
from topic_admin import watermarks  # tests/topic_admin.py


@pytest.fixture
def store(settings):
    return open_store(settings)


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


def read_topic(settings, topic: str) -> list[tuple[str | None, dict]]:
    """Every committed record of logical ``topic`` now (read_committed, from the start)."""
    from confluent_kafka import Consumer, KafkaException, TopicPartition

    from session_codec import decode

    name = settings.topics.name(topic)
    consumer = Consumer({"bootstrap.servers": settings.kafka.bootstrap, "group.id": f"t-{uuid.uuid4().hex}",
                         "isolation.level": "read_committed", "enable.auto.commit": False})
    try:
        tps = [TopicPartition(name, p, 0) for p in consumer.list_topics(name, timeout=10).topics[name].partitions]
        consumer.assign(tps)
        try:
            ends = {tp.partition: watermarks(consumer, tp)[1] for tp in tps}
        except KafkaException:  # a topic created a moment ago has no leader yet: nothing to read
            return []
        out, idle = [], 0
        while idle < 10 and any(consumer.position([TopicPartition(name, p)])[0].offset < end
                                for p, end in ends.items() if end > 0):
            msg = consumer.poll(0.5)
            if msg is None or msg.error():
                idle += 1
                continue
            out.append((msg.key().decode() if msg.key() else None, decode(msg.value())))
        return out
    finally:
        consumer.close()
