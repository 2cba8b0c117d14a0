"""CRM-started signature requests (issue 15 item 5): HubSpot webhooks verified with their
v3 signature start a signature request; forged or stale ones are refused and audited.

The HubSpot side is tests/fakes/crm_hubspot.py (developer docs: Webhooks API request
validation v3, Associations v4, Files v3 signed URLs); the signature vector below is
computed here from the documented recipe (no published test vector exists)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import sys
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr

from connectors.crm.factory import build_connector
from connectors.crm.inbound import HubSpotStarter, crm_router, hubspot_v3_signature, verify_hubspot_v3
from connectors.esign.simulated import SimulatedProvider
from connectors.esign.state import EnvelopeBook
from fakes.crm_hubspot import FakeHubSpot
from inkstream.errors import WebhookVerificationError
from inkstream.settings import load_settings
from streams.esign.dispatcher import make_dispatcher
from streams.runtime.testing import run_processor

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "esign"))
from esign_gateway_harness import RecordingPublisher  # noqa: E402


class MemoryStore:
    """The object-store calls the starter and the dispatcher make, over a dict."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def exists(self, key):
        return self._ref(key) if key in self.objects else None

    def put(self, key, data, *, content_type, metadata=None):
        self.objects[key] = data
        return self._ref(key)

    def get(self, ref):
        return self.objects[ref.key]

    def _ref(self, key):
        from connectors.objectstore import ObjectRef
        data = self.objects[key]
        return ObjectRef("mem", key, "v1", hashlib.sha256(data).hexdigest(), len(data), "application/pdf")

NOW = 1_795_000_000.0
SECRET = "hs-app-client-secret"
URL = "https://hooks.example.com/webhooks/crm/hubspot"
CONTRACT = b"%PDF-1.7 contract for Ada\n%%EOF\n"


def _signed(body: bytes, *, ts_ms: int | None = None, secret: str = SECRET, uri: str = URL) -> dict:
    ts = str(ts_ms if ts_ms is not None else int(NOW * 1000))
    raw = b"POST" + uri.encode() + body + ts.encode()
    sig = base64.b64encode(hmac.new(secret.encode(), raw, hashlib.sha256).digest()).decode()
    return {"X-HubSpot-Signature-v3": sig, "X-HubSpot-Request-Timestamp": ts, "Content-Type": "application/json",
            "X-Forwarded-Proto": "https", "X-Forwarded-Host": "hooks.example.com"}


def _event(deal_id: str, event_id: int = 1001, value: str = "requested") -> dict:
    return {"eventId": event_id, "subscriptionId": 5001, "portalId": 62515, "appId": 8001, "occurredAt": int(NOW * 1000),
            "subscriptionType": "deal.propertyChange", "attemptNumber": 0, "objectId": int(deal_id),
            "propertyName": "inkstream_signature_status", "propertyValue": value, "changeSource": "CRM_UI"}


@pytest.fixture
def hubspot_deal():
    """A HubSpot portal with a deal, its contact and the contract attached as a note."""
    fake = FakeHubSpot()
    settings = load_settings(crm={"hubspot": {"access_token": fake.private_app_token}})
    hs = build_connector(settings, "hubspot", client=httpx.Client(transport=fake.transport), dry_run=False,
                         sleep=lambda s: None)
    deal = hs.apply({"operation": "upsert", "object": "deals", "external_id_field": "inkstream_document_id",
                     "external_id": "doc-h9", "fields": {"dealname": "Acme renewal"}, "links": [], "match": {}})
    contact = hs.apply({"operation": "upsert", "object": "contacts", "external_id_field": "email",
                        "external_id": "ada@acme.example", "fields": {"firstname": "Ada", "lastname": "Lovelace"},
                        "links": [], "match": {}})
    hs._associate("deals", deal.crm_id, "contacts", contact.crm_id)
    from connectors.crm import Attachment
    hs.apply({"operation": "attach_file", "object": "deals", "external_id_field": "inkstream_document_id",
              "external_id": "doc-h9", "idempotency_key": "k" * 64, "fields": {"title": "contract"}, "links": [],
              "match": {}}, Attachment(CONTRACT, "acme-renewal.pdf", "application/pdf",
                                       hashlib.sha256(CONTRACT).hexdigest()))
    fake.requests.clear()
    return fake, hs, deal.crm_id


def _router_app(hs, store, publisher, rejected):
    settings = load_settings(crm={"hubspot": {"client_secret": SECRET}})
    starter = HubSpotStarter(hs, store, esign_provider="simulated")
    app = FastAPI()
    app.include_router(crm_router(settings, publisher=publisher, starter=starter, clock=lambda: NOW,
                                  reject=lambda provider, reason, **kw: rejected.append((provider, reason))))
    return TestClient(app, base_url="http://gateway.internal")


