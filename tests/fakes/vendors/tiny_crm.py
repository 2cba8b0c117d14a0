"""TinyCRM: a test-only CRM, added the way any CRM is (connectors/crm/README.md): this one
module holding one :class:`~connectors.crm.vendor.CrmVendor`, registered by the test with
``CRMS.registered(TINY_CRM)`` (the one registry line).

TinyCRM is no SaaS product, so no vendor document applies; its API is the one below,
served in memory by :class:`TinyCrmApi` (an ``httpx.MockTransport`` handler):

- ``POST {auth}/oauth/token`` (form: client_credentials) → ``{"access_token", "expires_in"}``;
- ``PUT /v1/{object}/by/{field}/{value}`` ``{"fields": {...}, "links": [...]}`` → 201 created /
  200 updated ``{"id"}`` (upsert by external id);
- ``GET /v1/attachments?key=K`` → ``{"items": [...]}``; ``POST /v1/attachments`` (JSON with the
  file's base64) → 201 ``{"id"}``; the same for ``/v1/notes`` (idempotent by key);
- ``POST /v1/fields`` ``{"object", "name", "type", "unique"}`` → 201, or 409 when it exists;
- every answer carries ``X-Tiny-Quota: <calls today>/<daily limit>``;
- every call but the token needs ``Authorization: Bearer <token>`` (401 otherwise).
"""

from __future__ import annotations

import base64
import itertools
import json
from urllib.parse import parse_qs, urlencode

import httpx

from connectors.crm import ApplyResult, Attachment, CustomField, SetupResult
from connectors.crm.operations import dispatch
from connectors.crm.signature import split_fields
from connectors.crm.vendor import CrmVendor, Wiring
from connectors.crm.vendor_http import VendorHttp
from inkstream.errors import CrmPermanentError
from inkstream.settings import CrmVendorSettings

__all__ = ["TINY_CRM", "TinyCrmApi", "TinyCrmConnector"]

NAME = "tinycrm"
BASE = "https://api.tinycrm.test"
AUTH = "https://auth.tinycrm.test"


class TinyCrmConnector:
    name = NAME

    def __init__(self, http: VendorHttp, *, base_url: str) -> None:
        self.http, self.base = http, base_url.rstrip("/")

    def apply(self, command: dict, attachment: Attachment | None = None) -> ApplyResult:
        return dispatch(self.name, command, attachment, upsert=self._upsert, attach=self._attach,
                        timeline=self._note)

    def _path(self, command: dict) -> str:
        return f"{self.base}/v1/{command['object']}/by/{command['external_id_field']}/{command['external_id']}"

    def _upsert(self, command: dict) -> ApplyResult:
        own, signature = split_fields(command["fields"])
        body = {"fields": {**own, **({"signature": signature} if signature else {})},
                "links": [f"{link['object']}:{link['external_id']}" for link in command.get("links", [])]}
        response = self.http.request("PUT", self._path(command), json=body)
        return ApplyResult("created" if response.status_code == 201 else "updated", response.json()["id"])

    def _once(self, kind: str, command: dict, body: dict) -> ApplyResult:
        key = command["idempotency_key"]
        found = self.http.request("GET", f"{self.base}/v1/{kind}", params={"key": key}).json()["items"]
        if found:
            return ApplyResult("unchanged", found[0]["id"])
        record = f"{command['object']}:{command['external_id']}"
        created = self.http.request("POST", f"{self.base}/v1/{kind}", json={"key": key, "record": record, **body},
                                    idempotent=False)
        return ApplyResult("created", created.json()["id"])

    def _attach(self, command: dict, attachment: Attachment) -> ApplyResult:
        return self._once("attachments", command, {"name": attachment.file_name, "sha256": attachment.sha256,
                                                   "data": base64.b64encode(attachment.data).decode()})

    def _note(self, command: dict) -> ApplyResult:
        return self._once("notes", command, {"title": command["fields"].get("title"),
                                             "body": command["fields"].get("body")})

    def ensure_custom_fields(self, fields: list[CustomField]) -> list[SetupResult]:
        out = []
        for f in fields:
            response = self.http.client.post(f"{self.base}/v1/fields", headers={
                "Authorization": self.http.auth.authorization()}, json={
                "object": f.object, "name": f.name, "type": f.type, "unique": f.unique})
            if response.status_code not in (201, 409):
                raise CrmPermanentError(f"tinycrm field {f.name}: {response.status_code}")
            out.append(SetupResult(f.object, f.name, "created" if response.status_code == 201 else "exists"))
        return out


