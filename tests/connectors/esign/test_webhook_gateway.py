"""The webhook gateway, per provider: valid, forged, tampered, replayed, stale, duplicate
and out-of-order deliveries; each asserts the status code, the metric and what was (not)
produced."""

from __future__ import annotations

import hashlib
import json

import pytest
from esign_gateway_harness import KEYS, NOW, PROVIDERS, make_gateway  # tests/connectors/esign/esign_gateway_harness.py

from connectors.esign.simulate import SimSigner, build_request
from connectors.esign.state import initial_state

FAILURES = "inkstream_webhook_verification_failures_total"
EVENTS = "inkstream_webhook_events_total"
WRONG = {"docusign": "not-the-connect-key", "dropbox_sign": "not-the-api-key",
         "acrobat_sign": "CBJCHBCAABAAsomeoneelse", "standard": "whsec_dGhpcyBpcyBub3QgdGhlIHNlY3JldCBhdCBhbGw="}
# How far back a signed event may be before it counts as a replay, per provider settings.
STALE_AGE = {"docusign": 16 * 86400, "dropbox_sign": 5 * 86400, "acrobat_sign": 5 * 86400, "standard": 301}


def _req(provider, step="sent", *, key=None, at=NOW, doc_id="doc-7", envelope_id="env-7", **kw):
    return build_request(provider, step, envelope_id=envelope_id, doc_id=doc_id, key=key or KEYS[provider], at=at, **kw)


def _assert_ack(provider, response):
    assert response.status_code == 200, response.text
    if provider == "dropbox_sign":
        assert response.text == "Hello API Event Received"
    if provider == "acrobat_sign":
        assert response.headers["X-AdobeSign-ClientId"] == KEYS["acrobat_sign"]
        assert response.json()["xAdobeSignClientId"] == KEYS["acrobat_sign"]


def _assert_refused(gateway, provider, response, reason):
    assert response.status_code == 401 and response.json() == {"error": "unverified", "reason": reason}
    assert gateway.metric(FAILURES, provider=provider, reason=reason) == 1
    assert gateway.publisher.on("esign.events") == [] and gateway.publisher.on("esign.envelopes") == []
    rejected = gateway.publisher.on("webhooks.rejected")
    assert [(r["provider"], r["reason"]) for r in rejected] == [(provider, reason)]
    raw = b"".join(raw for _, _, raw in gateway.publisher.records)
    assert KEYS[provider].encode() not in raw and WRONG[provider].encode() not in raw  # no secret audited


@pytest.mark.parametrize("provider", PROVIDERS)
def test_valid_webhook_becomes_exactly_one_esign_event_keyed_by_doc_id(gateway, provider):
    req = _req(provider, "signed", signer=SimSigner(auth_method="sms"))
    response = gateway.post(req)
    _assert_ack(provider, response)
    [event] = gateway.publisher.on("esign.events")
    assert gateway.publisher.keys("esign.events") == ["doc-7"]
    assert (event["doc_id"], event["envelope_id"], event["event_type"], event["provider"]) == \
        ("doc-7", "env-7", "signed", provider)
    assert event["payload_sha256"] == hashlib.sha256(req.content).hexdigest()
    assert event["signer"]["email"] == "ada@example.com" and event["signer"]["name"] == "Ada Lovelace"
    assert event["signer"]["signed_at"] == int(NOW) * 1000
    [state] = gateway.publisher.on("esign.envelopes")
    assert gateway.publisher.keys("esign.envelopes") == ["env-7"]
    assert state["status"] == "signed" and state["seen_event_ids"] == [event["provider_event_id"]]
    assert gateway.metric(EVENTS, provider=provider, event_type="signed", outcome="produced") == 1
    assert gateway.publisher.on("webhooks.rejected") == []


@pytest.mark.parametrize("provider", PROVIDERS)
def test_forged_webhook_signed_with_an_unknown_key_is_refused(gateway, provider):
    response = gateway.post(_req(provider, key=WRONG[provider]))
    _assert_refused(gateway, provider, response, "unknown_client_id" if provider == "acrobat_sign" else "bad_signature")


def _tamper(provider, req):
    """Change what the signature covers. Acrobat Sign signs nothing: its only check is the
    client id, so tampering there means a request without one."""
    if provider == "acrobat_sign":
        return type(req)(req.method, req.path, {"content-type": "application/json"}, req.content), "missing_client_id"
    if provider == "dropbox_sign":  # event_hash covers event_time + event_type
        return type(req)(req.method, req.path, req.headers,
                         req.content.replace(b"signature_request_sent", b"signature_request_all_signed")), "bad_signature"
    return type(req)(req.method, req.path, req.headers, req.content.replace(b"doc-7", b"doc-8")), "bad_signature"