def test_valid_v3_webhook_starts_a_signature_request_once(hubspot_deal):
    fake, hs, deal_id = hubspot_deal
    store, publisher, rejected = MemoryStore(), RecordingPublisher(), []
    client = _router_app(hs, store, publisher, rejected)
    body = json.dumps([_event(deal_id)]).encode()
    resp = client.post("/webhooks/crm/hubspot", content=body, headers=_signed(body))
    assert resp.status_code == 200 and len(resp.json()["started"]) == 1 and rejected == []
    (command,) = publisher.on("crm.commands")  # encoded with the real Avro schema
    assert (command["operation"], command["target"], command["object"], command["external_id"]) == (
        "request_signature", "simulated", "deals", deal_id)
    assert command["doc_id"] == "doc-h9" and command["fields"]["signer_email"] == "ada@acme.example"
    assert store.get(type("R", (), {"key": command["file"]["key"]})) == CONTRACT
    # HubSpot redelivers (attemptNumber 1): acknowledged, no second command
    again = json.dumps([{**_event(deal_id), "attemptNumber": 1}]).encode()
    assert client.post("/webhooks/crm/hubspot", content=again, headers=_signed(again)).status_code == 200
    assert len(publisher.on("crm.commands")) == 1
    # ...and the e-sign dispatcher makes exactly one envelope of it, with the CRM's file
    provider = SimulatedProvider()
    run = run_processor(make_dispatcher(load_settings(), providers=lambda name: provider, store=store,
                                        book=EnvelopeBook()), [("crm.commands", command), ("crm.commands", command)])
    assert run.dead == [] and len(provider.created) == 1
    assert provider.created[0].recipients[0].email == "ada@acme.example"
    (state,) = run.on("esign.envelopes")
    assert (state["crm_target"], state["crm_external_id_field"], state["crm_external_id"]) == (
        "hubspot", "hs_object_id", deal_id)


@pytest.mark.parametrize("case", ["forged", "stale", "unsigned", "other_secret", "tampered_uri"])
def test_forged_or_stale_webhooks_are_refused_audited_and_start_nothing(hubspot_deal, case):
    fake, hs, deal_id = hubspot_deal
    store, publisher, rejected = MemoryStore(), RecordingPublisher(), []
    client = _router_app(hs, store, publisher, rejected)
    body = json.dumps([_event(deal_id)]).encode()
    headers = {
        "forged": {**_signed(body), "X-HubSpot-Signature-v3": base64.b64encode(b"x" * 32).decode()},
        "stale": _signed(body, ts_ms=int((NOW - 301) * 1000)),
        "unsigned": {"Content-Type": "application/json"},
        "other_secret": _signed(body, secret="someone-else"),
        "tampered_uri": _signed(body, uri="https://hooks.example.com/webhooks/crm/other"),
    }[case]
    resp = client.post("/webhooks/crm/hubspot", content=body, headers=headers)
    assert resp.status_code == 401 and resp.json()["error"] == "unverified"
    reason = {"forged": "bad_signature", "stale": "stale", "unsigned": "missing_signature",
              "other_secret": "bad_signature", "tampered_uri": "bad_signature"}[case]
    assert rejected == [("hubspot", reason)] and publisher.on("crm.commands") == []
    assert [r for r in fake.requests if "/files/" in r.url.path] == []  # nothing was fetched either


def test_other_events_are_acknowledged_without_acting_and_a_deal_without_file_is_a_422(hubspot_deal):
    fake, hs, deal_id = hubspot_deal
    store, publisher, rejected = MemoryStore(), RecordingPublisher(), []
    client = _router_app(hs, store, publisher, rejected)
    body = json.dumps([_event(deal_id, value="not_sent"), {**_event(deal_id), "subscriptionType": "deal.creation"}]).encode()
    assert client.post("/webhooks/crm/hubspot", content=body, headers=_signed(body)).json() == {"started": []}
    bare = hs.apply({"operation": "upsert", "object": "deals", "external_id_field": "inkstream_document_id",
                     "external_id": "doc-none", "fields": {"dealname": "no file"}, "links": [], "match": {}})
    body = json.dumps([_event(bare.crm_id, event_id=2002)]).encode()
    resp = client.post("/webhooks/crm/hubspot", content=body, headers=_signed(body))
    assert resp.status_code == 422 and "no contact" in resp.json()["refused"][0]["reason"]
    assert publisher.on("crm.commands") == []


def test_v3_signature_recipe_decodes_the_uri_and_binds_method_body_and_time():
    body = b'[{"eventId":1}]'
    sig = hubspot_v3_signature(SECRET, "post", "https://h.example/hook?x=%3A1", body, "1795000000000")
    raw = b"POSThttps://h.example/hook?x=:1" + body + b"1795000000000"
    assert sig == base64.b64encode(hmac.new(SECRET.encode(), raw, hashlib.sha256).digest()).decode()
    headers = {"x-hubspot-signature-v3": sig, "x-hubspot-request-timestamp": "1795000000000"}
    verify_hubspot_v3("POST", "https://h.example/hook?x=%3A1", body, headers, [SECRET], now=NOW + 299)
    with pytest.raises(WebhookVerificationError):
        verify_hubspot_v3("POST", "https://h.example/hook?x=%3A1", body + b" ", headers, [SECRET], now=NOW)
    with pytest.raises(WebhookVerificationError):
        verify_hubspot_v3("GET", "https://h.example/hook?x=%3A1", body, headers, [SECRET], now=NOW)


def test_the_gateway_app_serves_the_crm_router_and_refuses_a_forged_hubspot_call(base_settings):
    from esign_gateway_harness import NOW as GATEWAY_NOW, make_gateway
    settings = base_settings.model_copy(update={"crm": base_settings.crm.model_copy(update={
        "hubspot": base_settings.crm.hubspot.model_copy(update={"client_secret": SecretStr(SECRET)})})})
    gw = make_gateway(settings)
    body = json.dumps([_event("1")]).encode()
    resp = gw.client.post("/webhooks/crm/hubspot", content=body,
                          headers={**_signed(body, ts_ms=int(GATEWAY_NOW * 1000)), "X-HubSpot-Signature-v3": "Zm9yZ2Vk"})
    assert resp.status_code == 401
    (audit,) = gw.publisher.on("webhooks.rejected")
    assert (audit["provider"], audit["reason"]) == ("hubspot", "bad_signature")
    assert gw.metric("inkstream_webhook_verification_failures_total", provider="hubspot", reason="bad_signature") == 1
