"""Key management on the upload API: only ``admin`` keys, every action on ``admin.actions``
(real Kafka), nothing done when it cannot be audited; last use recorded and shown; a key
speaks for its own source only."""

from __future__ import annotations

import json
import re
import time

import pytest
import typer
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry
from typer.testing import CliRunner

from app.commands import capture as commands
from connectors.capture.apikeys_shared import open_key_store
from connectors.capture.http import create_app
from connectors.capture.status import StatusView
from connectors.capture.testing import make_pdf
from session_codec import decode
from tests.inkstream.admin_audit_kafka import create_admin_topic, read_admin_actions

pytestmark = pytest.mark.stack


@pytest.fixture
def audited(settings, tmp_path):
    """This test's settings (own topic prefix, own data dir) with admin.actions created."""
    s = settings.model_copy(update={"data_dir": tmp_path / "data"})
    create_admin_topic(s)
    return s


@pytest.fixture
def keys(audited):
    return open_key_store(audited)


def _client(settings, memstore, sink, keys) -> TestClient:
    app = create_app(settings, store=memstore, producer=sink, codec=sink.codec, keys=keys,
                     status=StatusView(settings.topics.name("documents.status")), registry=CollectorRegistry())
    return TestClient(app)


@pytest.fixture
def api(audited, memstore, sink, keys):
    with _client(audited, memstore, sink, keys) as client:
        yield client


@pytest.fixture
def admin(keys):
    entry, secret = keys.create("ops", scopes=("admin",))
    return entry, {"X-API-Key": secret}


def _actions(settings) -> list[tuple[bytes | None, dict, bytes]]:
    return [(k, decode(v), v) for k, v in read_admin_actions(settings)]


def _upload(api, headers, text="Doc", **fields):
    return api.post("/v1/documents", headers=headers, files={"file": ("c.pdf", make_pdf(text), "application/pdf")},
                    data=fields)


def test_ingest_and_read_keys_are_403_on_every_admin_endpoint_and_nothing_is_audited(api, keys, audited):
    victim = keys.create("mfp", scopes=("ingest",))[0]
    for scopes in [("ingest",), ("read",), ("ingest", "read")]:
        headers = {"X-API-Key": keys.create("scanner", scopes=scopes)[1]}
        for resp in (api.get("/v1/admin/apikeys", headers=headers),
                     api.post("/v1/admin/apikeys", headers=headers, json={"source": "x", "scopes": ["admin"]}),
                     api.delete(f"/v1/admin/apikeys/{victim.id}", headers=headers)):
            assert resp.status_code == 403 and resp.json()["reason"] == "forbidden", (scopes, resp.text)
    assert api.get("/v1/admin/apikeys").status_code == 401
    assert keys.get(victim.id).revoked_at is None and len(keys.list()) == 4
    assert _actions(audited) == []


def test_an_admin_key_creates_a_working_key_and_the_creation_is_audited(api, admin, audited, sink):
    entry, headers = admin
    resp = api.post("/v1/admin/apikeys", headers=headers, json={"source": "crm-button", "scopes": ["ingest"]})
    assert resp.status_code == 201, resp.text
    created = resp.json()
    assert created["source"] == "crm-button" and created["scopes"] == ["ingest"] and created["last_used_at"] is None
    assert _upload(api, {"X-API-Key": created["key"]}).status_code == 201
    [(key, record, raw)] = _actions(audited)
    assert key == created["id"].encode()
    assert (record["actor"], record["action"], record["target"]) == (f"apikey:{entry.id}", "apikey.create", created["id"])
    assert record["detail"] == {"source": "crm-button", "scopes": "ingest"}
    assert created["key"].encode() not in raw  # never the secret


def test_an_admin_key_revokes_a_key_which_is_refused_next_and_the_revocation_is_audited(api, admin, keys, audited):
    entry, headers = admin
    old, secret = keys.create("old-scanner", scopes=("ingest",))
    assert _upload(api, {"X-API-Key": secret}, "Before").status_code == 201
    resp = api.delete(f"/v1/admin/apikeys/{old.id}", headers=headers)
    assert resp.status_code == 200 and resp.json()["revoked_at"] is not None
    assert _upload(api, {"X-API-Key": secret}, "After").status_code == 401
    again = api.delete(f"/v1/admin/apikeys/{old.id}", headers=headers)
    assert again.status_code == 404 and again.json()["reason"] == "not_found"
    # One record: the refused second revoke changed nothing, so nothing to audit.
    assert [(r["actor"], r["action"], r["target"]) for _, r, _ in _actions(audited)] == [
        (f"apikey:{entry.id}", "apikey.revoke", old.id)]


def test_listing_shows_scopes_state_and_last_use_never_a_secret_and_is_audited(api, admin, keys, audited):
    entry, headers = admin
    used, secret = keys.create("scanner", scopes=("ingest",))
    before = time.time()
    assert _upload(api, {"X-API-Key": secret}).status_code == 201
    resp = api.get("/v1/admin/apikeys", headers=headers)
    assert resp.status_code == 200
    listed = {k["id"]: k for k in resp.json()["keys"]}
    assert before <= listed[used.id]["last_used_at"] <= time.time()
    assert listed[used.id]["scopes"] == ["ingest"] and listed[entry.id]["scopes"] == ["admin"]
    assert secret not in resp.text and used.sha256 not in resp.text
    assert [(r["action"], r["target"]) for _, r, _ in _actions(audited)] == [("apikey.list", "apikeys")]


