"""Two webhook gateways behind one load balancer, sharing nothing but Kafka: each is its
own ``create_app`` with its own in-memory envelope book, reader and transactional publisher
on the same topics (what two hosts would run)."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

import pytest
from esign_gateway_harness import KEYS, NOW, gateway_settings
from fastapi.testclient import TestClient
from test_webhook_gateway_kafka import _read_all

from connectors.esign.gateway import create_app
from connectors.esign.publisher import KafkaPublisher
from connectors.esign.simulate import build_request
from connectors.esign.state import EnvelopeBook, KafkaEnvelopeReader, initial_state
from session_codec import session_codec

pytestmark = pytest.mark.stack

TOPICS = {"esign.events": 1, "esign.events.dlq": 1, "esign.envelopes": 3, "webhooks.rejected": 1}


@dataclass
class Instance:
    client: TestClient
    book: EnvelopeBook
    reader: KafkaEnvelopeReader
    publisher: KafkaPublisher
    skip_refreshes: int = 0  # > 0: the next catch-ups see nothing new (a write landing just after them)

    def refresh(self) -> None:
        if self.skip_refreshes > 0:
            self.skip_refreshes -= 1
            return
        self.reader.catch_up(timeout_s=5)

    def post(self, req):
        return self.client.request(req.method, req.path, headers=req.headers, content=req.content)

    def close(self) -> None:
        self.publisher.close()
        self.reader.close()


@pytest.fixture
def instances(settings, kafka_topics):
    settings = gateway_settings(settings)
    kafka_topics(settings, TOPICS)
    made: list[Instance] = []

    def start() -> Instance:
        book = EnvelopeBook()
        reader = KafkaEnvelopeReader(settings, book, codec=session_codec())
        reader.catch_up()
        inst = Instance(None, book, reader,  # type: ignore[arg-type]
                        KafkaPublisher(settings, codec=session_codec(), transactional_id=f"test-webhooks-{uuid.uuid4().hex}"))
        inst.client = TestClient(create_app(settings, publisher=inst.publisher, book=book, refresh=inst.refresh,
                                            clock=lambda: NOW))
        made.append(inst)
        return inst

    yield settings, start
    for inst in made:
        inst.close()


def _dispatch(settings, envelope_id: str, doc_id: str) -> None:
    """The dispatcher (a third process) records the envelope, as it does on creating it."""
    pub = KafkaPublisher(settings, codec=session_codec(), transactional_id=f"test-dispatch-{uuid.uuid4().hex}")
    pub.publish([("esign.envelopes", envelope_id, initial_state(doc_id=doc_id, provider="docusign",
                                                                envelope_id=envelope_id, trace=f"trace-{doc_id}"))])
    pub.close()


def _until_seen(inst: Instance, envelope_id: str, timeout: float = 20.0) -> None:
    """The dispatcher's record reaches the instance (a catch-up right after the commit may
    end before a loaded broker serves it)."""
    deadline = time.monotonic() + timeout
    while inst.book.get(envelope_id) is None and time.monotonic() < deadline:
        inst.reader.catch_up(timeout_s=5)


def _last_states(settings) -> dict[str, dict]:
    return {key: value for key, value in _read_all(settings, "esign.envelopes")}


def _docusign(step: str, envelope_id: str, at: float):
    return build_request("docusign", step, envelope_id=envelope_id, doc_id=None, key=KEYS["docusign"], at=at)


def test_a_webhook_redelivered_to_another_instance_produces_one_event(instances):
    settings, start = instances
    a, b = start(), start()  # both started before the envelope exists
    _dispatch(settings, "env-i1", "doc-i1")
    _until_seen(a, "env-i1")
    sent, done = _docusign("sent", "env-i1", NOW - 10), _docusign("completed", "env-i1", NOW)
    assert a.post(sent).json() == {"status": "produced"}
    assert a.post(done).json() == {"status": "produced"}
    # The vendor did not get A's 200 in time and redelivers both; the balancer picks B.
    assert b.post(done).json() == {"status": "duplicate"}
    assert b.post(sent).json() == {"status": "duplicate"}
    events = _read_all(settings, "esign.events")
    assert [(k, v["event_type"]) for k, v in events] == [("doc-i1", "sent"), ("doc-i1", "completed")]
    assert events[0][1]["trace"] == "trace-doc-i1"


def test_out_of_order_delivery_across_instances_keeps_the_terminal_state(instances):
    settings, start = instances
    a, b = start(), start()
    _dispatch(settings, "env-i2", "doc-i2")
    _until_seen(a, "env-i2")
    assert a.post(_docusign("completed", "env-i2", NOW)).json() == {"status": "produced"}
    # An older "delivered" reaches the other instance after the completion.
    assert b.post(_docusign("delivered", "env-i2", NOW - 30)).json() == {"status": "produced"}
    assert b.book.get("env-i2")["status"] == "completed" and a.book.get("env-i2")["status"] == "completed"
    assert _last_states(settings)["env-i2"]["status"] == "completed"


def test_concurrent_writes_from_two_instances_are_merged_back_into_the_topic(instances):
    settings, start = instances
    a, b = start(), start()
    _dispatch(settings, "env-i3", "doc-i3")
    _until_seen(b, "env-i3")
    assert b.book.get("env-i3")["status"] == "created"
    # B's catch-up before its check runs just before A's completion commits: B decides from
    # a state without it (the race two hosts really have), then reads its own write back.
    b.skip_refreshes = 1
    assert a.post(_docusign("completed", "env-i3", NOW)).json() == {"status": "produced"}
    assert b.post(_docusign("viewed", "env-i3", NOW - 20)).json() == {"status": "produced"}
    last = _last_states(settings)["env-i3"]  # what a compacted topic keeps
    assert last["status"] == "completed"
    assert len(last["seen_event_ids"]) == 2
    # A third instance started now (after compaction too) sees the join, and both ids.
    c = start()
    assert c.book.get("env-i3")["status"] == "completed"
    assert c.post(_docusign("viewed", "env-i3", NOW - 20)).json() == {"status": "duplicate"}
    assert c.post(_docusign("completed", "env-i3", NOW)).json() == {"status": "duplicate"}


def test_the_same_delivery_racing_on_two_instances_carries_one_event_id(instances):
    settings, start = instances
    a, b = start(), start()
    _dispatch(settings, "env-i4", "doc-i4")
    _until_seen(b, "env-i4")
    assert b.book.get("env-i4")["status"] == "created"
    b.skip_refreshes = 1  # both instances check before either has committed
    done = _docusign("completed", "env-i4", NOW)
    assert a.post(done).json() == {"status": "produced"}
    assert b.post(done).json() == {"status": "produced"}
    events = [v for _, v in _read_all(settings, "esign.events")]
    # Kafka has no compare-and-set: the race produces the record twice, under ONE event id,
    # the idempotency key the audit sink and the completion step dedupe on.
    assert len(events) == 2 and events[0]["event_id"] == events[1]["event_id"]
    assert b.post(done).json() == {"status": "duplicate"}  # and no third time
