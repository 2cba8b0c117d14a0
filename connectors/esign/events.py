"""Provider webhook payloads → one normalised :class:`ProviderEvent`.

Normalised types: sent, delivered, viewed, signed, completed, declined, voided, expired.
A provider event outside that lifecycle (reminders, callback tests, KBA passed) maps to
``event_type=None``: it is acknowledged and counted, not produced.

Provider event ids (the idempotency key for redeliveries):
- DocuSign Connect has no delivery id in the payload: ``envelopeId:event:recipientId:generatedDateTime``
  (unchanged across retries; ``retryCount`` is left out on purpose).
- Dropbox Sign: ``signature_request_id:event_type:event_time:related_signature_id``.
- Acrobat Sign: ``webhookNotificationId``.
- Standard Webhooks: the ``webhook-id`` header (the specification's idempotency key).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from inkstream.errors import EsignError

__all__ = ["ProviderEvent", "parse_docusign", "parse_dropbox_sign", "parse_acrobat_sign", "parse_standard",
           "iso_ms", "LIFECYCLE"]

LIFECYCLE = ("sent", "delivered", "viewed", "signed", "completed", "declined", "voided", "expired")

_DOCUSIGN = {
    "envelope-sent": "sent", "envelope-resent": "sent", "envelope-delivered": "delivered",
    "envelope-completed": "completed", "envelope-declined": "declined", "envelope-voided": "voided",
    "envelope-expired": "expired", "recipient-sent": "sent", "recipient-delivered": "viewed",
    "recipient-completed": "signed", "recipient-declined": "declined",
}
_DROPBOX = {
    "signature_request_sent": "sent", "signature_request_viewed": "viewed",
    "signature_request_signed": "signed", "signature_request_all_signed": "completed",
    "signature_request_declined": "declined", "signature_request_canceled": "voided",
    "signature_request_expired": "expired",
}
_ACROBAT = {
    "AGREEMENT_CREATED": "sent", "AGREEMENT_ACTION_REQUESTED": "delivered", "AGREEMENT_EMAIL_VIEWED": "viewed",
    "AGREEMENT_ACTION_COMPLETED": "signed", "AGREEMENT_WORKFLOW_COMPLETED": "completed",
    "AGREEMENT_REJECTED": "declined", "AGREEMENT_RECALLED": "voided", "AGREEMENT_EXPIRED": "expired",
}
# DocuSign reports how a recipient authenticated per check; the first one present names it.
_DOCUSIGN_AUTH = (("idQuestionsResult", "kba"), ("idLookupResult", "kba"), ("identityVerificationResult", "idv"),
                  ("smsAuthResult", "sms"), ("phoneAuthResult", "phone"), ("accessCodeResult", "access_code"))


@dataclass(frozen=True)
class ProviderEvent:
    provider: str
    envelope_id: str
    event_type: str | None
    provider_event: str
    provider_event_id: str
    provider_time: int | None = None
    doc_id: str | None = None
    signer: dict | None = None


def _shape_checked(provider: str):
    """A payload of the wrong shape (a string where an object belongs, a list for an id)
    is the sender's error: EsignError (→ 400 and a DLQ record), never a 500. Checked on
    the way in (AttributeError/TypeError from the walk) and on the way out (field types
    the esign.events schema needs)."""
    def wrap(parse):
        @functools.wraps(parse)
        def checked(*args, **kwargs) -> ProviderEvent:
            try:
                event = parse(*args, **kwargs)
            except EsignError:
                raise
            except (AttributeError, TypeError, KeyError, ValueError, IndexError, OverflowError) as exc:
                raise EsignError(f"{provider} webhook payload has an unexpected shape ({type(exc).__name__})") from exc
            _check_types(provider, event)
            return event
        return checked
    return wrap


def _check_types(provider: str, event: ProviderEvent) -> None:
    strings = {"envelope_id": event.envelope_id, "provider_event": event.provider_event,
               "provider_event_id": event.provider_event_id}
    bad = [name for name, value in strings.items() if not isinstance(value, str)]
    bad += [name for name in ("doc_id",) if event.doc_id is not None and not isinstance(event.doc_id, str)]
    if event.provider_time is not None and not _is_long(event.provider_time):
        bad.append("provider_time")
    for key, value in (event.signer or {}).items():
        # signed_at is an Avro long: a bigger integer is a bad payload, not a 500 at the
        # publisher (found by fuzz/fuzz_webhooks.py: Dropbox Sign signed_at of 70 digits)
        if value is not None and not (_is_long(value) if key == "signed_at" else isinstance(value, str)):
            bad.append(f"signer.{key}")
    if bad:
        raise EsignError(f"{provider} webhook payload has fields of the wrong type: {', '.join(bad)}")


def _is_long(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and -2**63 <= value < 2**63


def iso_ms(value: Any) -> int | None:
    """ISO 8601 (DocuSign's 7 fractional digits included) → epoch ms; junk → None."""
    if not isinstance(value, str) or not value:
        return None
    text = re.sub(r"(\.\d{6})\d+", r"\1", value.strip()).replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return int(parsed.timestamp() * 1000)


def _need(value: Any, what: str, provider: str) -> str:
    if not isinstance(value, str) or not value:
        raise EsignError(f"{provider} webhook without {what}")
    return value


def _signer(name=None, email=None, ip=None, user_agent=None, auth_method=None, signed_at=None) -> dict | None:
    signer = {"name": name or None, "email": email or None, "ip": ip or None, "user_agent": user_agent or None,
              "auth_method": auth_method or None, "signed_at": signed_at}
    return signer if any(v is not None for v in signer.values()) else None


@_shape_checked("docusign")
def parse_docusign(payload: dict) -> ProviderEvent:
    event = _need(payload.get("event"), "event", "docusign")
    data = payload.get("data") or {}
    summary = data.get("envelopeSummary") or {}
    envelope_id = _need(data.get("envelopeId") or summary.get("envelopeId"), "data.envelopeId", "docusign")
    fields = (summary.get("customFields") or {}).get("textCustomFields") or []
    doc_id = next((f.get("value") for f in fields if f.get("name") == "doc_id" and f.get("value")), None)
    recipient_id = data.get("recipientId") or ""
    signers = (summary.get("recipients") or {}).get("signers") or []
    if recipient_id:
        chosen = [s for s in signers if str(s.get("recipientId")) == str(recipient_id)]
    else:  # envelope-level event: the last signer to sign speaks for the envelope
        chosen = sorted((s for s in signers if s.get("signedDateTime")), key=lambda s: iso_ms(s["signedDateTime"]) or 0)[-1:]
    signer = None
    if chosen:
        s = chosen[0]
        status = s.get("recipientAuthenticationStatus") or {}
        auth = next((m for key, m in _DOCUSIGN_AUTH if status.get(key)), None)
        if auth is None and s.get("idCheckConfigurationName"):
            auth = {"SMS Auth $": "sms", "Phone Auth $": "phone", "ID Check $": "kba"}.get(s["idCheckConfigurationName"])
        signer = _signer(s.get("name"), s.get("email"), auth_method=auth or ("access_code" if s.get("accessCode") else "email"),
                         signed_at=iso_ms(s.get("signedDateTime")))
    generated = payload.get("generatedDateTime") or ""
    return ProviderEvent("docusign", envelope_id, _DOCUSIGN.get(event), event,
                         f"{envelope_id}:{event}:{recipient_id}:{generated}", iso_ms(generated), doc_id, signer)


@_shape_checked("dropbox_sign")
def parse_dropbox_sign(payload: dict) -> ProviderEvent:
    event = payload.get("event") or {}
    event_type = _need(event.get("event_type"), "event.event_type", "dropbox_sign")
    request = payload.get("signature_request") or {}
    envelope_id = request.get("signature_request_id") or ""
    meta = event.get("event_metadata") or {}
    related = meta.get("related_signature_id") or ""
    signature = next((s for s in request.get("signatures") or [] if s.get("signature_id") == related), None)
    if signature is None and _DROPBOX.get(event_type) == "completed":
        signed = [s for s in request.get("signatures") or [] if s.get("signed_at")]
        signature = max(signed, key=lambda s: s["signed_at"]) if signed else None
    signer = None
    if signature:
        auth = "sms" if signature.get("has_sms_auth") else "access_code" if signature.get("has_pin") else "email"
        signed_at = signature.get("signed_at")
        signer = _signer(signature.get("signer_name"), signature.get("signer_email_address"), auth_method=auth,
                         signed_at=int(signed_at) * 1000 if isinstance(signed_at, int) else None)
    event_time = str(event.get("event_time") or "")
    doc_id = (request.get("metadata") or {}).get("doc_id")
    lifecycle = _DROPBOX.get(event_type) if envelope_id else None
    return ProviderEvent("dropbox_sign", envelope_id, lifecycle, event_type,
                         f"{envelope_id}:{event_type}:{event_time}:{related}",
                         int(event_time) * 1000 if event_time.isdigit() else None,
                         str(doc_id) if doc_id else None, signer)


@_shape_checked("acrobat_sign")
def parse_acrobat_sign(payload: dict) -> ProviderEvent:
    event = _need(payload.get("event"), "event", "acrobat_sign")
    notification_id = _need(payload.get("webhookNotificationId"), "webhookNotificationId", "acrobat_sign")
    agreement = payload.get("agreement") or {}
    envelope_id = agreement.get("id") or ""
    doc_id = (agreement.get("externalId") or {}).get("id") or None
    email = payload.get("participantUserEmail") or payload.get("actingUserEmail")
    name = None
    for pset in (agreement.get("participantSetsInfo") or {}).get("participantSets") or []:
        for member in pset.get("memberInfos") or []:
            if email and member.get("email") == email:
                name = member.get("name")
    when = iso_ms(payload.get("eventDate"))
    lifecycle = _ACROBAT.get(event) if envelope_id else None
    signer = _signer(name, email, ip=payload.get("actingUserIpAddress"),
                     signed_at=when if lifecycle in ("signed", "completed") else None)
    return ProviderEvent("acrobat_sign", envelope_id, lifecycle, event, notification_id, when, doc_id, signer)


@_shape_checked("standard")
def parse_standard(payload: dict, webhook_id: str) -> ProviderEvent:
    """Standard Webhooks payload ``{"type": "envelope.<lifecycle>", "timestamp", "data": {...}}``."""
    type_ = _need(payload.get("type"), "type", "standard")
    data = payload.get("data") or {}
    lifecycle = type_.removeprefix("envelope.")
    s = data.get("signer") or {}
    signer = _signer(s.get("name"), s.get("email"), s.get("ip"), s.get("user_agent"), s.get("auth_method"),
                     iso_ms(s.get("signed_at")) if isinstance(s.get("signed_at"), str) else s.get("signed_at"))
    return ProviderEvent("standard", _need(data.get("envelope_id"), "data.envelope_id", "standard"),
                         lifecycle if lifecycle in LIFECYCLE else None, type_, webhook_id,
                         iso_ms(payload.get("timestamp")), data.get("doc_id") or None, signer)
