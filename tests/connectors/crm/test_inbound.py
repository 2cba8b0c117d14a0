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


def test_other_events_are_acknowledged_without_acting_and_a_deal_with_nobody_to_sign_is_a_422(hubspot_deal):
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


# --- Zoho Notifications (token in the body) --------------------------------------------------

ZOHO_TOKEN = "inkstream-zoho-channel-token-0001"


@pytest.fixture
def zoho_deal():
    from fakes.crm_zoho import FakeZoho
    fake = FakeZoho(dc="eu")
    settings = load_settings(crm={"zoho": {"auth_url": fake.accounts, "client_id": fake.client_id,
                                           "client_secret": fake.client_secret, "refresh_token": fake.refresh_token}})
    zoho = build_connector(settings, "zoho", client=httpx.Client(transport=fake.transport), dry_run=False,
                           sleep=lambda s: None)
    contact = zoho.apply({"operation": "upsert", "object": "Contacts", "external_id_field": "Email",
                          "external_id": "ada@acme.example", "fields": {"First_Name": "Ada", "Last_Name": "Lovelace"},
                          "links": [], "match": {}})
    deal = zoho.apply({"operation": "upsert", "object": "Deals", "external_id_field": "Inkstream_Document_Id",
                       "external_id": "doc-z9", "fields": {"Deal_Name": "Acme renewal", "Stage": "Negotiation/Review"},
                       "links": [{"object": "Contacts", "external_id_field": "Email", "external_id": "ada@acme.example",
                                  "relationship": "Contact_Name"}], "match": {}})
    from connectors.crm import Attachment
    zoho.apply({"operation": "attach_file", "object": "Deals", "external_id_field": "Inkstream_Document_Id",
                "external_id": "doc-z9", "idempotency_key": "z" * 64, "fields": {}, "links": [], "match": {}},
               Attachment(CONTRACT, "acme-renewal.pdf", "application/pdf", hashlib.sha256(CONTRACT).hexdigest()))
    return fake, zoho, deal.crm_id, contact.crm_id


def _zoho_app(zoho, store, publisher, rejected):
    from connectors.crm.inbound import ZohoStarter
    settings = load_settings(crm={"zoho": {"notify_token": ZOHO_TOKEN}})
    app = FastAPI()
    app.include_router(crm_router(settings, publisher=publisher, clock=lambda: NOW,
                                  zoho_starter=ZohoStarter(zoho, store, esign_provider="simulated"),
                                  reject=lambda provider, reason, **kw: rejected.append((provider, reason))))
    return TestClient(app)


def _notification(deal_id: str, *, token: str = ZOHO_TOKEN, server_time: float = NOW) -> bytes:
    return json.dumps({"server_time": int(server_time * 1000), "query_params": {}, "module": "Deals",
                       "resource_uri": "https://www.zohoapis.eu/crm/v8/Deals", "ids": [deal_id], "operation": "update",
                       "channel_id": "1000000068001", "token": token}).encode()


def test_zoho_notification_with_its_token_starts_a_signature_when_the_deal_asks(zoho_deal):
    fake, zoho, deal_id, _ = zoho_deal
    store, publisher, rejected = MemoryStore(), RecordingPublisher(), []
    client = _zoho_app(zoho, store, publisher, rejected)
    # an edit that does not ask for a signature: acknowledged, nothing started
    assert client.post("/webhooks/crm/zoho", content=_notification(deal_id)).json() == {"started": []}
    fake.records["Deals"][deal_id]["Inkstream_Signature_Status"] = "requested"
    fake.records["Deals"][deal_id]["Modified_Time"] = "2026-11-25T11:00:00+01:00"
    for _ in range(2):  # Zoho notifying the same edit twice makes the same command
        resp = client.post("/webhooks/crm/zoho", content=_notification(deal_id))
        assert resp.status_code == 200 and len(resp.json()["started"]) == 1
    first, second = publisher.on("crm.commands")
    assert first["idempotency_key"] == second["idempotency_key"]
    assert (first["operation"], first["external_id_field"], first["external_id"], first["doc_id"]) == (
        "request_signature", "id", deal_id, "doc-z9")
    assert first["fields"]["signer_email"] == "ada@acme.example" and first["fields"]["crm"] == "zoho"
    assert store.objects[first["file"]["key"]] == CONTRACT and rejected == []


@pytest.mark.parametrize("case,reason", [("wrong_token", "bad_signature"), ("no_token", "missing_signature"),
                                         ("stale", "stale")])
