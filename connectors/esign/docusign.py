"""DocuSign eSignature REST API v2.1.

Follows ``shared/specs/docusign/esignature.rest.swagger-v2.1.json`` (docusign/OpenAPI-Specifications):

- ``POST /v2.1/accounts/{accountId}/envelopes`` with an ``envelopeDefinition``: the PDF
  as ``documents[].documentBase64``, ``customFields.textCustomFields`` holding ``doc_id``
  (and the command's idempotency key) so Connect events link back, ``status: "sent"``;
  201 returns an ``envelopeSummary`` (``envelopeId``).
- ``GET /v2.1/accounts/{accountId}/envelopes/{envelopeId}?include=custom_fields`` → the
  ``envelope`` (``status``: completed, declined, voided, sent, delivered, ...; the ``doc_id``
  text custom field): what a Connect event is confirmed against;
- ``GET /v2.1/accounts/{accountId}/envelopes/{envelopeId}/documents/combined`` →
  ``application/pdf`` (every document merged, signed).
- Tabs per signer (``signHereTabs``, ``dateSignedTabs``, locked pre-filled ``textTabs``),
  placed by ``anchorString`` + offsets when the anchor text is unique in the document, else
  by ``pageNumber``/``xPosition``/``yPosition`` (connectors.esign.layout); ``routingOrder``
  per signer.
- Recipient authentication on ``signer``: ``accessCode``; ID verification
  (``identityVerification.workflowId``, the account's IDV workflow); SMS
  (``idCheckConfigurationName: "SMS Auth $"`` + ``smsAuthentication.senderProvidedNumbers``);
  phone (``"Phone Auth $"`` + ``phoneAuthentication``); KBA (``"ID Check $"``).
- OAuth: a configured access token, or the JWT grant (``grant_type=urn:ietf:params:oauth:
  grant-type:jwt-bearer`` at ``{oauth_base}/oauth/token``, RS256 assertion with
  ``iss`` integration key, ``sub`` user id, ``aud`` account server host,
  ``scope: "signature impersonation"``, ``DOCUSIGN.scopes`` below), cached until
  shortly before expiry.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable
from urllib.parse import urlencode

import httpx

from connectors.esign import CreatedEnvelope, EnvelopeRequest, ProviderStatus, Recipient, Tab
from connectors.esign.events import parse_docusign
from connectors.esign.httpcall import call, path_segment
from connectors.esign.simulate import SimRequest, sim_iso
from connectors.esign.vendor import EsignVendor, Inbound, json_object
from connectors.esign.verify import docusign_signature, verify_docusign
from inkstream.errors import ConfigError, EsignError
from inkstream.settings import EsignProviderSettings

__all__ = ["DocuSign", "jwt_assertion", "DOC_ID_FIELD", "IDEMPOTENCY_FIELD", "DOCUSIGN"]

DOC_ID_FIELD = "doc_id"
IDEMPOTENCY_FIELD = "inkstream_idempotency_key"
_JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
_LOOKBACK_S = 90 * 86400  # how far back find_envelope looks (DocuSign requires a from_date)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt_assertion(*, integration_key: str, user_id: str, audience: str, private_key_pem: bytes,
                  now: float | None = None, lifetime_s: int = 3600) -> str:
    """The RS256 JWT DocuSign's JWT grant expects (built with ``cryptography``)."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    issued = int(now if now is not None else time.time())
    header = {"alg": "RS256", "typ": "JWT"}
    claims = {"iss": integration_key, "sub": user_id, "aud": audience, "iat": issued,
              "exp": issued + lifetime_s, "scope": " ".join(DOCUSIGN.scopes)}
    signing_input = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
    key = serialization.load_pem_private_key(private_key_pem, password=None)
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{_b64url(signature)}"


