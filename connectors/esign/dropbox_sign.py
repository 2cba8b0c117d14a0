"""Dropbox Sign (HelloSign) API v3.

Follows ``shared/specs/dropbox-sign/openapi.yaml`` (hellosign/hellosign-openapi):

- ``POST /signature_request/send`` (``SignatureRequestSendRequest``) as
  ``multipart/form-data`` (the file travels as ``files[0]``; nested values in the
  bracket notation of the API reference: ``signers[0][email_address]``,
  ``metadata[doc_id]``); signers may have ``pin`` (access code) and
  ``sms_phone_number`` with ``sms_phone_number_type: authentication``; ``order`` = routing
  order; tabs as ``form_fields_per_document`` (``signature``, ``date_signed`` at the layout's
  coordinates, ``text-merge`` pre-filled by ``custom_fields`` of the same name);
  → ``SignatureRequestGetResponse`` (``signature_request.signature_request_id``).
- ``GET /signature_request/{signature_request_id}`` → ``SignatureRequestGetResponse``
  (``is_complete``, ``is_declined``, ``expires_at``, ``metadata.doc_id``); a cancelled request
  answers 410 ("the resource has been deleted", ``POST /signature_request/cancel``): what a
  callback is confirmed against, since its ``event_hash`` covers only time and type;
- ``GET /signature_request/files/{signature_request_id}?file_type=pdf`` → the signed PDF;
  409 while the files are still being prepared (retry).

Auth: HTTP basic with the API key as user name and an empty password (securitySchemes.api_key).
"""

from __future__ import annotations

import hashlib
import json
import time

import httpx

from connectors.esign import CreatedEnvelope, EnvelopeRequest, ProviderStatus, Recipient
from connectors.esign.events import parse_dropbox_sign
from connectors.esign.httpcall import call, path_segment
from connectors.esign.simulate import SimRequest
from connectors.esign.vendor import EsignVendor, Inbound, MalformedWebhook, json_object, secret_values
from connectors.esign.verify import dropbox_sign_event_hash, verify_dropbox_sign
from inkstream.errors import EsignError, WebhookVerificationError
from inkstream.settings import EsignProviderSettings

__all__ = ["DropboxSign", "send_form", "DROPBOX_SIGN", "REPLY"]

# layout tab kind → SubFormFieldsPerDocument* type (the ``type`` discriminator)
_FIELD_TYPES = {"signature": "signature", "date": "date_signed", "text": "text-merge"}


class DropboxSign:
    name = "dropbox_sign"

    def __init__(self, client: httpx.Client, *, api_key: str, base_url: str = "https://api.hellosign.com/v3",
                 test_mode: bool = False) -> None:
        self._client = client
        self._base = base_url.rstrip("/")
        self._auth = httpx.BasicAuth(api_key, "")
        self._test_mode = test_mode

    def create_envelope(self, request: EnvelopeRequest) -> CreatedEnvelope:
        response = call(self._client, self.name, "POST", f"{self._base}/signature_request/send", auth=self._auth,
                        data=send_form(request, test_mode=self._test_mode),
                        files={"files[0]": (request.file_name, request.pdf, "application/pdf")})
        return CreatedEnvelope(self.name, response.json()["signature_request"]["signature_request_id"], "sent")

    def envelope_status(self, envelope_id: str) -> ProviderStatus:
        response = call(self._client, self.name, "GET", f"{self._base}/signature_request/{path_segment(envelope_id)}",
                        auth=self._auth, gone=(410,))
        if response.status_code == 410:
            return ProviderStatus("canceled", frozenset({"voided"}))
        request = response.json().get("signature_request") or {}
        doc_id = (request.get("metadata") or {}).get("doc_id")
        expires = request.get("expires_at")
        if request.get("is_complete") is True:
            status, confirms = "complete", {"completed"}
        elif request.get("is_declined") is True:
            status, confirms = "declined", {"declined"}
        elif isinstance(expires, int) and expires < time.time():
            status, confirms = "expired", {"expired"}
        else:
            status, confirms = "awaiting_signature", set()
        return ProviderStatus(status, frozenset(confirms), str(doc_id) if doc_id else None)

    def download_signed(self, envelope_id: str) -> bytes:
        response = call(self._client, self.name, "GET", f"{self._base}/signature_request/files/{envelope_id}",
                        params={"file_type": "pdf"}, auth=self._auth, not_ready=(409,))
        return response.content