def test_zoho_notification_without_the_token_or_stale_is_refused(zoho_deal, case, reason):
    fake, zoho, deal_id, _ = zoho_deal
    fake.records["Deals"][deal_id]["Inkstream_Signature_Status"] = "requested"
    store, publisher, rejected = MemoryStore(), RecordingPublisher(), []
    client = _zoho_app(zoho, store, publisher, rejected)
    body = {"wrong_token": _notification(deal_id, token="guessed-token"),
            "no_token": _notification(deal_id, token=""),
            "stale": _notification(deal_id, server_time=NOW - 600)}[case]
    resp = client.post("/webhooks/crm/zoho", content=body)
    assert resp.status_code == 401 and rejected == [("zoho", reason)] and publisher.on("crm.commands") == []


# --- Salesforce outbound messages (SOAP, token in the URL, org id in the body) -------------

ORG = "00DXX0000001gPLAAY"
SF_TOKEN = "sf-outbound-url-token-0001"


def _outbound(opp_id: str, *, org: str = ORG, notification: str = "04l5g000001AbCdAAK") -> bytes:
    # The notifications element of the Outbound Messaging WSDL (http://soap.sforce.com/2005/09/outbound).
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"
  xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
 <soapenv:Body>
  <notifications xmlns="http://soap.sforce.com/2005/09/outbound">
   <OrganizationId>{org}</OrganizationId>
   <ActionId>04k5g000000XyZaAAK</ActionId>
   <SessionId xsi:nil="true"/>
   <EnterpriseUrl>https://acme.my.salesforce.com/services/Soap/c/62.0/00DXX0000001gPL</EnterpriseUrl>
   <PartnerUrl>https://acme.my.salesforce.com/services/Soap/u/62.0/00DXX0000001gPL</PartnerUrl>
   <Notification>
    <Id>{notification}</Id>
    <sObject xsi:type="sf:Opportunity" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">
     <sf:Id>{opp_id}</sf:Id>
     <sf:Inkstream_Signature_Status__c>requested</sf:Inkstream_Signature_Status__c>
    </sObject>
   </Notification>
  </notifications>
 </soapenv:Body>