class DocuSign:
    """``DocuSign(client, base_url=..., account_id=..., access_token=... | jwt=...)``."""

    name = "docusign"

    def __init__(self, client: httpx.Client, *, base_url: str, account_id: str,
                 access_token: str | None = None, oauth_base: str | None = None,
                 integration_key: str | None = None, user_id: str | None = None,
                 private_key_pem: bytes | None = None, clock: Callable[[], float] = time.time,
                 idv_workflow_id: str | None = None) -> None:
        if not access_token and not (oauth_base and integration_key and user_id and private_key_pem):
            raise ConfigError("DocuSign needs esign.docusign.access_token or the JWT grant settings "
                              "(oauth_base, integration_key, user_id, private_key_file)")
        self._client = client
        self._base = f"{base_url.rstrip('/')}/v2.1/accounts/{account_id}"
        self._static_token = access_token
        self._jwt = (oauth_base, integration_key, user_id, private_key_pem)
        self._clock = clock
        self._idv_workflow_id = idv_workflow_id
        self._token: tuple[str, float] | None = None
        self._lock = threading.Lock()

    def _bearer(self) -> dict[str, str]:
        if self._static_token:
            return {"Authorization": f"Bearer {self._static_token}"}
        with self._lock:
            if self._token is None or self._clock() >= self._token[1]:
                self._token = self._jwt_token()
            return {"Authorization": f"Bearer {self._token[0]}"}

    def _jwt_token(self) -> tuple[str, float]:
        oauth_base, integration_key, user_id, pem = self._jwt
        assertion = jwt_assertion(integration_key=integration_key, user_id=user_id,
                                  audience=httpx.URL(oauth_base).host, private_key_pem=pem, now=self._clock())
        response = call(self._client, self.name, "POST", f"{oauth_base.rstrip('/')}/oauth/token",
                        data={"grant_type": _JWT_GRANT, "assertion": assertion})
        body = response.json()
        # Refresh a minute early so a request never leaves with a token about to expire.
        return body["access_token"], self._clock() + float(body.get("expires_in", 3600)) - 60

    def create_envelope(self, request: EnvelopeRequest) -> CreatedEnvelope:
        definition = envelope_definition(request, idv_workflow_id=self._idv_workflow_id)
        response = call(self._client, self.name, "POST", f"{self._base}/envelopes",
                        json=definition, headers=self._bearer())
        summary = response.json()
        return CreatedEnvelope(self.name, summary["envelopeId"], summary.get("status", "sent"))

    def find_envelope(self, request: EnvelopeRequest) -> CreatedEnvelope | None:
        """An envelope already created for ``request.idempotency_key`` (searched by the text
        custom field, ``GET .../envelopes?custom_field=...``), so that a command redelivered
        after a crash between create and record does not send a second envelope."""
        since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self._clock() - _LOOKBACK_S))
        response = call(self._client, self.name, "GET", f"{self._base}/envelopes", headers=self._bearer(), params={
            "from_date": since, "status": "any", "custom_field": f"{IDEMPOTENCY_FIELD}={request.idempotency_key}"})
        envelopes = response.json().get("envelopes") or []
        return CreatedEnvelope(self.name, envelopes[0]["envelopeId"], envelopes[0].get("status", "sent")) if envelopes else None

    def envelope_status(self, envelope_id: str) -> ProviderStatus:
        response = call(self._client, self.name, "GET", f"{self._base}/envelopes/{path_segment(envelope_id)}",
                        headers=self._bearer(), params={"include": "custom_fields"})
        envelope = response.json()
        status = str(envelope.get("status") or "")
        fields = (envelope.get("customFields") or {}).get("textCustomFields") or []
        doc_id = next((f.get("value") for f in fields if f.get("name") == DOC_ID_FIELD and f.get("value")), None)
        # DocuSign has no "expired" envelope status: an expired envelope is voided by DocuSign.
        confirms = {"completed": {"completed"}, "declined": {"declined"}, "voided": {"voided", "expired"}}.get(status, set())
        return ProviderStatus(status, frozenset(confirms), doc_id)

    def download_signed(self, envelope_id: str) -> bytes:
        response = call(self._client, self.name, "GET", f"{self._base}/envelopes/{envelope_id}/documents/combined",
                        headers={**self._bearer(), "Accept": "application/pdf"})
        return response.content


