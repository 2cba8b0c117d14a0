"""Verification primitives against the vendors' own test vectors."""

from __future__ import annotations

import json

import pytest

from connectors.esign.verify import (
    dropbox_sign_event_hash, standard_signature, verify_docusign, verify_dropbox_sign, verify_standard,
)
from inkstream.errors import WebhookVerificationError

# Standard Webhooks reference libraries' vector (see shared/specs/SOURCES.md).
SW_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SW_ID, SW_TS, SW_BODY = "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}'
SW_SIG = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_standard_webhooks_signature_matches_the_reference_vector():
    assert standard_signature(SW_SECRET, SW_ID, SW_TS, SW_BODY) == SW_SIG


def _sw_headers(signature=SW_SIG, ts=SW_TS):
    return {"webhook-id": SW_ID, "webhook-timestamp": str(ts), "webhook-signature": signature}


def test_standard_webhooks_accepts_the_vector_among_several_signatures_and_secrets():
    headers = _sw_headers(f"v1,Zm9vYmFy v2,ignored {SW_SIG}")
    verify_standard(SW_BODY, headers, ["whsec_b3RoZXJzZWNyZXQ=", SW_SECRET], now=SW_TS + 299)


@pytest.mark.parametrize("headers, body, now, reason", [
    (_sw_headers(), SW_BODY + b" ", SW_TS, "bad_signature"),
    (_sw_headers(SW_SIG.replace("v1,", "v2,")), SW_BODY, SW_TS, "bad_signature"),
    (_sw_headers(), SW_BODY, SW_TS + 301, "stale_timestamp"),
    (_sw_headers(), SW_BODY, SW_TS - 301, "future_timestamp"),
    ({**_sw_headers(), "webhook-timestamp": "yesterday"}, SW_BODY, SW_TS, "bad_timestamp"),
    ({"webhook-id": SW_ID}, SW_BODY, SW_TS, "missing_signature"),
])
def test_standard_webhooks_refusals_name_their_reason(headers, body, now, reason):
    with pytest.raises(WebhookVerificationError) as refused:
        verify_standard(body, headers, [SW_SECRET], now=now)
    assert refused.value.reason == reason and refused.value.provider == "standard"


def test_dropbox_sign_event_hash_matches_the_vendor_fixtures():
    from fakes.esign_specs import SPECS

    key = b"324e3b0840f065eb51f3fd63231d0d33daa35d4ed10d27718839e81737065782"
    for name in ("EventCallbackHelper_AccountCallbacks.json", "EventCallbackHelper_AppCallbacks.json"):
        for case in json.loads((SPECS / "dropbox-sign" / "test_fixtures" / name).read_text()).values():
            event = case["event"]
            assert dropbox_sign_event_hash(key, event["event_time"], event["event_type"]) == event["event_hash"]
            verify_dropbox_sign(event, [b"another-key", key])
            with pytest.raises(WebhookVerificationError):
                verify_dropbox_sign(event, [b"another-key"])


def test_docusign_checks_every_signature_header_against_every_key():
    import base64
    import hashlib
    import hmac

    body = b'{"event":"envelope-completed"}'
    good = base64.b64encode(hmac.new(b"key-b", body, hashlib.sha256).digest()).decode()
    verify_docusign(body, {"x-docusign-signature-1": "AAAA", "x-docusign-signature-3": good}, [b"key-a", b"key-b"])
    with pytest.raises(WebhookVerificationError) as refused:
        verify_docusign(body + b" ", {"x-docusign-signature-1": good}, [b"key-a", b"key-b"])
    assert refused.value.reason == "bad_signature"


# Standard Webhooks secrets in every form the official library (`standardwebhooks`) accepts:
# with or without the whsec_ prefix, padded or not. Checked against the library itself.
def _secret_forms(key: bytes) -> list[str]:
    import base64

    padded = base64.b64encode(key).decode()
    return [f"whsec_{padded}", padded, f"whsec_{padded.rstrip('=')}", padded.rstrip("=")]