@pytest.mark.parametrize("provider", PROVIDERS)
def test_tampered_webhook_is_refused(gateway, provider):
    tampered, reason = _tamper(provider, _req(provider))
    _assert_refused(gateway, provider, gateway.post(tampered), reason)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_duplicate_delivery_is_acknowledged_and_produced_once(gateway, provider):
    req = _req(provider, event_id="evt-dup-1")
    _assert_ack(provider, gateway.post(req))
    _assert_ack(provider, gateway.post(req))
    assert len(gateway.publisher.on("esign.events")) == 1
    assert gateway.metric(EVENTS, provider=provider, event_type="sent", outcome="duplicate") == 1


@pytest.mark.parametrize("provider", PROVIDERS)
def test_replayed_event_id_is_still_ignored_after_a_restart(gateway, provider):
    req = _req(provider, "delivered", event_id="evt-replay-1")
    _assert_ack(provider, gateway.post(req))
    restarted = gateway.restarted()  # state comes back from esign.envelopes only
    _assert_ack(provider, restarted.post(req))
    [event] = gateway.publisher.on("esign.events")
    assert restarted.metric(EVENTS, provider=provider, event_type=event["event_type"], outcome="duplicate") == 1


@pytest.mark.parametrize("provider", PROVIDERS)
def test_stale_event_outside_the_replay_window_is_refused(gateway, provider):
    response = gateway.post(_req(provider, at=NOW - STALE_AGE[provider]))
    _assert_refused(gateway, provider, response, "stale_timestamp")


@pytest.mark.parametrize("provider", PROVIDERS)
def test_delivered_after_completed_does_not_move_the_envelope_back(gateway, provider):
    _assert_ack(provider, gateway.post(_req(provider, "completed", at=NOW - 10)))
    _assert_ack(provider, gateway.post(_req(provider, "delivered", at=NOW - 20)))
    events = gateway.publisher.on("esign.events")
    assert [e["event_type"] for e in events] == ["completed", "delivered" if provider != "dropbox_sign" else "viewed"]
    assert [s["status"] for s in gateway.publisher.on("esign.envelopes")] == ["completed", "completed"]
    assert gateway.book.get("env-7")["status"] == "completed"


def test_standard_webhook_from_the_future_is_refused(gateway):
    _assert_refused(gateway, "standard", gateway.post(_req("standard", at=NOW + 301)), "future_timestamp")


def test_docusign_accepts_a_signature_made_with_any_configured_key(gateway):
    req = _req("docusign", key="connect-key-2025")  # the older of the two active keys
    headers = {**req.headers, "x-docusign-signature-2": req.headers["x-docusign-signature-1"],
               "x-docusign-signature-1": _req("docusign", key="retired-key").headers["x-docusign-signature-1"]}
    _assert_ack("docusign", gateway.client.post(req.path, headers=headers, content=req.content))
    assert len(gateway.publisher.on("esign.events")) == 1


def test_docusign_without_any_signature_header_is_refused(gateway):
    req = _req("docusign")
    response = gateway.client.post(req.path, headers={"content-type": "application/json"}, content=req.content)
    _assert_refused(gateway, "docusign", response, "missing_signature")


def test_acrobat_sign_verification_get_echoes_a_known_client_id(gateway):
    response = gateway.client.get("/webhooks/acrobat-sign", headers={"X-AdobeSign-ClientId": KEYS["acrobat_sign"]})
    assert response.status_code == 200
    assert response.headers["X-AdobeSign-ClientId"] == KEYS["acrobat_sign"]
    assert response.json() == {"xAdobeSignClientId": KEYS["acrobat_sign"]}


def test_acrobat_sign_verification_get_with_an_unknown_client_id_is_refused(gateway):
    response = gateway.client.get("/webhooks/acrobat-sign", headers={"X-AdobeSign-ClientId": WRONG["acrobat_sign"]})
    _assert_refused(gateway, "acrobat_sign", response, "unknown_client_id")
    assert "X-AdobeSign-ClientId" not in response.headers


def test_acrobat_sign_vendor_sample_payload_is_normalised(gateway):
    from fakes.esign_specs import SPECS

    sample = json.loads((SPECS / "acrobat-sign" / "webhook-payloads" / "AGREEMENT_WORKFLOW_COMPLETED.json").read_text())
    sample.update(webhookNotificationId="7b7c0a9e", event="AGREEMENT_WORKFLOW_COMPLETED", eventDate="2025-11-24T15:59:00Z",
                  participantUserEmail="ada@acme.example", actingUserIpAddress="198.51.100.4")
    sample["agreement"].update(id="CBJCHBCAABAAagreement", externalId={"id": "doc-9"})
    sample["agreement"]["participantSetsInfo"]["participantSets"][0]["memberInfos"][0].update(
        email="ada@acme.example", name="Ada Lovelace")
    response = gateway.client.post("/webhooks/acrobat-sign", content=json.dumps(sample),
                                   headers={"X-AdobeSign-ClientId": KEYS["acrobat_sign"], "content-type": "application/json"})
    _assert_ack("acrobat_sign", response)
    [event] = gateway.publisher.on("esign.events")
    assert (event["doc_id"], event["event_type"], event["provider_event_id"]) == ("doc-9", "completed", "7b7c0a9e")
    assert event["signer"]["ip"] == "198.51.100.4" and event["signer"]["name"] == "Ada Lovelace"
    assert event["provider_time"] == 1_763_999_940_000


