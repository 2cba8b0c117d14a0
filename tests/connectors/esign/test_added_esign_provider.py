"""Adding an e-sign provider is one module plus one registry line: TinySign
(tests/fakes/vendors/tiny_sign.py), registered here through the public registry API, gets
its webhook route on the real gateway, its deliveries verified, parsed and answered by its
own object, its final events confirmed with its own API client, and its scopes, consent
page, simulation and settings taken from that object. Any consumer that still knows
providers by name fails here."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from esign_gateway_harness import NOW, make_gateway

from connectors.access_scopes import scopes_for
from connectors.consent import consent_url
from app.commands.esign import run_simulation
from connectors.esign.confirm import confirming_providers
from connectors.esign.providers import build_provider
from connectors.esign.registry import ESIGN
from connectors.esign.simulate import SEQUENCES, SimSigner, build_request
from fakes.vendors.tiny_sign import REPLY, TINY_SIGN, TinySign, TinySignApi
from inkstream.errors import ConfigError
from inkstream.settings import load_settings

KEY = "tinysign-webhook-key"
EVENTS = "inkstream_webhook_events_total"


@pytest.fixture
def tinysign():
    with ESIGN.registered(TINY_SIGN):   # the one registry line a real provider adds to connectors/esign/registry.py
        yield TINY_SIGN


@pytest.fixture
def api() -> TinySignApi:
    return TinySignApi()


def _settings(**esign):
    # esign.provider names it: a live provider, so final events are confirmed with its API.
    return load_settings(environment="development", esign={
        "provider": "tinysign",
        "tinysign": {"webhook_keys": ["old-key", KEY], "access_token": TinySignApi.token, "integration_key": "ts-app"},
        **esign})


def _gateway(settings, api):
    return make_gateway(settings, providers=confirming_providers(settings, client=httpx.Client(transport=api.transport)))


def _req(step: str, key: str = KEY, envelope_id: str = "env-1", doc_id: str = "doc-9"):
    return build_request("tinysign", step, envelope_id=envelope_id, doc_id=doc_id, key=key, at=NOW,
                         signer=SimSigner("Ada Lovelace", "ada@example.com"))


def test_a_delivery_verified_and_parsed_by_the_added_provider_becomes_one_esign_event(tinysign, api):
    gateway = _gateway(_settings(), api)
    response = gateway.post(_req("signed"))
    assert response.status_code == 200 and response.text == REPLY   # the provider's own answer
    [event] = gateway.publisher.on("esign.events")
    assert (event["provider"], event["envelope_id"], event["doc_id"], event["event_type"]) == \
        ("tinysign", "env-1", "doc-9", "signed")
    assert event["signer"]["email"] == "ada@example.com" and event["signer"]["signed_at"] == int(NOW) * 1000
    assert gateway.metric(EVENTS, provider="tinysign", event_type="signed", outcome="produced") == 1


def test_a_forged_delivery_is_refused_by_the_added_providers_verification(tinysign, api):
    gateway = _gateway(_settings(), api)
    response = gateway.post(_req("signed", key="not-the-key"))
    assert response.status_code == 401 and json.loads(response.content) == {"error": "unverified", "reason": "bad_signature"}
    assert gateway.publisher.on("esign.events") == []
    assert [(r["provider"], r["reason"]) for r in gateway.publisher.on("webhooks.rejected")] == [("tinysign", "bad_signature")]
    unsigned = _req("signed")
    response = gateway.post(type(unsigned)(unsigned.method, unsigned.path, {"content-type": "application/json"},
                                           unsigned.content))
    assert response.status_code == 401 and json.loads(response.content)["reason"] == "missing_signature"


def test_a_replay_older_than_the_added_providers_retry_horizon_is_refused(tinysign, api):
    gateway = _gateway(_settings(), api)
    stale = build_request("tinysign", "signed", envelope_id="env-1", doc_id="doc-9", key=KEY,
                          at=NOW - TINY_SIGN.max_event_age_s - 60)
    response = gateway.post(stale)
    assert response.status_code == 401 and json.loads(response.content)["reason"] == "stale_timestamp"
    assert gateway.publisher.on("esign.events") == []


def test_final_events_are_confirmed_with_the_added_providers_api(tinysign, api):
    gateway = _gateway(_settings(), api)
    api.envelopes["env-1"] = {"status": "sent", "doc": "doc-9"}
    response = gateway.post(_req("completed"))
    assert response.status_code == 401 and json.loads(response.content)["reason"] == "unconfirmed"
    api.envelopes["env-1"] = {"status": "completed", "doc": "doc-9"}
    assert gateway.post(_req("completed")).status_code == 200
    assert [e["event_type"] for e in gateway.publisher.on("esign.events")] == ["completed"]


def test_the_simulation_drives_the_added_providers_sequence_through_the_gateway(tinysign, api):
    settings = _settings()
    gateway = _gateway(settings, api)
    api.envelopes["env-sim"] = {"status": "completed", "doc": "doc-sim"}
    assert SEQUENCES["tinysign"] == TINY_SIGN.sequence
    rows = run_simulation(settings, provider="tinysign", doc_id="doc-sim", url="http://testserver",
                          envelope_id="env-sim", events=list(SEQUENCES["tinysign"]), key=None,
                          signer=SimSigner(), client=gateway.client, start=NOW - 60)
    assert [status for _, status, _ in rows] == [200] * len(TINY_SIGN.sequence)
    assert gateway.book.get("env-sim")["status"] == "completed"


def test_the_added_providers_api_client_scopes_and_consent_come_from_its_object(tinysign, api):
    settings = _settings()
    provider = build_provider(settings, "tinysign", httpx.Client(transport=api.transport))
    assert isinstance(provider, TinySign)
    assert scopes_for("tinysign") == ("envelopes:send", "envelopes:read")
    url = consent_url(settings, "tinysign", redirect_uri="https://inkstream.example/cb", state="st")
    query = parse_qs(urlsplit(url).query)
    assert url.startswith("https://auth.tinysign.test/authorize?")
    assert query["scope"] == ["envelopes:send envelopes:read"] and query["client_id"] == ["ts-app"]
    with pytest.raises(ConfigError, match="tinysign has no credentials"):
        build_provider(load_settings(esign={"provider": "tinysign", "tinysign": {}}), "tinysign", httpx.Client())


def test_an_unregistered_provider_has_no_route_and_its_settings_are_refused(api):
    assert "tinysign" not in ESIGN
    with pytest.raises(ConfigError, match="esign.provider: unknown e-sign provider 'tinysign'"):
        _gateway(_settings(), api)
    with pytest.raises(ConfigError, match="esign.tinysign: not a setting and not a registered e-sign provider"):
        _gateway(_settings(provider="simulated"), api)
    with ESIGN.registered(TINY_SIGN):
        delivery = _req("signed")
    gateway = _gateway(load_settings(environment="development"), api)
    assert gateway.post(delivery).status_code == 404
    with pytest.raises(ConfigError, match="unknown e-sign provider 'tinysign'"):
        build_provider(load_settings(), "tinysign", httpx.Client())
