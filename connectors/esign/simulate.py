"""Build the webhook requests a provider would send, signed the way that provider signs
them, for ``inkstream simulate esign`` and for tests. Shapes follow the vendors' samples:
DocuSign ``connect.schema-v2.json``, Dropbox Sign ``EventCallbackRequest`` (multipart
``json`` part), Acrobat Sign ``webhook-payloads/*.json``, Standard Webhooks spec.

>>> req = build_request("standard", "completed", envelope_id="e1", doc_id="d1",
...                     key="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", at=1614265330)
>>> req.path, req.headers["webhook-signature"].startswith("v1,")
('/webhooks/standard', True)
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone

import httpx

from connectors.esign.verify import docusign_signature, dropbox_sign_event_hash, standard_signature

__all__ = ["SimSigner", "SimRequest", "build_request", "SEQUENCES", "PATHS", "provider_event_name"]

PATHS = {"docusign": "/webhooks/docusign", "dropbox_sign": "/webhooks/dropbox-sign",
         "acrobat_sign": "/webhooks/acrobat-sign", "standard": "/webhooks/standard"}
# Each provider's documented event for a lifecycle step.
_NAMES = {
    "docusign": {"sent": "envelope-sent", "delivered": "envelope-delivered", "viewed": "recipient-delivered",
                 "signed": "recipient-completed", "completed": "envelope-completed",
                 "declined": "envelope-declined", "voided": "envelope-voided"},
    "dropbox_sign": {"sent": "signature_request_sent", "delivered": "signature_request_viewed",
                     "viewed": "signature_request_viewed", "signed": "signature_request_signed",
                     "completed": "signature_request_all_signed", "declined": "signature_request_declined",
                     "voided": "signature_request_canceled", "expired": "signature_request_expired"},
    "acrobat_sign": {"sent": "AGREEMENT_CREATED", "delivered": "AGREEMENT_ACTION_REQUESTED",
                     "viewed": "AGREEMENT_EMAIL_VIEWED", "signed": "AGREEMENT_ACTION_COMPLETED",
                     "completed": "AGREEMENT_WORKFLOW_COMPLETED", "declined": "AGREEMENT_REJECTED",
                     "voided": "AGREEMENT_RECALLED", "expired": "AGREEMENT_EXPIRED"},
    "standard": {s: f"envelope.{s}" for s in ("sent", "delivered", "viewed", "signed", "completed",
                                              "declined", "voided", "expired")},
}
SEQUENCES = {"docusign": ("sent", "delivered", "signed", "completed"),
             "dropbox_sign": ("sent", "viewed", "signed", "completed"),
             "acrobat_sign": ("sent", "delivered", "signed", "completed"),
             "standard": ("sent", "delivered", "signed", "completed")}


def provider_event_name(provider: str, step: str) -> str:
    return _NAMES[provider][step]


@dataclass(frozen=True)
class SimSigner:
    name: str = "Ada Lovelace"
    email: str = "ada@example.com"
    ip: str = "203.0.113.7"           # TEST-NET-3: documentation address
    user_agent: str = "Mozilla/5.0 (inkstream simulate)"
    auth_method: str = "email"


@dataclass(frozen=True)
class SimRequest:
    method: str
    path: str
    headers: dict[str, str]
    content: bytes = field(repr=False)


def _iso(at: float, digits: int = 7) -> str:
    dt = datetime.fromtimestamp(at, tz=timezone.utc)
    frac = f"{dt.microsecond:06d}{'0' * max(0, digits - 6)}"[:digits]
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + frac + "Z"


def build_request(provider: str, step: str, *, envelope_id: str, doc_id: str | None, key: str,
                  at: float, signer: SimSigner = SimSigner(), event_id: str | None = None) -> SimRequest:
    """One signed webhook for ``step`` (sent, delivered, viewed, signed, completed, ...) at epoch ``at``.

    ``key``: DocuSign Connect HMAC key, Dropbox Sign API key, Acrobat Sign client id, or a
    Standard Webhooks ``whsec_`` secret. ``event_id`` fixes the delivery id where the vendor
    sends one (Acrobat Sign, Standard Webhooks); DocuSign and Dropbox Sign deliveries are
    identified by their signed timestamps, so a replay there is the same request resent."""
    build = {"docusign": _docusign, "dropbox_sign": _dropbox_sign, "acrobat_sign": _acrobat_sign,
             "standard": _standard}[provider]
    return build(step, envelope_id, doc_id, key, at, signer, event_id)


def _docusign(step, envelope_id, doc_id, key, at, signer, event_id) -> SimRequest:
    done = step in ("signed", "completed")
    summary = {
        "envelopeId": envelope_id, "status": step if step != "signed" else "sent", "emailSubject": "Please sign",
        "customFields": {"textCustomFields": [{"name": "doc_id", "value": doc_id, "show": "false"}] if doc_id else []},
        "recipients": {"signers": [{
            "name": signer.name, "email": signer.email, "recipientId": "1", "routingOrder": "1",
            "status": "completed" if done else step, "signedDateTime": _iso(at) if done else None,
            **({"recipientAuthenticationStatus": {"smsAuthResult": {"status": "Passed", "eventTimestamp": _iso(at)}}}
               if signer.auth_method == "sms" else {}),
        }]},
    }
    body = {"event": _NAMES["docusign"][step], "apiVersion": "v2.1",
            "uri": f"/restapi/v2.1/accounts/00000000-0000-0000-0000-000000000000/envelopes/{envelope_id}",
            "retryCount": 0, "configurationId": 10000001,
            "generatedDateTime": _iso(at),
            "data": {"accountId": "00000000-0000-0000-0000-000000000000", "envelopeId": envelope_id,
                     **({"recipientId": "1"} if step in ("viewed", "signed") else {}),
                     "envelopeSummary": summary}}
    content = json.dumps(body).encode()
    return SimRequest("POST", PATHS["docusign"], {
        "content-type": "application/json",
        "x-docusign-signature-1": docusign_signature(key.encode(), content)}, content)


def _dropbox_sign(step, envelope_id, doc_id, key, at, signer, event_id) -> SimRequest:
    event_type = _NAMES["dropbox_sign"][step]
    event_time = str(int(at))
    signature_id = hashlib.sha1(f"{envelope_id}:{signer.email}".encode()).hexdigest()[:32]
    done = step in ("signed", "completed")
    payload = {
        "event": {"event_time": event_time, "event_type": event_type,
                  "event_hash": dropbox_sign_event_hash(key.encode(), event_time, event_type),
                  "event_metadata": {"related_signature_id": signature_id if step in ("viewed", "signed", "delivered") else None,
                                     "reported_for_account_id": "63522885f9261e2b04eea043933ee7313eb674fd"}},
        "signature_request": {
            "signature_request_id": envelope_id, "title": "Please sign", "is_complete": step == "completed",
            "metadata": {"doc_id": doc_id} if doc_id else {},
            "signatures": [{"signature_id": signature_id, "signer_email_address": signer.email,
                            "signer_name": signer.name, "order": 0,
                            "status_code": "signed" if done else "awaiting_signature",
                            "signed_at": int(at) if done else None, "has_pin": signer.auth_method == "access_code",
                            "has_sms_auth": signer.auth_method == "sms"}]},
    }
    request = httpx.Request("POST", "http://x" + PATHS["dropbox_sign"], files={"json": (None, json.dumps(payload))})
    return SimRequest("POST", PATHS["dropbox_sign"], {"content-type": request.headers["content-type"]}, request.read())


def _acrobat_sign(step, envelope_id, doc_id, key, at, signer, event_id) -> SimRequest:
    body = {
        "webhookId": "CBJCHBCAABAA-inkstream-sim", "webhookName": "inkstream", "webhookScope": "ACCOUNT",
        "webhookNotificationId": event_id or str(uuid.uuid4()),
        "webhookUrlInfo": {"url": PATHS["acrobat_sign"]}, "event": _NAMES["acrobat_sign"][step],
        "eventDate": datetime.fromtimestamp(at, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventResourceType": "agreement", "participantRole": "SIGNER",
        "participantUserEmail": signer.email, "actingUserEmail": signer.email, "actingUserIpAddress": signer.ip,
        "agreement": {"id": envelope_id, "name": "Please sign", "status": "SIGNED" if step == "completed" else "OUT_FOR_SIGNATURE",
                      **({"externalId": {"id": doc_id}} if doc_id else {}),
                      "participantSetsInfo": {"participantSets": [{"memberInfos": [
                          {"email": signer.email, "name": signer.name, "status": "ACTIVE"}], "order": "1", "role": "SIGNER"}]}},
    }
    return SimRequest("POST", PATHS["acrobat_sign"], {"content-type": "application/json", "x-adobesign-clientid": key},
                      json.dumps(body).encode())


def _standard(step, envelope_id, doc_id, key, at, signer, event_id) -> SimRequest:
    msg_id = event_id or f"msg_{uuid.uuid4().hex}"
    body = {"type": _NAMES["standard"][step], "timestamp": _iso(at, 6),
            "data": {"envelope_id": envelope_id, "doc_id": doc_id,
                     "signer": {"name": signer.name, "email": signer.email, "ip": signer.ip,
                                "user_agent": signer.user_agent, "auth_method": signer.auth_method,
                                "signed_at": _iso(at, 6) if step in ("signed", "completed") else None}}}
    content = json.dumps(body).encode()
    stamp = str(int(at))
    return SimRequest("POST", PATHS["standard"], {
        "content-type": "application/json", "webhook-id": msg_id, "webhook-timestamp": stamp,
        "webhook-signature": standard_signature(key, msg_id, stamp, content)}, content)
