"""The in-memory views fed from Kafka outside the runtime — review queue follower, e-sign
envelope reader, upload API status view — read past a record of an erased document and
forget that document instead of failing (real Kafka, real sealing codec)."""

from __future__ import annotations

import time
import uuid

import pytest
from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic

from schemas.codec import Codec
from schemas.sealing import document_keys
from schemas.records import envelope

pytestmark = pytest.mark.stack


@pytest.fixture
def sealed(settings, tmp_path):
    crypto = settings.crypto.model_copy(update={"document_keys_dir": tmp_path / "documents",
                                                "keyring_file": tmp_path / "keyring.json",
                                                "encrypt_records": True})
    s = settings.model_copy(update={"crypto": crypto})
    admin = AdminClient({"bootstrap.servers": s.kafka.bootstrap, **s.kafka.client})
    names = [s.topics.name(t) for t in ("fields.validated", "esign.envelopes", "documents.status")]
    for future in admin.create_topics([NewTopic(n, num_partitions=1, replication_factor=1) for n in names]).values():
        future.result(30)
    yield s
    for future in admin.delete_topics(names).values():
        future.exception(30)


def _produce(settings, topic: str, records: list[tuple[str, dict]]) -> None:
    codec = Codec.from_settings(settings)
    producer = Producer({"bootstrap.servers": settings.kafka.bootstrap, **settings.kafka.client})
    for key, record in records:
        producer.produce(settings.topics.name(topic), codec.encode(topic, record), key.encode())
    assert producer.flush(30) == 0


def _docs() -> tuple[str, str]:
    return uuid.uuid4().hex, uuid.uuid4().hex


def _wait(predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError("not met in time")


def test_the_review_follower_forgets_an_erased_document(sealed) -> None:
    from streams.review import ReviewQueue
    from streams.review.follower import QueueFollower

    erased, kept = _docs()
    original = {"bucket": "b", "key": "k", "version_id": None, "sha256": "ab" * 32, "size_bytes": 1,
                "content_type": "application/pdf"}
    review = lambda d: {**envelope(d, producer="extract"), "source": "http", "original": original,  # noqa: E731
                        "crm_ref": None, "doc_type": "contract", "status": "review",
                        "extractor_version": "rules-1", "line_items": [], "review": None, "fields": []}
    queue = ReviewQueue()
    queue.apply(review(erased))  # read before the erasure, as a running server holds it
    _produce(sealed, "fields.validated", [(erased, review(erased)), (kept, review(kept))])
    document_keys(sealed).destroy(erased)
    follower = QueueFollower(sealed, queue, Codec.from_settings(sealed))
    follower.start()
    try:
        assert follower.caught_up.wait(30)
        _wait(lambda: queue.get(kept) is not None)
    finally:
        follower.stop()
        follower.join(10)
    assert queue.get(erased) is None and [r["doc_id"] for r in queue.pending()] == [kept]


def test_the_envelope_reader_forgets_an_erased_documents_envelopes(sealed) -> None:
    from connectors.esign.state import EnvelopeBook, KafkaEnvelopeReader, initial_state

    erased, kept = _docs()
    book = EnvelopeBook()
    book.apply(initial_state(doc_id=erased, provider="docusign", envelope_id="env-e", idempotency_key="ik-e"))
    _produce(sealed, "esign.envelopes", [
        ("env-e", initial_state(doc_id=erased, provider="docusign", envelope_id="env-e", idempotency_key="ik-e")),
        ("env-k", initial_state(doc_id=kept, provider="docusign", envelope_id="env-k", idempotency_key="ik-k"))])
    document_keys(sealed).destroy(erased)
    reader = KafkaEnvelopeReader(sealed, book, codec=Codec.from_settings(sealed))
    assert reader.catch_up(timeout_s=20) == 2
    assert book.get("env-e") is None and book.by_idempotency_key("ik-e") is None
    assert book.get("env-k")["doc_id"] == kept


def test_the_upload_apis_status_view_forgets_an_erased_document(sealed) -> None:
    from connectors.capture.status import StatusView

    erased, kept = _docs()
    status = lambda d, stage: {**envelope(d, producer=stage), "stage": stage,  # noqa: E731
                               "status": "done", "detail": None}
    _produce(sealed, "documents.status", [(erased, status(erased, "ocr"))])
    codec = Codec.from_settings(sealed)  # the API process's one codec
    in_flight = codec.encode("documents.status", status(erased, "extract"))
    view = StatusView(sealed.topics.name("documents.status"), lambda: Consumer({
        "bootstrap.servers": sealed.kafka.bootstrap, "group.id": f"v-{uuid.uuid4()}",
        "auto.offset.reset": "earliest", **sealed.kafka.client}), decode=codec.decode).start()
    try:
        _wait(lambda: view.get(erased) is not None)
        codec.keys.destroy(erased)
        # A later stage written before the erasure, read after it: it no longer opens.
        producer = Producer({"bootstrap.servers": sealed.kafka.bootstrap, **sealed.kafka.client})
        producer.produce(sealed.topics.name("documents.status"), in_flight, erased.encode())
        assert producer.flush(30) == 0
        _produce(sealed, "documents.status", [(kept, status(kept, "ocr"))])
        _wait(lambda: view.get(kept) is not None)
        assert view.get(erased) is None
    finally:
        view.stop()
