"""TinySign: a test-only e-sign provider, added the way any provider is
(connectors/esign/README.md): this one module holding one
:class:`~connectors.esign.vendor.EsignVendor`, registered by the test with
``ESIGN.registered(TINY_SIGN)`` (the one registry line).

TinySign is no SaaS product, so no vendor document applies; its API is the one below,
served in memory by :class:`TinySignApi` (an ``httpx.MockTransport`` handler):

- webhooks: ``POST /webhooks/tinysign``, JSON ``{"id", "kind": "<lifecycle>", "envelope", "doc",
  "at": <epoch s>, "signer": {...}}``, header ``tinysign-signature: t=<at>,h=<hex HMAC-SHA256(key,
  "<at>." + body)>``; the sender wants the plain-text answer ``tinysign-ack``;
- ``POST /v1/envelopes`` (JSON, the PDF base64) → ``{"id"}``; ``GET /v1/envelopes/{id}`` →
  ``{"status", "doc"}``; ``GET /v1/envelopes/{id}/pdf`` → the PDF; ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from urllib.parse import urlencode

import httpx

from connectors.esign import CreatedEnvelope, EnvelopeRequest, ProviderStatus
from connectors.esign.events import LIFECYCLE, ProviderEvent
from connectors.esign.simulate import SimRequest
from connectors.esign.vendor import EsignVendor, Inbound, json_object
from inkstream.errors import EsignError, WebhookVerificationError

__all__ = ["TINY_SIGN", "TinySign", "TinySignApi", "signature"]

NAME = "tinysign"
BASE = "https://api.tinysign.test"
REPLY = "tinysign-ack"


def signature(key: str, at: str, body: bytes) -> str:
    return hmac.new(key.encode(), at.encode() + b"." + body, hashlib.sha256).hexdigest()


class TinySign:
    """TinySign's API client (what final webhook events are confirmed with)."""

    name = NAME

    def __init__(self, client: httpx.Client, *, base_url: str, token: str) -> None:
        self.client, self.base, self._auth = client, base_url.rstrip("/"), {"Authorization": f"Bearer {token}"}

    def create_envelope(self, request: EnvelopeRequest) -> CreatedEnvelope:
        response = self.client.post(f"{self.base}/v1/envelopes", headers=self._auth, json={
            "doc": request.doc_id, "key": request.idempotency_key, "pdf": base64.b64encode(request.pdf).decode()})
        return CreatedEnvelope(NAME, response.json()["id"])

    def download_signed(self, envelope_id: str) -> bytes:
        return self.client.get(f"{self.base}/v1/envelopes/{envelope_id}/pdf", headers=self._auth).content

    def envelope_status(self, envelope_id: str) -> ProviderStatus:
        response = self.client.get(f"{self.base}/v1/envelopes/{envelope_id}", headers=self._auth)
        if response.status_code != 200:
            raise EsignError(f"tinysign: envelope {envelope_id}: {response.status_code}")
        body = response.json()
        return ProviderStatus(body["status"], frozenset({body["status"]}), body.get("doc"))


class TinySignApi:
    """TinySign in memory: ``envelopes[id] = {"status", "doc"}``."""

    token = "tiny-sign-token"

    def __init__(self) -> None:
        self.envelopes: dict[str, dict] = {}

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return httpx.Response(401)
        parts = request.url.path.strip("/").split("/")
        if request.method == "POST" and parts == ["v1", "envelopes"]:
            envelope_id = f"ts-{len(self.envelopes) + 1}"
            self.envelopes[envelope_id] = {"status": "sent", "doc": json.loads(request.content)["doc"]}
            return httpx.Response(201, json={"id": envelope_id})
        if parts[:2] == ["v1", "envelopes"] and len(parts) >= 3 and parts[2] in self.envelopes:
            if parts[3:] == ["pdf"]:
                return httpx.Response(200, content=b"%PDF-1.7 signed by tinysign\n%%EOF\n")
            return httpx.Response(200, json=self.envelopes[parts[2]])
        return httpx.Response(404)


# --- the provider: what the registry, and so the gateway, knows of TinySign -----------------

async def _verify(inbound: Inbound) -> dict:
    header = inbound.headers.get("tinysign-signature") or ""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    if "t" not in parts or "h" not in parts:
        raise WebhookVerificationError("no tinysign-signature", provider=NAME, reason="missing_signature")
    ok = False
    for key in inbound.keys:  # every key tried, constant-time
        ok |= hmac.compare_digest(signature(key, parts["t"], inbound.body), parts["h"])
    if not ok:
        raise WebhookVerificationError("tinysign-signature does not match", provider=NAME, reason="bad_signature")
    return json_object(inbound.body)


def _parse(payload: dict, inbound: Inbound) -> ProviderEvent:
    kind, envelope = payload.get("kind"), payload.get("envelope")
    if not isinstance(kind, str) or not isinstance(envelope, str) or not isinstance(payload.get("id"), str):
        raise EsignError("tinysign webhook without id, kind or envelope")
    at = int(payload["at"]) * 1000
    signer = payload.get("signer") or None
    return ProviderEvent(NAME, envelope, kind if kind in LIFECYCLE else None, kind, payload["id"], at,
                         payload.get("doc"), {**signer, "signed_at": at} if signer else None)


def _reply(outcome, inbound: Inbound):
    from fastapi.responses import PlainTextResponse

    return PlainTextResponse(REPLY)


def _simulate(step, envelope_id, doc_id, key, at, signer, event_id) -> SimRequest:
    body = json.dumps({"id": event_id or f"{envelope_id}:{step}:{int(at)}", "kind": step, "envelope": envelope_id,
                       "doc": doc_id, "at": int(at), "signer": {"name": signer.name, "email": signer.email}}).encode()
    stamp = str(int(at))
    return SimRequest("POST", TINY_SIGN.route, {"content-type": "application/json",
                                                "tinysign-signature": f"t={stamp},h={signature(key, stamp, body)}"}, body)


TINY_SIGN = EsignVendor(
    name=NAME, label="TinySign", route="/webhooks/tinysign",
    verify=_verify, parse=_parse, reply=_reply, simulate=_simulate,
    event_names={s: s for s in LIFECYCLE}, scopes=("envelopes:send", "envelopes:read"),
    authorize_url=lambda section, params, scopes: "https://auth.tinysign.test/authorize?" + urlencode(
        {**params, "scope": " ".join(scopes)}),
    oauth_client_id=lambda section: section.integration_key,
    has_credentials=lambda section: section.access_token is not None,
    build=lambda section, client: TinySign(client, base_url=section.base_url or BASE,
                                           token=section.access_token.get_secret_value()),
    max_event_age_s=3 * 86400, settings_defaults={"base_url": BASE})