def test_a_bad_request_is_422_and_creates_and_audits_nothing(api, admin, keys, audited):
    _, headers = admin
    for body in ({"source": "x", "scopes": ["superuser"]}, {"source": "x", "scopes": []},
                 {"source": "bad source!", "scopes": ["read"]}):
        resp = api.post("/v1/admin/apikeys", headers=headers, json=body)
        assert resp.status_code == 422, resp.text
    assert len(keys.list()) == 1 and _actions(audited) == []


def test_when_the_audit_cannot_be_written_nothing_is_created_or_revoked(audited, memstore, sink, keys, monkeypatch):
    import inkstream.admin_audit as admin_audit

    monkeypatch.setattr(admin_audit, "_DELIVERY_TIMEOUT_S", 1.5)
    dead = audited.model_copy(update={"kafka": audited.kafka.model_copy(update={"bootstrap_servers": "127.0.0.1:1"})})
    _, admin_secret = keys.create("ops", scopes=("admin",))
    victim, victim_secret = keys.create("scanner", scopes=("ingest",))
    with _client(dead, memstore, sink, keys) as api:
        headers = {"X-API-Key": admin_secret}
        created = api.post("/v1/admin/apikeys", headers=headers, json={"source": "x", "scopes": ["read"]})
        revoked = api.delete(f"/v1/admin/apikeys/{victim.id}", headers=headers)
        assert [created.status_code, revoked.status_code] == [503, 503]
        assert created.json()["reason"] == "audit_unavailable"
    assert len(keys.list()) == 2 and keys.verify(victim_secret) is not None


def test_a_key_speaks_only_for_its_own_source(api, keys, sink):
    a, secret = keys.create("scanner-a", scopes=("ingest",))
    keys.create("scanner-b", scopes=("ingest",))
    # Whatever the form claims, the record's source_ref is the key's source and id.
    resp = _upload(api, {"X-API-Key": secret}, source="scanner-b", source_ref="scanner-b/x",
                   metadata=json.dumps({"source": "scanner-b"}))
    assert resp.status_code == 201, resp.text
    [record] = sink.decoded("documents.ingested")
    assert record["source_ref"] == f"scanner-a/{a.id}" and record["source"] == "http"


@pytest.fixture
def cli(audited, monkeypatch):
    monkeypatch.setenv("INKSTREAM_DATA_DIR", str(audited.data_dir))
    monkeypatch.setenv("INKSTREAM_TOPICS__PREFIX", audited.topics.prefix)
    monkeypatch.setenv("COLUMNS", "200")  # rich wraps table cells on a narrow terminal
    app = typer.Typer()
    commands.register(app)
    runner = CliRunner()
    return lambda *args: runner.invoke(app, list(args))


def test_cli_create_and_revoke_are_audited_as_the_os_user(cli, audited):
    from inkstream.admin_audit import os_actor

    created = cli("apikey", "create", "scanner-2", "--scope", "ingest", "--scope", "admin")
    assert created.exit_code == 0, created.output
    key_id = re.search(r"id: (\w+)", created.output).group(1)
    assert cli("apikey", "revoke", key_id).exit_code == 0
    assert cli("apikey", "revoke", key_id).exit_code == 1  # already revoked: nothing audited
    assert [(r["actor"], r["action"], r["target"], r["detail"]) for _, r, _ in _actions(audited)] == [
        (os_actor(), "apikey.create", key_id, {"source": "scanner-2", "scopes": "ingest,admin"}),
        (os_actor(), "apikey.revoke", key_id, {"source": "scanner-2", "scopes": "ingest,admin"})]


def test_cli_create_without_kafka_fails_cleanly_and_creates_nothing(cli, audited, keys, monkeypatch):
    import inkstream.admin_audit as admin_audit

    monkeypatch.setattr(admin_audit, "_DELIVERY_TIMEOUT_S", 1.5)
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1")
    result = cli("apikey", "create", "scanner-3", "--scope", "ingest")
    assert result.exit_code == 1 and "refused" in result.output and "Traceback" not in result.output
    assert keys.list() == []


def test_cli_list_shows_when_a_key_was_last_used(cli, audited, memstore, sink, keys):
    used, secret = keys.create("scanner", scopes=("ingest",))
    idle = keys.create("spare", scopes=("ingest",))[0]
    with _client(audited, memstore, sink, keys) as api:  # leaving it flushes last-used times
        assert _upload(api, {"X-API-Key": secret}).status_code == 201
    rows = {line.split("│")[1].strip(): line for line in cli("apikey", "list").output.splitlines()
            if line.count("│") > 5 and line.split("│")[1].strip() in (used.id, idle.id)}
    last_used = {k: row.split("│")[5].strip() for k, row in rows.items()}
    assert last_used[idle.id] == "-"
    assert last_used[used.id] == time.strftime("%Y-%m-%d %H:%M", time.gmtime(keys.get(used.id).last_used_at))
