"""API keys shared by N upload API instances through Kafka (``state.backend: kafka``): two
stores (two hosts: data dirs of their own, one broker), every change audited first."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry

from connectors.capture.apikey_admin import create_key, revoke_key
from connectors.capture.apikeys_shared import open_key_store
from connectors.capture.apikeys_shared import SharedApiKeyStore
from connectors.capture.http import create_app
from connectors.capture.sink import KafkaRecordSink
from connectors.capture.status import StatusView
from connectors.capture.testing import make_pdf
from connectors.objectstore import open_store
from session_codec import decode
from tests.inkstream.admin_audit_kafka import read_admin_actions
from schemas.codec import Codec

from tests.polling import until

pytestmark = pytest.mark.stack


@pytest.fixture
def hosts(settings, tmp_path, kafka_topics):
    # Document keys where both hosts reach them (the key service's part of issue 13, not this test's).
    crypto = settings.crypto.model_copy(update={"document_keys_dir": tmp_path / "documents",
                                                "keyring_file": tmp_path / "keyring.json"})
    base = settings.model_copy(update={"state": settings.state.model_copy(update={"backend": "kafka"}),
                                       "crypto": crypto})
    kafka_topics(base, {"admin.actions": 1, "documents.ingested": 1, "documents.ingested.priority": 1,
                        "documents.status": 1})
    made: list[SharedApiKeyStore] = []

    def host(name: str):
        s = base.model_copy(update={"data_dir": tmp_path / f"host-{name}"})
        store = open_key_store(s)
        made.append(store)
        return s, store

    yield host
    for store in made:
        store.close()
    from topic_admin import delete_topics
    delete_topics(base, [base.topics.name("admin.state")])


def test_a_key_created_on_one_host_verifies_on_another_and_a_revocation_follows(hosts):
    (sa, a), (sb, b) = hosts("a"), hosts("b")
    assert isinstance(a, SharedApiKeyStore) and not (sa.data_dir / "capture" / "apikeys.json").exists()
    entry, secret = create_key(sa, a, actor="os:test", source="crm-a", scopes=("ingest", "read"))
    assert a.verify(secret).source == "crm-a"  # at once where it was made
    reached = until(lambda: b.verify(secret) is not None)
    assert b.verify(secret).source_ref == f"crm-a/{entry.id}" and reached < 5
    assert b.verify(secret[:-1] + ("x" if secret[-1] != "x" else "y")) is None  # the hash still decides

    assert revoke_key(sb, b, actor="os:test", key_id=entry.id)  # revoked on the OTHER host
    assert b.verify(secret) is None
    stopped = until(lambda: a.verify(secret) is None)
    assert stopped < 5
    actions = [decode(v) for _, v in read_admin_actions(sa)]
    assert [(r["action"], r["target"]) for r in actions] == [("apikey.create", entry.id), ("apikey.revoke", entry.id)]
    # The table holds the hash, never the key.
    assert a._entries.get(entry.id)["sha256"] != secret and secret not in str(a._entries.items())


def test_a_stale_last_use_write_never_brings_a_revoked_key_back(hosts):
    (sa, a), (_, b) = hosts("a"), hosts("b")
    entry, secret = create_key(sa, a, actor="os:test", source="crm-a", scopes=("ingest",))
    until(lambda: b.verify(secret) is not None)
    revoke_key(sa, a, actor="os:test", key_id=entry.id)
    b._last_flush = 0.0  # B's next use writes its last-use time (as once a minute)
    b.verify(secret)
    b.flush()
    until(lambda: b.verify(secret) is None)
    (_, c) = hosts("c")  # a host started afterwards reads the whole table
    assert c.verify(secret) is None and c.get(entry.id).revoked_at is not None
    assert c.get(entry.id).last_used_at is not None  # the use was recorded, apart from the entry


def test_an_upload_with_a_key_made_on_host_a_is_taken_by_host_b_and_read_back_on_a(hosts):
    (sa, a), (sb, b) = hosts("a"), hosts("b")
    _, secret = create_key(sa, a, actor="os:test", source="crm-a", scopes=("ingest", "read"))
    header = {"X-API-Key": secret}
    apps, closers = [], []
    for s, keys in ((sa, a), (sb, b)):
        producer, view = KafkaRecordSink.from_settings(s), StatusView.from_settings(s, Codec.from_settings(s)).start()
        closers += [view.stop, producer.close]
        apps.append(TestClient(create_app(s, store=open_store(s), producer=producer, keys=keys, status=view,
                                          registry=CollectorRegistry())))
    try:
        with apps[0] as api_a, apps[1] as api_b:
            until(lambda: b.verify(secret) is not None)
            resp = api_b.post("/v1/documents", headers=header,
                              files={"file": ("c.pdf", make_pdf(f"Shared key {uuid.uuid4()}"), "application/pdf")})
            assert resp.status_code == 201, resp.text
            doc_id = resp.json()["doc_id"]
            until(lambda: api_a.get(f"/v1/documents/{doc_id}", headers=header).status_code == 200, 20)
    finally:
        for close in closers:
            close()
