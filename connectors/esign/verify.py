"""Webhook verification, exactly as each vendor specifies. Pure functions: bytes and
headers in, ``WebhookVerificationError(provider, reason)`` out; the gateway turns that
into a 401, a metric and an audit record. Every comparison is constant-time and every
candidate key is tried (no early exit that would leak which key matched).

- DocuSign Connect: base64 HMAC-SHA256 of the raw body, one ``X-DocuSign-Signature-N``
  header per active key; any match of any header with any configured key passes.
- Dropbox Sign: ``event_hash`` = hex HMAC-SHA256(api key, ``event_time + event_type``).
- Acrobat Sign: no payload signature; the ``X-AdobeSign-ClientId`` header must name a
  configured client id (the gateway echoes it back).
- Standard Webhooks v1: ``v1,<base64 HMAC-SHA256(secret, "{id}.{timestamp}.{body}")>``
  in ``webhook-signature`` (space-separated list), secret ``whsec_<base64>``,
  ``webhook-timestamp`` within ±tolerance of now.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping, Sequence

from inkstream.errors import WebhookVerificationError

__all__ = [
    "verify_docusign", "docusign_signature", "verify_dropbox_sign", "dropbox_sign_event_hash",
    "verify_acrobat_client_id", "verify_standard", "standard_signature", "standard_secret_bytes",
    "check_event_age", "check_standard_secrets",
]

_MAX_DOCUSIGN_HEADERS = 100


def _any_equal(candidates: Sequence[str], presented: Sequence[str]) -> bool:
    ok = False
    for expected in candidates:
        for value in presented:
            ok |= hmac.compare_digest(expected.encode(), value.encode())
    return ok


def docusign_signature(key: bytes, body: bytes) -> str:
    return base64.b64encode(hmac.new(key, body, hashlib.sha256).digest()).decode()


def verify_docusign(body: bytes, headers: Mapping[str, str], keys: Sequence[bytes]) -> None:
    presented = [headers[f"x-docusign-signature-{n}"] for n in range(1, _MAX_DOCUSIGN_HEADERS + 1)
                 if f"x-docusign-signature-{n}" in headers]
    if not presented:
        raise WebhookVerificationError("no X-DocuSign-Signature-N header", provider="docusign", reason="missing_signature")
    if not keys:
        raise WebhookVerificationError("no Connect HMAC key configured", provider="docusign", reason="not_configured")
    if not _any_equal([docusign_signature(k, body) for k in keys], presented):
        raise WebhookVerificationError("no X-DocuSign-Signature-N matches a configured key",
                                       provider="docusign", reason="bad_signature")


def dropbox_sign_event_hash(api_key: bytes, event_time: str, event_type: str) -> str:
    return hmac.new(api_key, f"{event_time}{event_type}".encode(), hashlib.sha256).hexdigest()


def verify_dropbox_sign(event: Mapping, keys: Sequence[bytes]) -> None:
    """``event`` is the callback's ``event`` object (``EventCallbackRequestEvent``)."""
    if not isinstance(event, Mapping):  # a forged body with "event": "..." is unsigned, not a crash
        event = {}
    presented, time_, type_ = event.get("event_hash"), event.get("event_time"), event.get("event_type")
    if not (isinstance(presented, str) and isinstance(time_, str) and isinstance(type_, str)
            and presented and time_ and type_):
        raise WebhookVerificationError("event_hash, event_time or event_type missing",
                                       provider="dropbox_sign", reason="missing_signature")
    if not keys:
        raise WebhookVerificationError("no API key configured", provider="dropbox_sign", reason="not_configured")
    if not _any_equal([dropbox_sign_event_hash(k, time_, type_) for k in keys], [presented.lower()]):
        raise WebhookVerificationError("event_hash does not match", provider="dropbox_sign", reason="bad_signature")


