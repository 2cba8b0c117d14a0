"""Issue 14 item 5: data-subject requests over the upload API (admin keys), asynchronous
with a status resource, audited on the real ``admin.actions`` topic, running the same
``streams.privacy`` code as ``inkstream subject`` on chDB, the stack's S3 and real keys."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry
from test_subject_requests import EMAIL, _document, _ids, _sink

from connectors.capture.apikeys import ApiKeyStore
from connectors.capture.http import create_app
from connectors.capture.subject_api import SubjectRequests
from connectors.objectstore.s3 import S3ObjectStore
from inkstream.crypto import DocumentKeys, LocalKeyRing
from session_codec import decode
from streams.audit.query import _Direct
from streams.privacy.erase import erase_subject
from streams.privacy.export import export_subject
from streams.privacy.subject import find_documents
from tests.inkstream.admin_audit_kafka import create_admin_topic, read_admin_actions
from topic_admin import watermarks  # tests/topic_admin.py

pytestmark = pytest.mark.stack


@pytest.fixture
def api(store, audit_settings, tmp_path):
    s3 = S3ObjectStore.from_settings(audit_settings)
    reader = _Direct(store, 10_000)
    keys = DocumentKeys(tmp_path / "documents", LocalKeyRing(tmp_path / "keyring.json"), cache_seconds=0)

    def run_export(email, out, audit, actor):
        report = export_subject(email, out, reader=reader, objects=None, audit=audit, actor=actor)
        return {"request_id": report.request_id, "documents": report.documents, "fields": report.fields}

    def run_erase(email, audit, actor):
        queued = []
        report = erase_subject(email, reader=reader, keys=keys, s3=s3, send=lambda _d, r: queued.append(
            ("privacy.erasures", r)), flush=lambda: _sink(store, queued), audit=audit, actor=actor, wait_s=10,
            poll_s=0.2)
        return report.to_dict()

    create_admin_topic(audit_settings)
    requests = SubjectRequests(tmp_path / "subject-requests", run_export, run_erase)
    key_store = ApiKeyStore(tmp_path / "apikeys.json")
    admin = {"X-API-Key": key_store.create("ops", scopes=("read", "admin"))[1]}
    reader_key = {"X-API-Key": key_store.create("crm-a", scopes=("ingest", "read"))[1]}
    app = create_app(audit_settings, store=object(), producer=object(), keys=key_store, status=None,
                     registry=CollectorRegistry(), subject_requests=requests)
    yield TestClient(app), admin, reader_key, s3, reader, keys
    requests.close()


def _wait(client, headers, req_id) -> dict:
    for _ in range(300):
        body = client.get(f"/v1/subjects/requests/{req_id}", headers=headers).json()
        if body["state"] in ("done", "failed"):
            return body
        time.sleep(0.1)
    raise AssertionError(f"request {req_id} still {body['state']}")


def test_export_then_erase_over_the_api_as_the_cli_does(api, store, audit_settings):
    client, admin, _, s3, reader, keys = api
    d = _ids("api")
    records, files = _document(s3, d["field"], email=EMAIL)
    keys.key(d["field"])  # the codec made it when it sealed the records
    records += _document(s3, d["other"], email="someone@example.org")[0]
    _sink(store, records)

    started = client.post("/v1/subjects/export", headers=admin, json={"email": EMAIL})
    assert started.status_code == 202 and started.json()["state"] in ("queued", "running", "done")
    done = _wait(client, admin, started.json()["id"])
    assert done["state"] == "done" and done["result"]["documents"] == 1, done
    manifest = client.get(f"/v1/subjects/requests/{done['id']}/manifest", headers=admin).json()
    assert [doc["doc_id"] for doc in manifest["documents"]] == [d["field"]]
    assert EMAIL not in client.get(f"/v1/subjects/requests/{done['id']}", headers=admin).text

    refused = client.post("/v1/subjects/erase", headers=admin, json={"email": EMAIL})
    assert refused.status_code == 422 and refused.json()["reason"] == "confirm_required"
    erased = _wait(client, admin, client.post("/v1/subjects/erase", headers=admin,
                                              json={"email": EMAIL, "confirm": True}).json()["id"])
    assert erased["state"] == "done" and erased["result"]["complete"] is True, erased
    assert erased["result"]["keys_destroyed"] == 1 and erased["result"]["object_versions_deleted"] >= 3
    assert find_documents(reader, EMAIL).doc_ids == []            # gone, as `inkstream subject erase` leaves it
    assert s3.versions(files["original"].key) == [] and s3.versions(files["signed"].key) == []

    actions = [decode(v) for _, v in read_admin_actions(audit_settings)]
    assert [(a["action"], a["actor"].split(":")[0]) for a in actions] == [
        ("subject.export", "apikey"), ("subject.export.read", "apikey"), ("subject.erase", "apikey")]
    assert all(EMAIL not in str(a) for a in actions)


def test_only_admin_keys_may_ask_and_unknown_requests_are_404(api):
    client, admin, reader_key, *_ = api
    assert client.post("/v1/subjects/export", headers=reader_key, json={"email": EMAIL}).status_code == 403
    assert client.post("/v1/subjects/erase", json={"email": EMAIL, "confirm": True}).status_code == 401
    assert client.get("/v1/subjects/requests/sr_nope", headers=admin).status_code == 404
    assert client.get("/v1/subjects/requests/..%2Fapikeys", headers=admin).status_code == 404


CLI_EMAIL = "bo.cli@example.com"


def _erasures_on_the_topic(settings) -> list[tuple[str, dict]]:
    """What both paths left on ``privacy.erasures`` for the audit sink, decoded."""
    from confluent_kafka import Consumer, TopicPartition

    from schemas.codec import Codec

    codec, name = Codec.from_settings(settings), settings.topics.name("privacy.erasures")
    consumer = Consumer({"bootstrap.servers": settings.kafka.bootstrap, "group.id": f"t-{time.time_ns()}",
                         "enable.auto.commit": False, "isolation.level": "read_committed"})
    try:
        tp = TopicPartition(name, 0, 0)
        end = watermarks(consumer, tp)[1]
        consumer.assign([tp])
        out, idle = [], 0
        while len(out) < end and idle < 40:
            msg = consumer.poll(0.5)
            if msg is None or msg.error():
                idle += 1
                continue
            out.append(("privacy.erasures", codec.decode(msg.value())))
        return out
    finally:
        consumer.close()


def test_an_api_erasure_leaves_the_end_state_the_cli_erasure_leaves(store, audit_settings, env, monkeypatch,
                                                                     tmp_path):
    """Two subjects with the same kind of document: one erased with ``POST /v1/subjects/erase``
    (the production runner, ``privacy_runners``), one with ``inkstream subject erase``; no sink
    runs, so both leave their records on the real ``privacy.erasures`` topic for it; once the
    sink applied them the two documents are in the same state: no S3 version, key destroyed,
    no personal value in any ClickHouse column, the erasure the last link of the chain, and
    ``audit verify`` intact."""
    import typer
    from typer.testing import CliRunner

    from app.commands.privacy import register
    from streams.privacy.wiring import privacy_runners
    from inkstream.crypto import KeyDestroyed
    from schemas.codec import Codec
    from schemas.sealing import document_keys
    from streams.audit.verify import read_chain, verify
    from test_subject_requests import NAME, _traces
    from tests.topic_admin import create_topics

    monkeypatch.setenv("INKSTREAM_TOPICS__PREFIX", audit_settings.topics.prefix)
    monkeypatch.setenv("INKSTREAM_AUDIT__QUERY_ROW_LIMIT", "10000")
    create_admin_topic(audit_settings)
    create_topics(audit_settings, ["privacy.erasures"])
    s3 = S3ObjectStore.from_settings(audit_settings)
    codec = Codec.from_settings(audit_settings)   # the API process's one codec and key store
    keys = codec.keys
    d = _ids("eq")
    docs = {"api": (d["field"], EMAIL), "cli": (d["signer"], CLI_EMAIL)}
    files, sealed, records = {}, {}, []
    for path, (doc_id, email) in docs.items():
        mine, files[path] = _document(s3, doc_id, email=email)
        records += mine
        sealed[path] = keys.encrypt(doc_id, b"sealed record")
    _sink(store, records + _document(s3, d["other"], email="someone@example.org")[0])

    requests = SubjectRequests(tmp_path / "subject-requests", *privacy_runners(audit_settings, codec))
    key_store = ApiKeyStore(tmp_path / "apikeys.json")
    admin = {"X-API-Key": key_store.create("ops", scopes=("read", "admin"))[1]}
    client = TestClient(create_app(audit_settings, store=object(), producer=object(), keys=key_store, status=None,
                                   registry=CollectorRegistry(), subject_requests=requests))
    try:
        api = _wait(client, admin, client.post("/v1/subjects/erase", headers=admin,
                                               json={"email": EMAIL, "confirm": True}).json()["id"])
    finally:
        requests.close()
    assert api["state"] == "done", api
    cli = typer.Typer()
    register(cli)   # `inkstream subject ...`
    cli_run = CliRunner().invoke(cli, ["subject", "erase", CLI_EMAIL, "--yes", "--json"])
    assert cli_run.exit_code == 3, cli_run.output   # applied later, by the sink: not complete yet
    import json

    by_path = {"api": api["result"], "cli": json.loads(cli_run.stdout[cli_run.stdout.index("{"):])}
    same = ("documents", "keys_destroyed", "object_versions_deleted", "erasure_records_sent", "complete")
    assert {k: by_path["api"].get(k) for k in same} == {k: by_path["cli"].get(k) for k in same}
    assert by_path["api"]["keys_destroyed"] == 1 and by_path["api"]["object_versions_deleted"] == 3

    _sink(store, _erasures_on_the_topic(audit_settings))   # the audit sink applies both
    reader = _Direct(store, 10_000)
    fresh = document_keys(audit_settings)   # another process's view: no cached key

    def end_state(path: str) -> dict:
        doc_id, email = docs[path]
        try:
            fresh.decrypt(doc_id, sealed[path])
            destroyed = False
        except KeyDestroyed:
            destroyed = True
        _, values = store.query("SELECT count() FROM fields WHERE doc_id = {d:String} AND value IS NOT NULL",
                                {"d": doc_id})
        return {"s3_versions": [len(s3.versions(ref.key)) for ref in files[path].values()],
                "key_destroyed": destroyed, "found": find_documents(reader, email).doc_ids,
                "email_anywhere": _traces(store, [email]),
                "personal_in_its_rows": _traces(store, [NAME, "Umbrella Logistics", "203.0.113.7"], doc_id=doc_id),
                "field_values": values[0][0], "last_link": read_chain(reader, doc_id)[-1]["topic"]}

    expected = {"s3_versions": [0, 0], "key_destroyed": True, "found": [], "email_anywhere": [],
                "personal_in_its_rows": [], "field_values": 0, "last_link": "privacy.erasures"}
    assert end_state("api") == end_state("cli") == expected
    assert _traces(store, [NAME], doc_id=d["other"])   # the third document keeps its data
    result = verify(reader, s3)
    assert result.ok, [str(p) for p in result.problems]
    actions = [decode(v) for _, v in read_admin_actions(audit_settings)]
    assert sorted((a["action"], a["actor"].split(":")[0]) for a in actions) == [
        ("subject.erase", "apikey"), ("subject.erase", "os")]
