"""Fuzzing the webhook verifiers, the provider parsers and the gateway (hypothesis,
bounded for CI): random bodies and headers only ever raise the documented errors
(WebhookVerificationError for a failed check, EsignError for a bad payload), and the
gateway answers them with a 4xx and a reason, never a 5xx, never a stack trace."""

from __future__ import annotations

import json

from esign_gateway_harness import KEYS, NOW, gateway_settings, make_gateway
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.esign import events, verify
from inkstream.errors import EsignError, WebhookVerificationError

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                          HealthCheck.too_slow])
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=20)
header_names = st.sampled_from(["x-docusign-signature-1", "x-docusign-signature-2", "webhook-id", "webhook-timestamp",
                                "webhook-signature", "x-adobesign-clientid", "content-type", "x-other"])
headers = st.dictionaries(header_names, st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126),
                                                  max_size=60), max_size=6)
# Payloads that look like each provider's, with the fields the parsers read set to junk.
provider_like = st.fixed_dictionaries({}, optional={
    "event": json_values | st.sampled_from(["envelope-completed", "recipient-completed", "signature_request_signed"]),
    "data": json_values, "type": json_values, "timestamp": json_values, "generatedDateTime": json_values,
    "agreement": json_values, "envelopeId": json_values, "signature_request": json_values,
    "event_time": json_values, "event_type": json_values, "webhookId": json_values, "envelopeSummary": json_values,
})
payloads = provider_like | st.dictionaries(st.text(max_size=12), json_values, max_size=6)


@FUZZ
@given(body=st.binary(max_size=512), hdrs=headers)
def test_docusign_and_standard_verification_of_random_requests_only_ever_refuse(body, hdrs):
    for check in (lambda: verify.verify_docusign(body, hdrs, [KEYS["docusign"].encode()]),
                  lambda: verify.verify_standard(body, hdrs, [KEYS["standard"]], now=NOW)):
        try:
            check()
        except WebhookVerificationError as exc:
            assert exc.reason
        else:
            raise AssertionError(f"a random request verified: {hdrs}")


@FUZZ
@given(event=json_values, client_id=st.none() | st.text(max_size=40))
def test_dropbox_sign_and_acrobat_sign_checks_of_random_input_only_ever_refuse(event, client_id):
    for check in (lambda: verify.verify_dropbox_sign(event if isinstance(event, dict) else {"event": event},
                                                     [KEYS["dropbox_sign"].encode()]),
                  lambda: verify.verify_acrobat_client_id(client_id, [KEYS["acrobat_sign"]])):
        try:
            check()
        except WebhookVerificationError as exc:
            assert exc.reason


@FUZZ
@given(payload=payloads, webhook_id=st.text(max_size=30))
def test_the_provider_parsers_turn_any_json_object_into_an_event_or_an_esign_error(payload, webhook_id):
    for parse in (events.parse_docusign, events.parse_dropbox_sign, events.parse_acrobat_sign,
                  lambda p: events.parse_standard(p, webhook_id)):
        try:
            parse(payload)
        except EsignError:
            pass


def _gateway_requests(payload: dict, raw: bytes, use_raw: bool, extra: dict):
    """One request per provider route, each correctly signed so the parser is reached."""
    body = raw if use_raw else json.dumps(payload).encode()
    docusign = {"x-docusign-signature-1": verify.docusign_signature(KEYS["docusign"].encode(), body),
                "content-type": "application/json"}
    std_headers = {"webhook-id": "msg_fuzz", "webhook-timestamp": str(int(NOW)), "content-type": "application/json"}
    std_headers["webhook-signature"] = verify.standard_signature(KEYS["standard"], "msg_fuzz", int(NOW), body)
    return [("/webhooks/docusign", {**extra, **docusign}, body),
            ("/webhooks/standard", {**extra, **std_headers}, body),
            ("/webhooks/acrobat-sign", {**extra, "x-adobesign-clientid": KEYS["acrobat_sign"],
                                        "content-type": "application/json"}, body),
            ("/webhooks/dropbox-sign", extra, {"json": body.decode("utf-8", "replace")})]


@settings(FUZZ, max_examples=75)
@given(payload=payloads, raw=st.binary(max_size=256), use_raw=st.booleans(), extra=headers)
def test_the_gateway_answers_signed_garbage_with_a_4xx_reason_never_a_5xx_or_a_traceback(
        base_settings, payload, raw, use_raw, extra):
    gateway = _fuzz_gateway(base_settings)
    for path, hdrs, body in _gateway_requests(payload, raw, use_raw, extra):
        hdrs = {k: v for k, v in hdrs.items() if k != "content-length"}
        if isinstance(body, dict):
            resp = gateway.client.post(path, headers=hdrs, data=body)
        else:
            resp = gateway.client.post(path, headers=hdrs, content=body)
        assert resp.status_code < 500, (path, resp.status_code, resp.text)
        assert "Traceback" not in resp.text and 'File "' not in resp.text


_GATEWAYS: dict = {}


def _fuzz_gateway(base_settings):
    """One in-process gateway for all examples (the app is stateless per request)."""
    if "gw" not in _GATEWAYS:
        _GATEWAYS["gw"] = make_gateway(gateway_settings(base_settings))
    return _GATEWAYS["gw"]
