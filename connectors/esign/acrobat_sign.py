"""Adobe Acrobat Sign REST API v6.

Follows ``shared/specs/acrobat-sign/rest-v6/*.json`` (adobe/acrobat-sign, Swagger 1.2):

- ``POST /api/rest/v6/transientDocuments`` (multipart: ``File-Name``, ``Mime-Type``,
  ``File``) → ``{"transientDocumentId"}``;
- ``POST /api/rest/v6/agreements`` with an ``AgreementInfo``: ``fileInfos`` pointing at
  the transient document, ``participantSetsInfo`` (role ``SIGNER``, ``memberInfos`` with
  ``securityOption.authenticationMethod`` NONE / PASSWORD / PHONE / KBA),
  ``externalId.id`` = doc_id (v6's ``AgreementInfo`` has no merge-field property, so the
  external id is the link webhooks carry back in ``agreement.externalId``),
  ``state: IN_PROCESS``; → ``AgreementCreationResponse`` ``{"id"}``; with layout tabs the
  agreement is created in ``AUTHORING``, then ``GET .../members`` (participant set ids),
  ``PUT .../formFields`` (``FormFieldPutInfo``: SIGNATURE, SIGNATURE_DATE and read-only
  pre-filled DATA fields at ``FormFieldLocation``s) and ``PUT .../state`` ``IN_PROCESS``;
- ``GET /api/rest/v6/agreements/{agreementId}`` → ``AgreementInfo`` (``status``: SIGNED,
  APPROVED, ..., OUT_FOR_SIGNATURE, CANCELLED, EXPIRED; ``externalId.id``): what a
  notification is confirmed against, since it carries only the (non-secret) client id;
- ``GET /api/rest/v6/agreements/{agreementId}/combinedDocument`` → ``application/pdf``.

Auth: ``Authorization: Bearer <OAuth access token>`` on every call.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from urllib.parse import urlencode, urlsplit

import httpx

from connectors.esign import CreatedEnvelope, EnvelopeRequest, ProviderStatus, Recipient, Tab
from connectors.esign.events import parse_acrobat_sign
from connectors.esign.httpcall import call, path_segment
from connectors.esign.simulate import SimRequest
from connectors.esign.vendor import EsignVendor, Inbound, json_object
from connectors.esign.verify import verify_acrobat_client_id
from inkstream.errors import EsignError
from inkstream.settings import EsignProviderSettings

__all__ = ["AcrobatSign", "agreement_info", "form_field", "ACROBAT_SIGN"]

# Agreements that no longer count: a new request for the document may be sent.
_DEAD = frozenset({"CANCELLED", "EXPIRED"})
# UserAgreement.status of an agreement still being authored (not sent to anyone yet).
_AUTHORING = frozenset({"WAITING_FOR_AUTHORING", "AUTHORING", "DRAFT"})
# AgreementInfo.status (v6 enum) → the lifecycle events it proves. v6 reports a rejected and
# a recalled agreement both as CANCELLED; every "done" status of a workflow is completion.
_CONFIRMS = {
    "SIGNED": {"completed"}, "APPROVED": {"completed"}, "ACCEPTED": {"completed"}, "DELIVERED": {"completed"},
    "FORM_FILLED": {"completed"}, "CANCELLED": {"declined", "voided"}, "EXPIRED": {"expired"},
}


class AcrobatSign:
    name = "acrobat_sign"

    def __init__(self, client: httpx.Client, *, base_url: str, access_token: str) -> None:
        self._client = client
        self._base = f"{base_url.rstrip('/')}/api/rest/v6"
        self._auth = {"Authorization": f"Bearer {access_token}"}

    def create_envelope(self, request: EnvelopeRequest) -> CreatedEnvelope:
        upload = call(self._client, self.name, "POST", f"{self._base}/transientDocuments", headers=self._auth,
                      data={"File-Name": request.file_name, "Mime-Type": "application/pdf"},
                      files={"File": (request.file_name, request.pdf, "application/pdf")})
        transient_id = upload.json()["transientDocumentId"]
        response = call(self._client, self.name, "POST", f"{self._base}/agreements", headers=self._auth,
                        json=agreement_info(request, transient_id))
        agreement_id = response.json()["id"]
        if request.tabs:
            self._place_fields(agreement_id, request)
        return CreatedEnvelope(self.name, agreement_id, "sent")

    def _place_fields(self, agreement_id: str, request: EnvelopeRequest) -> None:
        """An agreement created in AUTHORING gets its form fields, then goes out (IN_PROCESS)."""
        members = call(self._client, self.name, "GET", f"{self._base}/agreements/{agreement_id}/members",
                       headers=self._auth).json()
        sets = sorted(members.get("participantSets") or [], key=lambda p: p.get("order", 0))
        by_email = {(m.get("email") or "").lower(): p["id"] for p in sets for m in p.get("memberInfos") or []}
        assignees = [by_email.get(r.email.lower()) for r in request.recipients]
        call(self._client, self.name, "PUT", f"{self._base}/agreements/{agreement_id}/formFields", headers=self._auth,
             json={"fields": [form_field(tab, index, assignees) for index, tab in enumerate(request.tabs)]})
        call(self._client, self.name, "PUT", f"{self._base}/agreements/{agreement_id}/state", headers=self._auth,
             json={"state": "IN_PROCESS"})

    def find_envelope(self, request: EnvelopeRequest) -> CreatedEnvelope | None:
        """A live agreement already created for this document (``GET /agreements?externalId=``)."""
        response = call(self._client, self.name, "GET", f"{self._base}/agreements", headers=self._auth,
                        params={"externalId": request.doc_id})
        live = [a for a in response.json().get("userAgreementList") or [] if a.get("status") not in _DEAD]
        if not live:
            return None
        if request.tabs and live[0].get("status") in _AUTHORING:
            # Created, but the process stopped before its fields were placed: finish it.
            self._place_fields(live[0]["id"], request)
        return CreatedEnvelope(self.name, live[0]["id"], "sent")

    def envelope_status(self, envelope_id: str) -> ProviderStatus:
        response = call(self._client, self.name, "GET", f"{self._base}/agreements/{path_segment(envelope_id)}",
                        headers=self._auth)
        agreement = response.json()
        status = str(agreement.get("status") or "")
        return ProviderStatus(status, frozenset(_CONFIRMS.get(status, set())),
                              (agreement.get("externalId") or {}).get("id") or None)

    def download_signed(self, envelope_id: str) -> bytes:
        response = call(self._client, self.name, "GET", f"{self._base}/agreements/{envelope_id}/combinedDocument",
                        headers={**self._auth, "Accept": "application/pdf"})
        return response.content


def agreement_info(request: EnvelopeRequest, transient_id: str) -> dict:
    """The ``AgreementInfo`` body (validated against agreements.json in tests)."""
    return {
        "fileInfos": [{"transientDocumentId": transient_id}],
        "name": request.title,
        "message": request.message,
        "participantSetsInfo": [
            {"memberInfos": [_member(r)], "order": r.routing_order, "role": "SIGNER"}
            for r in request.recipients
        ],
        "signatureType": "ESIGN",
        # With tabs, fields are placed before it goes out (AUTHORING → formFields → IN_PROCESS).
        "state": "AUTHORING" if request.tabs else "IN_PROCESS",
        "externalId": {"id": request.doc_id},
    }


def form_field(tab: Tab, index: int, assignees: list[str | None]) -> dict:
    """A v6 ``FormField`` for a layout tab. ``FormFieldLocation.top`` counts from the page's
    bottom (the spec's wording), the layout's ``y`` from its top."""
    location = {"pageNumber": tab.page, "left": round(tab.x, 1), "top": round(tab.page_height - tab.y, 1),
                "width": round(tab.width, 1), "height": round(tab.height, 1)}
    field = {"name": tab.label or f"inkstream_{tab.kind}_{index}", "locations": [location]}
    if tab.kind == "text":
        return {**field, "inputType": "TEXT_FIELD", "contentType": "DATA", "defaultValue": tab.value or "",
                "readOnly": True, "required": False, "assignee": "NOBODY"}
    assignee = assignees[tab.recipient] if tab.recipient < len(assignees) else None
    if assignee is None:
        raise EsignError("acrobat_sign: the agreement has no participant set for a signer of this request")
    if tab.kind == "signature":
        return {**field, "inputType": "SIGNATURE", "contentType": "SIGNATURE", "required": True, "assignee": assignee}
    return {**field, "inputType": "TEXT_FIELD", "contentType": "SIGNATURE_DATE", "readOnly": True, "assignee": assignee}


def _member(recipient: Recipient) -> dict:
    member: dict = {"email": recipient.email}
    auth = recipient.auth
    if auth == "email":
        return member
    if auth == "access_code":
        if not recipient.access_code:
            raise EsignError("acrobat_sign: authentication 'access_code' needs an access code")
        return {**member, "securityOption": {"authenticationMethod": "PASSWORD", "password": recipient.access_code}}
    if auth in ("sms", "phone"):
        if not recipient.phone:
            raise EsignError(f"acrobat_sign: authentication {auth!r} needs the recipient's phone")
        return {**member, "securityOption": {"authenticationMethod": "PHONE", "phoneInfo": _phone_info(recipient.phone)}}
    if auth == "kba":
        return {**member, "securityOption": {"authenticationMethod": "KBA"}}
    raise EsignError(f"acrobat_sign: recipient authentication {auth!r} is not offered by REST v6 "
                     "(ParticipantSecurityOption: NONE, PASSWORD, PHONE, KBA, WEB_IDENTITY, ADOBE_SIGN; "
                     "supported: email, access_code, sms/phone, kba)")


def _phone_info(phone: str) -> dict:
    # PhoneInfo splits country code and number; "+44 7700900123" carries the split, a bare
    # E.164 number is sent whole (Acrobat Sign then applies the account's default country).
    code, _, number = phone.partition(" ")
    return {"countryCode": code, "phone": number} if number else {"phone": phone}


# --- the provider, as inkstream's registry sees it (connectors/esign/registry.py) -----------

_EVENT_NAMES = {"sent": "AGREEMENT_CREATED", "delivered": "AGREEMENT_ACTION_REQUESTED",
                "viewed": "AGREEMENT_EMAIL_VIEWED", "signed": "AGREEMENT_ACTION_COMPLETED",
                "completed": "AGREEMENT_WORKFLOW_COMPLETED", "declined": "AGREEMENT_REJECTED",
                "voided": "AGREEMENT_RECALLED", "expired": "AGREEMENT_EXPIRED"}


def _authorize_url(section: EsignProviderSettings, params: dict[str, str], scopes: tuple[str, ...]) -> str:
    # The consent page lives on the API host's "secure." twin (api.na1 -> secure.na1).
    api = urlsplit(section.base_url or "https://api.na1.adobesign.com").hostname or ""
    host = "secure." + api.split(".", 1)[1] if api.startswith("api.") else api
    return f"https://{host}/public/oauth/v2?" + urlencode({**params, "scope": " ".join(scopes)})


def _client_id(inbound: Inbound) -> str:
    return inbound.headers.get("x-adobesign-clientid") or ""


async def _verify(inbound: Inbound) -> dict:
    # No payload signature: the notification must name a configured client id (echoed back).
    verify_acrobat_client_id(_client_id(inbound), inbound.keys)
    return json_object(inbound.body) if inbound.request.method == "POST" else {}


def _reply(outcome: str | None, inbound: Inbound):
    from fastapi.responses import JSONResponse

    client_id = _client_id(inbound)
    extra = {} if outcome is None else {"status": outcome}
    return JSONResponse({"xAdobeSignClientId": client_id, **extra}, headers={"X-AdobeSign-ClientId": client_id})


def _simulate(step, envelope_id, doc_id, key, at, signer, event_id) -> SimRequest:
    route = ACROBAT_SIGN.route
    body = {
        "webhookId": "CBJCHBCAABAA-inkstream-sim", "webhookName": "inkstream", "webhookScope": "ACCOUNT",
        "webhookNotificationId": event_id or str(uuid.uuid4()),
        "webhookUrlInfo": {"url": route}, "event": _EVENT_NAMES[step],
        "eventDate": datetime.fromtimestamp(at, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventResourceType": "agreement", "participantRole": "SIGNER",
        "participantUserEmail": signer.email, "actingUserEmail": signer.email, "actingUserIpAddress": signer.ip,
        "agreement": {"id": envelope_id, "name": "Please sign", "status": "SIGNED" if step == "completed" else "OUT_FOR_SIGNATURE",
                      **({"externalId": {"id": doc_id}} if doc_id else {}),
                      "participantSetsInfo": {"participantSets": [{"memberInfos": [
                          {"email": signer.email, "name": signer.name, "status": "ACTIVE"}], "order": "1", "role": "SIGNER"}]}},
    }
    return SimRequest("POST", route, {"content-type": "application/json", "x-adobesign-clientid": key},
                      json.dumps(body).encode())


ACROBAT_SIGN = EsignVendor(
    name="acrobat_sign", label="Acrobat Sign", route="/webhooks/acrobat-sign",
    # POST /transientDocuments and /agreements need agreement_write; GET /agreements and
    # .../combinedDocument need agreement_read (shared/specs/acrobat-sign/rest-v6);
    # `:self` limits both to agreements the integration user sent.
    scopes=("agreement_read:self", "agreement_write:self"), authorize_url=_authorize_url,
    has_credentials=lambda s: s.access_token is not None,
    build=lambda s, client: AcrobatSign(client, base_url=s.base_url, access_token=s.access_token.get_secret_value()),
    # Acrobat Sign verifies intent with a GET that must echo the client id (webhook setup).
    webhook_keys=lambda s: list(s.client_ids), verify=_verify, challenge=True,
    parse=lambda payload, inbound: parse_acrobat_sign(payload), reply=_reply,
    simulate=_simulate, event_names=_EVENT_NAMES)
