"""A fake DocuSign eSignature REST API v2.1, for ``httpx.MockTransport``.

Built from ``shared/specs/docusign/esignature.rest.swagger-v2.1.json``:
- ``POST /restapi/v2.1/accounts/{accountId}/envelopes`` — body validated (strictly) against
  ``definitions/envelopeDefinition``; 201 with an ``envelopeSummary``; 400 with DocuSign's
  ``errorDetails`` shape (``errorCode``, ``message``) when invalid;
- ``GET /restapi/v2.1/accounts/{accountId}/envelopes/{envelopeId}?include=custom_fields`` — the
  ``envelope`` (validated against ``definitions/envelope`` before it is served): ``status``
  from ``self.status`` (``sent`` until a test says ``completed``/``declined``/``voided``),
  the text custom fields the envelope was created with; ``include`` values checked against
  the operation's description; 404 ``ENVELOPE_DOES_NOT_EXIST``;
- ``GET /restapi/v2.1/accounts/{accountId}/envelopes/{envelopeId}/documents/combined`` —
  ``application/pdf``; 404 for an unknown envelope;
- ``GET /restapi/v2.1/accounts/{accountId}/envelopes`` — listStatusChanges; query names
  checked against the swagger, ``custom_field=name=value`` filters on text custom fields;
- ``POST /oauth/token`` — the JWT grant (DocuSign "JSON Web Token (JWT) Grant" guide): the
  assertion's RS256 signature is checked with the configured public key.
``fail_next`` queues statuses (429 with ``Retry-After``, 500) for the next API calls.
"""

from __future__ import annotations

import base64
import functools
import json
import uuid

import httpx

from connectors.esign.simulated import signed_pdf
from fakes.esign_specs import SPECS, docusign_errors

__all__ = ["FakeDocuSign"]


@functools.lru_cache(maxsize=1)
def _spec() -> dict:
    return json.loads((SPECS / "docusign" / "esignature.rest.swagger-v2.1.json").read_text())


@functools.lru_cache(maxsize=1)
def _list_parameters() -> frozenset[str]:
    """Query parameter names of ``GET /v2.1/accounts/{accountId}/envelopes`` in the swagger."""
    op = _spec()["paths"]["/v2.1/accounts/{accountId}/envelopes"]["get"]
    return frozenset(p["name"] for p in op["parameters"] if p["in"] == "query")