def verify_acrobat_client_id(client_id: str | None, allowed: Sequence[str]) -> str:
    if not client_id:
        raise WebhookVerificationError("no X-AdobeSign-ClientId header", provider="acrobat_sign", reason="missing_client_id")
    if not _any_equal(list(allowed), [client_id]):
        raise WebhookVerificationError("X-AdobeSign-ClientId is not a configured client id",
                                       provider="acrobat_sign", reason="unknown_client_id")
    return client_id


def standard_secret_bytes(secret: str) -> bytes:
    """``whsec_<base64>`` → key bytes, decoded exactly as the reference library
    (``standardwebhooks.Webhook``) does: the prefix is optional and the base64 may be
    unpadded. An empty or undecodable secret is a configuration error (ValueError)."""
    raw = secret[len("whsec_"):] if secret.startswith("whsec_") else secret
    try:
        # The library appends "==" and lets b64decode skip the surplus padding.
        key = base64.b64decode(raw + "==")
    except (binascii.Error, ValueError) as exc:
        raise ValueError("a Standard Webhooks secret must be whsec_ + base64") from exc
    if not key:
        raise ValueError("a Standard Webhooks secret may not be empty")
    return key


def check_standard_secrets(secrets: Sequence[str]) -> None:
    """ConfigError naming the first configured secret no reference library accepts (at start:
    at request time such a secret only ever answers 401 not_configured)."""
    from inkstream.errors import ConfigError

    for number, secret in enumerate(secrets, start=1):
        try:
            standard_secret_bytes(secret)
        except ValueError as exc:
            raise ConfigError(f"esign.standard.webhook_keys[{number}] is not a Standard Webhooks secret "
                              f"(whsec_ + base64, padded or not): {exc}") from None


def standard_signature(secret: str, msg_id: str, timestamp: int | str, body: bytes) -> str:
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(standard_secret_bytes(secret), signed, hashlib.sha256).digest()).decode()


def verify_standard(body: bytes, headers: Mapping[str, str], secrets: Sequence[str], *,
                    now: float, tolerance_s: int = 300) -> None:
    msg_id, stamp, signature = (headers.get(h) for h in ("webhook-id", "webhook-timestamp", "webhook-signature"))
    if not (msg_id and stamp and signature):
        raise WebhookVerificationError("webhook-id, webhook-timestamp and webhook-signature are required",
                                       provider="standard", reason="missing_signature")
    try:
        timestamp = int(stamp)
    except ValueError as exc:
        raise WebhookVerificationError("webhook-timestamp is not an integer", provider="standard",
                                       reason="bad_timestamp") from exc
    if timestamp < now - tolerance_s:
        raise WebhookVerificationError("webhook-timestamp is too old", provider="standard", reason="stale_timestamp")
    if timestamp > now + tolerance_s:
        raise WebhookVerificationError("webhook-timestamp is too new", provider="standard", reason="future_timestamp")
    if not secrets:
        raise WebhookVerificationError("no secret configured", provider="standard", reason="not_configured")
    # Only v1 entries count; other versions are ignored as the specification says.
    presented = [part for part in signature.split(" ") if part.startswith("v1,")]
    expected = []
    for secret in secrets:
        try:
            expected.append(standard_signature(secret, msg_id, stamp, body))
        except ValueError:
            # A secret no reference library accepts either: never a 500; the other keys
            # still count, and with none usable the request is refused as not configured.
            continue
    if not expected:
        raise WebhookVerificationError("no usable secret configured", provider="standard", reason="not_configured")
    if not presented or not _any_equal(expected, presented):
        raise WebhookVerificationError("no v1 signature matches", provider="standard", reason="bad_signature")


def check_event_age(provider: str, event_ms: int | None, *, now: float, max_age_s: int | None,
                    future_s: int = 300) -> None:
    """Refuse a signed event older than the vendor's retry horizon (a replay), or from the future."""
    if event_ms is None or max_age_s is None:
        return
    if event_ms < (now - max_age_s) * 1000:
        raise WebhookVerificationError("event is older than the replay window", provider=provider,
                                       reason="stale_timestamp")
    if event_ms > (now + future_s) * 1000:
        raise WebhookVerificationError("event time is in the future", provider=provider, reason="future_timestamp")