class TinyCrmApi:
    """TinyCRM's API in memory; ``records[(object, field, value)]``, ``attachments``, ``notes``, ``fields``."""

    client_id, client_secret = "tiny-client", "tiny-secret"

    def __init__(self) -> None:
        self.records: dict[tuple[str, str, str], dict] = {}
        self.attachments: list[dict] = []
        self.notes: list[dict] = []
        self.fields: set[tuple[str, str]] = set()
        self.requests: list[httpx.Request] = []
        self._ids = itertools.count(1)
        self._token = "tiny-token-1"

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        response = self._answer(request)
        response.headers["X-Tiny-Quota"] = f"{len(self.requests)}/1000"  # calls today / daily limit
        return response

    def _answer(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.url.host == httpx.URL(AUTH).host and path == "/oauth/token":
            form = parse_qs(request.content.decode())
            if form.get("client_id") != [self.client_id] or form.get("client_secret") != [self.client_secret]:
                return httpx.Response(401, json={"error": "invalid_client"})
            return httpx.Response(200, json={"access_token": self._token, "token_type": "bearer", "expires_in": 3600})
        if request.headers.get("authorization") != f"Bearer {self._token}":
            return httpx.Response(401, json={"error": "unauthorized"})
        parts = path.strip("/").split("/")
        if request.method == "PUT" and len(parts) == 5 and parts[2] == "by":
            key = (parts[1], parts[3], parts[4])
            body = json.loads(request.content)
            existing = self.records.get(key)
            if existing is None:
                self.records[key] = {"id": f"T{next(self._ids)}", **body}
                return httpx.Response(201, json={"id": self.records[key]["id"]})
            existing["fields"] = {**existing["fields"], **body["fields"]}
            existing["links"] = body["links"]
            return httpx.Response(200, json={"id": existing["id"]})
        if parts[1:] in (["attachments"], ["notes"]):
            store = self.attachments if parts[1] == "attachments" else self.notes
            if request.method == "GET":
                key = request.url.params.get("key")
                return httpx.Response(200, json={"items": [i for i in store if i["key"] == key]})
            item = {"id": f"T{next(self._ids)}", **json.loads(request.content)}
            store.append(item)
            return httpx.Response(201, json={"id": item["id"]})
        if parts[1:] == ["fields"] and request.method == "POST":
            body = json.loads(request.content)
            if (body["object"], body["name"]) in self.fields:
                return httpx.Response(409, json={"error": "exists"})
            self.fields.add((body["object"], body["name"]))
            return httpx.Response(201, json={})
        return httpx.Response(404, json={"error": f"no route {request.method} {path}"})


# --- the vendor: what the registry, and so every consumer, knows of TinyCRM ---------------

def _custom_fields() -> list[CustomField]:
    return [CustomField("accounts", "ink_key", "inkstream company key", unique=True),
            CustomField("deals", "ink_doc", "inkstream document id", unique=True),
            *(CustomField("deals", name, f"inkstream {k}") for k, name in SIGNATURE_FIELDS.items())]


def _connect(section: CrmVendorSettings, wiring: Wiring) -> TinyCrmConnector:
    auth = wiring.token(section, (section.auth_url or AUTH).rstrip("/") + "/oauth/token")
    return TinyCrmConnector(wiring.http(auth), base_url=section.base_url or BASE)


def _dry_run_answer(request: httpx.Request, rid: str) -> httpx.Response:
    if request.method == "GET":
        return httpx.Response(200, json={"items": []})
    return httpx.Response(201, json={"id": rid})


SIGNATURE_FIELDS = {"status": "ink_sig_status", "signed_at": "ink_signed_at", "signer": "ink_signer",
                    "hash": "ink_sig_hash"}

TINY_CRM = CrmVendor(
    name=NAME, label="TinyCRM",
    token_url=lambda section: (section.auth_url or AUTH).rstrip("/") + "/oauth/token",
    scopes=lambda objects, setup: ("fields:write",) if setup else tuple(
        f"records.{o.lower()}.write" for o in sorted(set(objects))),
    authorize_url=lambda section, params, scopes: f"{AUTH}/consent?" + urlencode({**params, "scope": " ".join(scopes)}),
    custom_fields=_custom_fields, signature_fields=SIGNATURE_FIELDS,
    account_object="accounts", record_id_field="tiny_id",
    external_id_ok=lambda field: field.startswith("ink_") or field == "tiny_id",
    connect=_connect, dry_run_answer=_dry_run_answer,
    daily_quota=lambda headers: tuple(map(int, headers["X-Tiny-Quota"].split("/"))) if "X-Tiny-Quota" in headers else None,
    settings_defaults={"base_url": BASE, "auth_url": AUTH})