</soapenv:Envelope>""".encode()


@pytest.fixture
def salesforce_opportunity():
    from connectors.crm.setup import run_setup
    from crm_helpers import planned
    from fakes.crm_salesforce import FakeSalesforce
    fake = FakeSalesforce()
    settings = load_settings(crm={"salesforce": {"auth_url": fake.login_url, "client_id": fake.client_id,
                                                 "client_secret": fake.client_secret,
                                                 "refresh_token": fake.refresh_token}})
    sf = build_connector(settings, "salesforce", client=httpx.Client(transport=fake.transport), dry_run=False,
                         sleep=lambda s: None)
    run_setup(sf)
    commands = planned("salesforce", "doc-sf9")
    from connectors.crm import Attachment
    for c in commands:
        sf.apply(c, Attachment(CONTRACT, "contract.pdf", "application/pdf", hashlib.sha256(CONTRACT).hexdigest())
                 if c["operation"] == "attach_file" else None)
    (opp,) = fake.records["Opportunity"].values()
    (contact,) = fake.records["Contact"].values()
    role = {"Id": fake.new_id("OpportunityContactRole"), "OpportunityId": opp["Id"], "ContactId": contact["Id"],
            "IsPrimary": True}
    fake.records.setdefault("OpportunityContactRole", {})[role["Id"]] = role
    opp["Inkstream_Signature_Status__c"] = "requested"
    return fake, sf, opp["Id"]


def _sf_app(sf, store, publisher, rejected):
    from connectors.crm.inbound import SalesforceStarter
    settings = load_settings(crm={"salesforce": {"notify_token": SF_TOKEN, "organization_id": ORG}})
    app = FastAPI()
    app.include_router(crm_router(settings, publisher=publisher, clock=lambda: NOW,
                                  salesforce_starter=SalesforceStarter(sf, store, esign_provider="simulated"),
                                  reject=lambda provider, reason, **kw: rejected.append((provider, reason))))
    return TestClient(app)


def test_salesforce_outbound_message_starts_a_signature_and_is_acknowledged(salesforce_opportunity):
    from connectors.crm.inbound import SOAP_ACK
    fake, sf, opp_id = salesforce_opportunity
    store, publisher, rejected = MemoryStore(), RecordingPublisher(), []
    client = _sf_app(sf, store, publisher, rejected)
    for _ in range(2):  # Salesforce resends a message until it is acknowledged: the same command
        resp = client.post(f"/webhooks/crm/salesforce?token={SF_TOKEN}", content=_outbound(opp_id),
                           headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'})
        assert resp.status_code == 200 and resp.text == SOAP_ACK
    first, second = publisher.on("crm.commands")
    assert first["idempotency_key"] == second["idempotency_key"]
    assert (first["operation"], first["object"], first["external_id_field"], first["external_id"], first["doc_id"]) == (
        "request_signature", "Opportunity", "Id", opp_id, "doc-sf9")
    assert first["fields"]["signer_email"] == "ada@acme.example" and store.objects[first["file"]["key"]] == CONTRACT


@pytest.mark.parametrize("case,reason", [("no_token", "missing_signature"), ("wrong_token", "bad_signature"),
                                         ("other_org", "bad_signature"), ("not_xml", "malformed")])
def test_salesforce_outbound_message_without_the_url_token_or_from_another_org_is_refused(
        salesforce_opportunity, case, reason):
    fake, sf, opp_id = salesforce_opportunity
    store, publisher, rejected = MemoryStore(), RecordingPublisher(), []
    client = _sf_app(sf, store, publisher, rejected)
    url = {"no_token": "/webhooks/crm/salesforce", "wrong_token": "/webhooks/crm/salesforce?token=guess"}.get(
        case, f"/webhooks/crm/salesforce?token={SF_TOKEN}")
    body = {"other_org": _outbound(opp_id, org="00DYY0000009zzzAAA"),
            "not_xml": b"<!DOCTYPE x [<!ENTITY a 'b'>]><x>&a;</x>"}.get(case, _outbound(opp_id))
    resp = client.post(url, content=body, headers={"Content-Type": "text/xml"})
    assert resp.status_code in (400, 401) and rejected == [("salesforce", reason)]
    assert publisher.on("crm.commands") == []


def test_a_verified_request_without_crm_credentials_is_a_503_not_a_crash():
    settings = load_settings(crm={"hubspot": {"client_secret": SECRET}})  # secret to verify, no API token
    publisher, rejected = RecordingPublisher(), []
    app = FastAPI()
    app.include_router(crm_router(settings, publisher=publisher, clock=lambda: NOW,
                                  reject=lambda provider, reason, **kw: rejected.append((provider, reason))))
    client = TestClient(app, base_url="http://gateway.internal")
    body = json.dumps([_event("42")]).encode()
    resp = client.post("/webhooks/crm/hubspot", content=body, headers=_signed(body))
    assert resp.status_code == 503 and publisher.on("crm.commands") == [] and rejected == []


def test_a_contract_already_stored_under_a_lost_key_ring_is_stored_again_and_sent_to_sign(hubspot_deal, tmp_path):
    """The deal's file is already in the bucket (same SHA-256), sealed under a key ring this
    deployment no longer has: the starter stores it again instead of handing the e-sign
    dispatcher a file it cannot open (``connectors/objectstore/readback.py``)."""
    from connectors.capture.ingest import original_key
    from connectors.objectstore.sealed import SealedObjectStore
    from inkstream.crypto import LocalKeyRing
    from connectors.objectstore.testing import VersionedMemoryStore

    fake, hs, deal_id = hubspot_deal
    raw = VersionedMemoryStore()
    key = original_key(hashlib.sha256(CONTRACT).hexdigest())
    SealedObjectStore(raw, LocalKeyRing(tmp_path / "lost.json")).put(key, CONTRACT, content_type="application/pdf")
    store, publisher, rejected = SealedObjectStore(raw, LocalKeyRing(tmp_path / "ring.json")), RecordingPublisher(), []
    client = _router_app(hs, store, publisher, rejected)
    body = json.dumps([_event(deal_id)]).encode()
    assert client.post("/webhooks/crm/hubspot", content=body, headers=_signed(body)).status_code == 200
    (command,) = publisher.on("crm.commands")
    assert (command["file"]["key"], command["file"]["version_id"]) == (key, "v2")
    assert raw.versions[key][1][1]["stored-again"] == "key_unavailable" and len(raw.versions[key]) == 2
    provider = SimulatedProvider()
    run = run_processor(make_dispatcher(load_settings(), providers=lambda name: provider, store=store,
                                        book=EnvelopeBook()), [("crm.commands", command)])
    assert run.dead == [] and len(provider.created) == 1