def envelope_definition(request: EnvelopeRequest, *, idv_workflow_id: str | None = None) -> dict:
    """The ``envelopeDefinition`` body for ``request`` (validated against the swagger in tests)."""
    return {
        "emailSubject": request.title[:100],  # DocuSign caps the subject at 100 characters
        "emailBlurb": request.message,
        "status": "sent",
        "documents": [{
            "documentBase64": base64.b64encode(request.pdf).decode(),
            "documentId": "1", "name": request.file_name, "fileExtension": "pdf",
        }],
        "customFields": {"textCustomFields": [
            {"name": DOC_ID_FIELD, "value": request.doc_id, "show": "false", "required": "false"},
            {"name": IDEMPOTENCY_FIELD, "value": request.idempotency_key, "show": "false", "required": "false"},
        ]},
        "recipients": {"signers": [_signer(r, i, request.tabs, idv_workflow_id=idv_workflow_id)
                                   for i, r in enumerate(request.recipients, start=1)]},
    }


def _position(tab: Tab) -> dict:
    """A tab's place: by its anchor text when that text is unique in the document (DocuSign
    finds it itself), else by page and position (DocuSign's pixels are points at 72 dpi)."""
    where = {"documentId": "1", "tabLabel": tab.label or f"inkstream_{tab.kind}_{tab.recipient + 1}"}
    if tab.anchor:
        return {**where, "anchorString": tab.anchor, "anchorUnits": "pixels", "anchorIgnoreIfNotPresent": "false",
                "anchorXOffset": str(round(tab.anchor_dx)), "anchorYOffset": str(round(tab.anchor_dy))}
    return {**where, "pageNumber": str(tab.page), "xPosition": str(round(tab.x)), "yPosition": str(round(tab.y))}


def _tabs(tabs: tuple[Tab, ...], index: int, number: int) -> dict:
    mine = [t for t in tabs if t.recipient == index]
    if not tabs:  # no layout known: one box per signer at a fixed spot on page 1
        return {"signHereTabs": [{"documentId": "1", "pageNumber": "1", "xPosition": "72",
                                  "yPosition": str(600 + 40 * (number - 1))}]}
    out: dict[str, list] = {}
    for tab in mine:
        if tab.kind == "signature":
            out.setdefault("signHereTabs", []).append(_position(tab))
        elif tab.kind == "date":
            out.setdefault("dateSignedTabs", []).append(_position(tab))
        else:
            out.setdefault("textTabs", []).append({
                **_position(tab), "value": tab.value or "", "locked": "true", "required": "false",
                "width": str(round(tab.width)), "height": str(round(tab.height))})
    return out


def _signer(recipient: Recipient, number: int, tabs: tuple[Tab, ...] = (), *, idv_workflow_id: str | None = None) -> dict:
    signer = {
        "email": recipient.email, "name": recipient.name, "recipientId": str(number),
        "routingOrder": str(recipient.routing_order), "tabs": _tabs(tabs, number - 1, number),
    }
    auth = recipient.auth
    if auth == "email":
        return signer
    if auth == "access_code":
        _need(recipient.access_code, "access_code", auth)
        return {**signer, "accessCode": recipient.access_code}
    if auth == "sms":
        _need(recipient.phone, "phone", auth)
        return {**signer, "idCheckConfigurationName": "SMS Auth $",
                "smsAuthentication": {"senderProvidedNumbers": [recipient.phone]}}
    if auth == "phone":
        _need(recipient.phone, "phone", auth)
        return {**signer, "idCheckConfigurationName": "Phone Auth $",
                "phoneAuthentication": {"recipMayProvideNumber": "false", "senderProvidedNumbers": [recipient.phone]}}
    if auth == "kba":
        return {**signer, "idCheckConfigurationName": "ID Check $"}
    if auth == "idv":
        # ID verification runs an account-specific IDV workflow (recipientIdentityVerification).
        if not idv_workflow_id:
            raise EsignError("docusign: authentication 'idv' needs esign.docusign.idv_workflow_id "
                             "(the account's identity verification workflow id)")
        return {**signer, "identityVerification": {"workflowId": idv_workflow_id}}
    raise EsignError(f"docusign: recipient authentication {auth!r} is not offered here "
                     "(supported: email, access_code, sms, phone, kba, idv)")