def send_form(request: EnvelopeRequest, *, test_mode: bool = False) -> dict[str, str]:
    """The form fields of ``signature_request/send`` (everything but the file)."""
    form = {
        "title": request.title, "subject": request.title, "message": request.message,
        "metadata[doc_id]": request.doc_id,
        "metadata[idempotency_key]": request.idempotency_key,
        "test_mode": "1" if test_mode else "0",
    }
    for index, recipient in enumerate(request.recipients):
        for key, value in _signer(recipient).items():
            form[f"signers[{index}][{key}]"] = value
    merged = 0
    for index, tab in enumerate(request.tabs):
        field = {"document_index": "0", "api_id": f"inkstream_{tab.kind}_{index}", "name": tab.label or tab.kind,
                 "type": _FIELD_TYPES[tab.kind], "page": str(tab.page), "x": str(round(tab.x)), "y": str(round(tab.y)),
                 "width": str(round(tab.width)), "height": str(round(tab.height)),
                 "required": "0" if tab.kind == "text" else "1", "signer": str(tab.recipient)}
        for key, value in field.items():
            form[f"form_fields_per_document[{index}][{key}]"] = value
        if tab.kind == "text":
            # A merge field is pre-filled by the custom field of the same name.
            form[f"custom_fields[{merged}][name]"] = field["api_id"]
            form[f"custom_fields[{merged}][value]"] = tab.value or ""
            merged += 1
    return form


def _signer(recipient: Recipient) -> dict[str, str]:
    signer = {"name": recipient.name, "email_address": recipient.email, "order": str(recipient.routing_order - 1)}
    auth = recipient.auth
    if auth == "email":
        return signer
    if auth == "access_code":
        if not recipient.access_code or not 4 <= len(recipient.access_code) <= 12:
            raise EsignError("dropbox_sign: an access code (pin) must have 4 to 12 characters")
        return {**signer, "pin": recipient.access_code}
    if auth == "sms":
        if not recipient.phone:
            raise EsignError("dropbox_sign: authentication 'sms' needs the recipient's phone")
        return {**signer, "sms_phone_number": recipient.phone.replace(" ", ""),
                "sms_phone_number_type": "authentication"}
    raise EsignError(f"dropbox_sign: recipient authentication {auth!r} is not offered by the Dropbox Sign API "
                     "(signers offer only pin and sms_phone_number; supported: email, access_code, sms)")


# --- the provider, as inkstream's registry sees it (connectors/esign/registry.py) -----------

# The reply the Dropbox Sign callback expects, or it retries (Events and callbacks walkthrough).
REPLY = "Hello API Event Received"
_EVENT_NAMES = {"sent": "signature_request_sent", "delivered": "signature_request_viewed",
                "viewed": "signature_request_viewed", "signed": "signature_request_signed",
                "completed": "signature_request_all_signed", "declined": "signature_request_declined",
                "voided": "signature_request_canceled", "expired": "signature_request_expired"}


def _webhook_keys(section: EsignProviderSettings) -> list[str]:
    # The callback's event_hash is keyed with the API key when one is set.
    return [section.api_key.get_secret_value()] if section.api_key is not None else secret_values(section)


async def _verify(inbound: Inbound) -> dict:
    try:
        form = await inbound.request.form()
    except Exception as exc:  # python-multipart refuses a broken body
        raise MalformedWebhook("body is not a form") from exc
    part = form.get("json")
    if part is None:
        raise WebhookVerificationError("no json part", provider="dropbox_sign", reason="missing_signature")
    payload = json_object(part if isinstance(part, str) else await part.read())
    verify_dropbox_sign(payload.get("event") or {}, [k.encode() for k in inbound.keys])
    return payload


def _reply(outcome: str | None, inbound: Inbound):
    from fastapi.responses import PlainTextResponse

    return PlainTextResponse(REPLY)


def _simulate(step, envelope_id, doc_id, key, at, signer, event_id) -> SimRequest:
    event_type = _EVENT_NAMES[step]
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
    route = DROPBOX_SIGN.route
    request = httpx.Request("POST", "http://x" + route, files={"json": (None, json.dumps(payload))})
    return SimRequest("POST", route, {"content-type": request.headers["content-type"]}, request.read())


DROPBOX_SIGN = EsignVendor(
    name="dropbox_sign", label="Dropbox Sign", route="/webhooks/dropbox-sign",
    # An API key (HTTP basic) cannot be scoped: no OAuth scopes are requested at all.
    scopes=(),
    has_credentials=lambda s: s.api_key is not None,
    build=lambda s, client: DropboxSign(client, base_url=s.base_url, api_key=s.api_key.get_secret_value()),
    webhook_keys=_webhook_keys, verify=_verify, parse=lambda payload, inbound: parse_dropbox_sign(payload),
    reply=_reply, simulate=_simulate, sequence=("sent", "viewed", "signed", "completed"), event_names=_EVENT_NAMES)
