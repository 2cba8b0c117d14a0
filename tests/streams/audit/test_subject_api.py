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
