"""The upload API process (``inkstream run api``, ``streams/upload_api.py``) wires the
data-subject requests to ``streams.privacy``; capture's ``create_app`` alone, a layer
below, answers them "not wired" instead of importing upward (tests/test_layers.py)."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry

from connectors.capture.apikeys_shared import open_key_store
from connectors.capture.http import create_app
from inkstream.settings import load_settings

EMAIL = "someone@example.org"


def _settings(tmp_path):
    return load_settings(data_dir=tmp_path)


def _admin(settings) -> dict[str, str]:
    return {"X-API-Key": open_key_store(settings).create("ops", scopes=("read", "admin"))[1]}


def _finished(client: TestClient, headers: dict, req_id: str) -> dict:
    for _ in range(200):
        body = client.get(f"/v1/subjects/requests/{req_id}", headers=headers).json()
        if body["state"] in ("done", "failed"):
            return body
        time.sleep(0.05)
    raise AssertionError(f"request {req_id} still {body['state']}")


def test_create_app_alone_answers_a_subject_request_failed_not_wired(tmp_path):
    settings = _settings(tmp_path)
    admin = _admin(settings)
    app = create_app(settings, store=object(), producer=object(), status=None, registry=CollectorRegistry())
    client = TestClient(app)  # no lifespan: nothing is built from the settings
    started = client.post("/v1/subjects/export", headers=admin, json={"email": EMAIL})
    assert started.status_code == 202
    done = _finished(client, admin, started.json()["id"])
    assert done["state"] == "failed" and "not wired" in done["error"]


def test_the_upload_api_process_runs_subject_requests_with_the_privacy_runners(tmp_path, monkeypatch):
    import streams.privacy.wiring as wiring
    from streams.upload_api import build_app

    calls = []

    def run_export(email, out, audit, actor):
        calls.append(("export", email, actor))
        return {"documents": 0}

    def run_erase(email, audit, actor):
        calls.append(("erase", email, actor))
        return {"complete": True}

    monkeypatch.setattr(wiring, "privacy_runners", lambda s, codec: (run_export, run_erase))
    settings = _settings(tmp_path)
    admin = _admin(settings)
    client = TestClient(build_app(settings))
    exported = _finished(client, admin, client.post("/v1/subjects/export", headers=admin,
                                                    json={"email": EMAIL}).json()["id"])
    erased = _finished(client, admin, client.post("/v1/subjects/erase", headers=admin,
                                                  json={"email": EMAIL, "confirm": True}).json()["id"])
    assert exported["state"] == "done" and exported["result"] == {"documents": 0}
    assert erased["state"] == "done" and erased["result"] == {"complete": True}
    assert [(kind, email) for kind, email, _ in calls] == [("export", EMAIL), ("erase", EMAIL)]
    assert all(actor.startswith("apikey:") for *_, actor in calls)