class FakeDocuSign:
    def __init__(self, *, account_id: str = "acct-1", token: str = "ds-token", public_key=None) -> None:
        self.account_id = account_id
        self.token = token
        self.public_key = public_key
        self.envelopes: dict[str, dict] = {}
        self.requests: list[httpx.Request] = []
        self.token_grants = 0
        self.fail_next: list[int] = []
        self.searches = 0
        self.status: dict[str, str] = {}  # envelope id -> DocuSign envelope status

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        if path == "/oauth/token":
            return self._token(request)
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return httpx.Response(401, json={"errorCode": "USER_AUTHENTICATION_FAILED", "message": "bad token"})
        if self.fail_next:
            status = self.fail_next.pop(0)
            return httpx.Response(status, headers={"Retry-After": "7"} if status == 429 else {},
                                  json={"errorCode": "HOURLY_APIINVOCATION_LIMIT_EXCEEDED" if status == 429 else "INTERNAL"})
        base = f"/restapi/v2.1/accounts/{self.account_id}/envelopes"
        if request.method == "POST" and path == base:
            return self._create(request)
        if request.method == "GET" and path == base:
            return self._list(request)
        if request.method == "GET" and path.startswith(base + "/") and path.endswith("/documents/combined"):
            envelope_id = path[len(base) + 1:-len("/documents/combined")]
            if envelope_id not in self.envelopes:
                return httpx.Response(404, json={"errorCode": "ENVELOPE_DOES_NOT_EXIST", "message": "no such envelope"})
            return httpx.Response(200, content=signed_pdf(envelope_id, provider="docusign"),
                                  headers={"Content-Type": "application/pdf"})
        if request.method == "GET" and path.startswith(base + "/") and "/" not in path[len(base) + 1:]:
            return self._get(path[len(base) + 1:], request)
        return httpx.Response(404, json={"errorCode": "RESOURCE_NOT_FOUND", "message": path})

    def _get(self, envelope_id: str, request: httpx.Request) -> httpx.Response:
        """``Envelopes::get``: query names from the swagger; ``include`` values from its text."""
        params = dict(request.url.params)
        op = _spec()["paths"]["/v2.1/accounts/{accountId}/envelopes/{envelopeId}"]["get"]
        names = {p["name"] for p in op["parameters"] if p["in"] == "query"}
        include_doc = next(p["description"] for p in op["parameters"] if p["name"] == "include")
        bad = set(params) - names or {v for v in params.get("include", "").split(",") if v and f"`{v}`" not in include_doc}
        if bad:
            return httpx.Response(400, json={"errorCode": "INVALID_REQUEST_PARAMETER", "message": str(sorted(bad))})
        if envelope_id not in self.envelopes:
            return httpx.Response(404, json={"errorCode": "ENVELOPE_DOES_NOT_EXIST", "message": "no such envelope"})
        body = self.envelopes[envelope_id]
        envelope = {"envelopeId": envelope_id, "status": self.status.get(envelope_id, "sent"),
                    "emailSubject": body.get("emailSubject", ""), "statusChangedDateTime": "2026-11-25T20:00:00.0000000Z"}
        if "custom_fields" in params.get("include", "").split(","):
            envelope["customFields"] = body.get("customFields", {})
        errors = docusign_errors("envelope", envelope)
        assert not errors, errors  # the fake itself must answer in the vendor's shape
        return httpx.Response(200, json=envelope)

    def _create(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        errors = docusign_errors("envelopeDefinition", body)
        if errors:
            return httpx.Response(400, json={"errorCode": "INVALID_REQUEST_BODY", "message": "; ".join(errors)})
        pdf = base64.b64decode(body["documents"][0]["documentBase64"])
        if not pdf.startswith(b"%PDF-"):
            return httpx.Response(400, json={"errorCode": "FORMAT_CONVERSION_ERROR", "message": "not a PDF"})
        envelope_id = str(uuid.uuid4())
        self.envelopes[envelope_id] = body
        return httpx.Response(201, json={"envelopeId": envelope_id, "status": "sent",
                                         "statusDateTime": "2026-11-25T20:00:00.0000000Z",
                                         "uri": f"/envelopes/{envelope_id}"})

    def _list(self, request: httpx.Request) -> httpx.Response:
        """``GET .../envelopes`` (listStatusChanges): query names checked against the swagger."""
        params = dict(request.url.params)
        unknown = set(params) - _list_parameters()
        if unknown or "from_date" not in params:
            return httpx.Response(400, json={"errorCode": "INVALID_REQUEST_PARAMETER",
                                             "message": f"unknown {sorted(unknown)} or from_date missing"})
        name, _, value = params.get("custom_field", "").partition("=")
        found = [{"envelopeId": eid, "status": "sent"} for eid, body in self.envelopes.items()
                 if not name or any(f["name"] == name and f["value"] == value
                                    for f in body.get("customFields", {}).get("textCustomFields", []))]
        self.searches += 1
        return httpx.Response(200, json={"envelopes": found, "resultSetSize": str(len(found))})

    def _token(self, request: httpx.Request) -> httpx.Response:
        from urllib.parse import parse_qs

        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return httpx.Response(400, json={"error": "unsupported_grant_type"})
        head, claims, sig = form["assertion"].split(".")
        pad = lambda s: base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))  # noqa: E731
        try:
            self.public_key.verify(pad(sig), f"{head}.{claims}".encode(), padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            return httpx.Response(400, json={"error": "invalid_grant"})
        if "signature" not in json.loads(pad(claims)).get("scope", ""):
            return httpx.Response(400, json={"error": "consent_required"})
        self.token_grants += 1
        return httpx.Response(200, json={"access_token": self.token, "token_type": "Bearer", "expires_in": 3600})