@pytest.mark.parametrize("secret", [*_secret_forms(b"\x01" * 24), *_secret_forms(b"k3y" * 11),
                                    *_secret_forms(b"x" * 32), *_secret_forms(b"\xfe\xff" * 16),
                                    "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"])
def test_standard_webhooks_secret_forms_sign_and_verify_as_the_official_library_does(secret):
    import time
    from datetime import datetime, timezone

    from standardwebhooks import Webhook

    reference = Webhook(secret)
    by_library = reference.sign(SW_ID, datetime.fromtimestamp(SW_TS, tz=timezone.utc), SW_BODY.decode())
    assert standard_signature(secret, SW_ID, SW_TS, SW_BODY) == by_library
    verify_standard(SW_BODY, _sw_headers(by_library), [secret], now=SW_TS)
    # ... and the library verifies what inkstream signs (it checks its own clock).
    now = int(time.time())
    reference.verify(SW_BODY, _sw_headers(standard_signature(secret, SW_ID, now, SW_BODY), ts=now))


def test_an_unpadded_whsec_secret_through_the_gateway_is_a_200_not_a_500(base_settings):
    import base64
    from datetime import datetime, timezone

    from esign_gateway_harness import NOW, gateway_settings, make_gateway
    from pydantic import SecretStr
    from standardwebhooks import Webhook

    secret = "whsec_" + base64.b64encode(b"an unpadded secret!").decode().rstrip("=")
    assert len(secret[len("whsec_"):]) % 4  # really unpadded
    settings = gateway_settings(base_settings)
    settings = settings.model_copy(update={"esign": settings.esign.model_copy(update={
        "standard": settings.esign.standard.model_copy(update={"webhook_keys": [SecretStr(secret)]})})})
    gateway = make_gateway(settings)
    body = json.dumps({"type": "envelope.sent", "timestamp": "2025-11-24T16:00:00Z",
                       "data": {"envelope_id": "env-unpadded", "doc_id": "doc-unpadded"}}).encode()
    signature = Webhook(secret).sign("msg_unpadded", datetime.fromtimestamp(NOW, tz=timezone.utc), body.decode())
    response = gateway.client.post("/webhooks/standard", content=body, headers={
        "webhook-id": "msg_unpadded", "webhook-timestamp": str(int(NOW)), "webhook-signature": signature})
    assert response.status_code == 200, response.text
    assert [e["doc_id"] for e in gateway.publisher.on("esign.events")] == ["doc-unpadded"]


@pytest.mark.parametrize("secret", ["whsec_", "", "whsec_A"])
def test_a_secret_no_library_accepts_is_refused_as_not_configured_not_a_crash(secret):
    from standardwebhooks import Webhook

    with pytest.raises(Exception):  # noqa: B017 - the library refuses it too, with its own error types
        Webhook(secret)
    with pytest.raises(WebhookVerificationError) as refused:
        verify_standard(SW_BODY, _sw_headers(), [secret], now=SW_TS)
    assert refused.value.reason == "not_configured"
    verify_standard(SW_BODY, _sw_headers(), [secret, SW_SECRET], now=SW_TS)  # the others still count


def test_the_gateway_refuses_to_start_with_a_secret_no_library_accepts(base_settings):
    from pydantic import SecretStr

    from connectors.esign.gateway import webhook_keys
    from connectors.esign.verify import check_standard_secrets
    from inkstream.errors import ConfigError

    def with_keys(*keys):
        esign = base_settings.esign
        settings = base_settings.model_copy(update={"esign": esign.model_copy(update={
            "standard": esign.standard.model_copy(update={"webhook_keys": [SecretStr(k) for k in keys]})})})
        return webhook_keys(settings, "standard")  # what serve() checks before it starts

    check_standard_secrets(with_keys(SW_SECRET, SW_SECRET.removeprefix("whsec_").rstrip("=")))
    with pytest.raises(ConfigError, match=r"webhook_keys\[2\]"):
        check_standard_secrets(with_keys(SW_SECRET, "whsec_"))
