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