def _need(value: str | None, what: str, auth: str) -> None:
    if not value:
        raise EsignError(f"docusign: authentication {auth!r} needs the recipient's {what}")


# --- the provider, as inkstream's registry sees it (connectors/esign/registry.py) -----------

# DocuSign's event for each lifecycle step (Connect event names).
_EVENT_NAMES = {"sent": "envelope-sent", "delivered": "envelope-delivered", "viewed": "recipient-delivered",
                "signed": "recipient-completed", "completed": "envelope-completed",
                "declined": "envelope-declined", "voided": "envelope-voided"}


def _build(section: EsignProviderSettings, client: httpx.Client) -> DocuSign:
    pem = section.private_key_file.read_bytes() if section.private_key_file else None
    return DocuSign(client, base_url=section.base_url, account_id=section.account_id,
                    access_token=section.access_token.get_secret_value() if section.access_token else None,
                    oauth_base=section.oauth_base, integration_key=section.integration_key,
                    user_id=section.user_id, private_key_pem=pem, idv_workflow_id=section.idv_workflow_id)


def _authorize_url(section: EsignProviderSettings, params: dict[str, str], scopes: tuple[str, ...]) -> str:
    host = (section.oauth_base or "https://account.docusign.com").rstrip("/")
    return f"{host}/oauth/auth?" + urlencode({**params, "scope": " ".join(scopes)})


async def _verify(inbound: Inbound) -> dict:
    verify_docusign(inbound.body, inbound.headers, [k.encode() for k in inbound.keys])
    return json_object(inbound.body)


def _simulate(step, envelope_id, doc_id, key, at, signer, event_id) -> SimRequest:
    done = step in ("signed", "completed")
    summary = {
        "envelopeId": envelope_id, "status": step if step != "signed" else "sent", "emailSubject": "Please sign",
        "customFields": {"textCustomFields": [{"name": "doc_id", "value": doc_id, "show": "false"}] if doc_id else []},
        "recipients": {"signers": [{
            "name": signer.name, "email": signer.email, "recipientId": "1", "routingOrder": "1",
            "status": "completed" if done else step, "signedDateTime": sim_iso(at) if done else None,
            **({"recipientAuthenticationStatus": {"smsAuthResult": {"status": "Passed", "eventTimestamp": sim_iso(at)}}}
               if signer.auth_method == "sms" else {}),
        }]},
    }
    body = {"event": _EVENT_NAMES[step], "apiVersion": "v2.1",
            "uri": f"/restapi/v2.1/accounts/00000000-0000-0000-0000-000000000000/envelopes/{envelope_id}",
            "retryCount": 0, "configurationId": 10000001,
            "generatedDateTime": sim_iso(at),
            "data": {"accountId": "00000000-0000-0000-0000-000000000000", "envelopeId": envelope_id,
                     **({"recipientId": "1"} if step in ("viewed", "signed") else {}),
                     "envelopeSummary": summary}}
    content = json.dumps(body).encode()
    return SimRequest("POST", DOCUSIGN.route, {
        "content-type": "application/json",
        "x-docusign-signature-1": docusign_signature(key.encode(), content)}, content)


DOCUSIGN = EsignVendor(
    name="docusign", label="DocuSign", route="/webhooks/docusign",
    # JWT grant: `signature` for the eSignature REST API, `impersonation` to act as the
    # integration user without them present (DocuSign "Authentication scopes").
    scopes=("signature", "impersonation"), authorize_url=_authorize_url,
    oauth_client_id=lambda section: section.integration_key,
    has_credentials=lambda s: bool(s.account_id and (s.access_token or s.private_key_file)), build=_build,
    verify=_verify, parse=lambda payload, inbound: parse_docusign(payload),
    simulate=_simulate, event_names=_EVENT_NAMES)