def test_dropbox_sign_vendor_fixture_verifies_and_is_acknowledged_without_an_event(gateway):
    """Dropbox Sign's own callback fixture (no signature_request in it): the hash checks out
    with the fixture's API key; nothing to produce."""
    from fakes.esign_specs import SPECS

    fixture = json.loads((SPECS / "dropbox-sign" / "test_fixtures" / "EventCallbackHelper_AccountCallbacks.json").read_text())
    settings = gateway.settings.model_copy(update={"esign": gateway.settings.esign.model_copy(
        update={"max_event_age_s": {}})})  # the fixture is from 2012
    fresh = make_gateway(settings)
    response = fresh.client.post("/webhooks/dropbox-sign", files={"json": (None, json.dumps(fixture["signature_request"]))})
    _assert_ack("dropbox_sign", response)
    assert fresh.publisher.records == []
    assert fresh.metric(EVENTS, provider="dropbox_sign", event_type="none", outcome="ignored") == 1


def test_dropbox_sign_metadata_cannot_re_home_a_known_envelope(gateway):
    """event_hash does not cover the body: the stored envelope's doc id wins over the payload's."""
    gateway.book.apply(initial_state(doc_id="doc-7", provider="dropbox_sign", envelope_id="env-7"))
    _assert_ack("dropbox_sign", gateway.post(_req("dropbox_sign", doc_id="doc-attacker")))
    assert [e["doc_id"] for e in gateway.publisher.on("esign.events")] == ["doc-7"]


def test_event_for_an_unknown_envelope_without_doc_id_goes_to_the_dlq(gateway):
    response = gateway.post(_req("standard", doc_id=None, envelope_id="env-unknown"))
    assert response.status_code == 200 and response.json() == {"status": "unmatched"}
    assert gateway.publisher.on("esign.events") == []
    [dead] = gateway.publisher.on("esign.events.dlq")
    assert dead["error_type"] == "UnmatchedEnvelope" and "env-unknown" in dead["error"]
    assert gateway.metric(EVENTS, provider="standard", event_type="sent", outcome="unmatched") == 1


def test_envelope_state_supplies_doc_id_trace_and_requested_auth_when_the_payload_has_none(gateway):
    gateway.book.apply(initial_state(doc_id="doc-3", provider="acrobat_sign", envelope_id="env-3", trace="trace-3",
                                     auth_method="kba"))
    # Acrobat Sign's payload here has no externalId and does not say how the signer authenticated.
    _assert_ack("acrobat_sign", gateway.post(_req("acrobat_sign", "completed", doc_id=None, envelope_id="env-3")))
    [event] = gateway.publisher.on("esign.events")
    assert (event["doc_id"], event["trace"], event["signer"]["auth_method"]) == ("doc-3", "trace-3", "kba")


def test_verified_body_that_is_not_json_is_a_400_with_reason(gateway):
    from connectors.esign.verify import docusign_signature

    body = b"<xml>not json</xml>"
    response = gateway.client.post("/webhooks/docusign", content=body,
                                   headers={"x-docusign-signature-1": docusign_signature(KEYS["docusign"].encode(), body)})
    assert response.status_code == 400 and response.json()["reason"] == "malformed"
    assert gateway.metric(FAILURES, provider="docusign", reason="malformed") == 1
    assert gateway.publisher.on("esign.events") == []


def test_broker_outage_answers_503_and_the_vendor_retry_is_produced_once(gateway):
    req = _req("docusign", "completed")
    gateway.publisher.fail = True
    response = gateway.post(req)
    assert response.status_code == 503 and response.headers["Retry-After"] == "30"
    assert gateway.book.get("env-7") is None  # nothing remembered: the retry must go through
    gateway.publisher.fail = False
    _assert_ack("docusign", gateway.post(req))
    _assert_ack("docusign", gateway.post(req))
    assert len(gateway.publisher.on("esign.events")) == 1


def test_metrics_endpoint_exposes_verification_failures_without_pii(gateway):
    gateway.post(_req("standard", key=WRONG["standard"]))
    gateway.post(_req("standard"))
    text = gateway.client.get("/metrics").text
    assert 'inkstream_webhook_verification_failures_total{provider="standard",reason="bad_signature"} 1.0' in text
    assert "doc-7" not in text and "ada@example.com" not in text


def test_an_oversized_body_is_refused_before_it_is_read(base_settings):
    from esign_gateway_harness import gateway_settings

    settings = gateway_settings(base_settings)
    settings = settings.model_copy(update={"esign": settings.esign.model_copy(update={"max_webhook_bytes": 100})})
    small = make_gateway(settings)
    response = small.post(_req("docusign"))
    assert response.status_code == 413
    assert small.metric(FAILURES, provider="docusign", reason="too_large") == 1
    assert small.publisher.on("esign.events") == []
