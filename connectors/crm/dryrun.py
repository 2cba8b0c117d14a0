"""The dry-run target: the real vendor connector over a transport that records each
request and sends nothing.

Because the requests are built by the same connector code that talks to the CRM, the
recording is exactly what would be sent (method, URL, headers, body), with secrets
redacted. The vendor's answers are synthetic (ids ``DRYRUN-...``, "nothing found" for
look-ups), so requests that depend on an earlier answer (a file linked to the id the
upsert returned) carry those placeholder ids. The CRM sink produces each recording to
``crm.dryrun`` (schemas/crm.dryrun.avsc), and the audit sink stores it in ClickHouse.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP
from itertools import count

import httpx

from connectors.crm import ApplyResult, Attachment, CrmConnector, CustomField, SetupResult
from connectors.crm.oauth import StaticToken
from connectors.crm.vendor_http import RetryPolicy, VendorHttp
from inkstream.errors import ConfigError
from inkstream.settings import Settings

__all__ = ["RecordedRequest", "DryRunConnector", "dry_run_connector", "redact_headers"]

_SECRET_HEADERS = ("authorization", "cookie", "x-api-key", "proxy-authorization")
_DRY_TOKEN = "dry-run-token"


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    url: str
    headers: dict[str, str]
    body: str | None
    body_sha256: str | None


def redact_headers(headers: httpx.Headers) -> dict[str, str]:
    return {k: ("[redacted]" if k.lower() in _SECRET_HEADERS or "token" in k.lower() or "secret" in k.lower()
                else v) for k, v in headers.items()}


def _body_text(request: httpx.Request) -> str | None:
    content = request.content
    if not content:
        return None
    ctype = request.headers.get("content-type", "")
    if ctype.startswith("multipart/form-data"):
        msg = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + content)
        parts = []
        for part in msg.iter_parts():
            data = part.get_payload(decode=True) or b""
            entry = {"name": part.get_param("name", header="content-disposition"),
                     "filename": part.get_filename(), "content_type": part.get_content_type()}
            if part.get_filename():  # file bytes are summarised, not stored twice
                entry.update(size=len(data), sha256=hashlib.sha256(data).hexdigest())
            else:
                entry["value"] = data.decode("utf-8", errors="replace")
            parts.append(entry)
        return json.dumps({"multipart": parts})
    return content.decode("utf-8", errors="replace")


class _Responder:
    """Plausible success answers, shaped like each vendor's, so the connector proceeds."""

    def __init__(self, crm: str) -> None:
        self.crm, self._ids = crm, count(1)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        rid = f"DRYRUN-{next(self._ids)}"
        path, method = request.url.path, request.method
        if self.crm == "salesforce":
            if path.endswith("/query/"):
                q = request.url.params.get("q", "")
                if " WHERE Id = " in q:  # reading back what we "created"
                    fields = [f.strip() for f in q[len("SELECT "):q.index(" FROM ")].split(",")]
                    return httpx.Response(200, json={"records": [{f: f"DRYRUN-{f}" for f in fields}]})
                return httpx.Response(200, json={"totalSize": 0, "done": True, "records": []})
            if method == "GET":
                return httpx.Response(200, json={"Id": rid})
            return httpx.Response(201, json={"id": rid, "success": True, "errors": [], "created": True})
        if self.crm == "hubspot":
            if path.endswith("/batch/upsert"):
                return httpx.Response(200, json={"status": "COMPLETE", "results": [{"id": rid, "new": True}]})
            if path.endswith("/search") or "/associations/" in path and method == "GET":
                return httpx.Response(200, json={"total": 0, "results": []})
            return httpx.Response(200 if method in ("GET", "PUT") else 201, json={"id": rid})
        if path.endswith("/search"):
            return httpx.Response(200, json={"data": [{"id": rid}]})
        if method == "GET":
            return httpx.Response(204)
        return httpx.Response(201, json={"data": [{"code": "SUCCESS", "status": "success", "action": "insert",
                                                   "details": {"id": rid}}]})


class DryRunConnector:
    """Applies commands through ``inner`` over a recording transport; see ``take()``."""

    dry_run = True

    def __init__(self, crm: str, build: Callable[[httpx.Client], CrmConnector]) -> None:
        self.name = crm
        self._recorded: list[RecordedRequest] = []
        responder = _Responder(crm)

        def record(request: httpx.Request) -> httpx.Response:
            body = request.content or None
            self._recorded.append(RecordedRequest(
                request.method, str(request.url), redact_headers(request.headers), _body_text(request),
                hashlib.sha256(body).hexdigest() if body else None))
            return responder(request)

        self.inner: CrmConnector = build(httpx.Client(transport=httpx.MockTransport(record)))

    def apply(self, command: dict, attachment: Attachment | None = None) -> ApplyResult:
        self._recorded = []
        result = self.inner.apply(command, attachment)
        return ApplyResult("dry_run", result.crm_id, f"{len(self._recorded)} request(s) recorded, none sent")

    def take(self) -> list[RecordedRequest]:
        """The requests recorded by the last ``apply``."""
        recorded, self._recorded = self._recorded, []
        return recorded

    def ensure_custom_fields(self, fields: list[CustomField]) -> list[SetupResult]:
        raise ConfigError("crm setup needs credentials; the dry run has none")


def _zoho_api_domain(accounts_url: str) -> str:
    """accounts.zoho.eu -> www.zohoapis.eu (live runs take api_domain from the token answer)."""
    url = httpx.URL(accounts_url)
    host = url.host
    if host == "accounts.zohocloud.ca":
        host = "www.zohoapis.ca"
    elif host.startswith("accounts.zoho."):
        host = "www.zohoapis." + host.removeprefix("accounts.zoho.")
    return str(url.copy_with(host=host, path="/")).rstrip("/")


def dry_run_connector(settings: Settings, crm: str) -> DryRunConnector:
    vendor = getattr(settings.crm, crm)
    policy = RetryPolicy(max_attempts=1)

    def build(client: httpx.Client) -> CrmConnector:
        if crm == "salesforce":
            from connectors.crm.salesforce import SalesforceConnector
            http = VendorHttp(crm, client, StaticToken(_DRY_TOKEN), policy=policy)
            return SalesforceConnector(http, instance_url=vendor.base_url or "https://your-domain.my.salesforce.com",
                                       api_version=vendor.api_version or "62.0")
        if crm == "hubspot":
            from connectors.crm.hubspot import HubSpotConnector
            http = VendorHttp(crm, client, StaticToken(_DRY_TOKEN), policy=policy)
            return HubSpotConnector(http, base_url=vendor.base_url or "https://api.hubapi.com")
        from connectors.crm.zoho import ZohoConnector
        http = VendorHttp(crm, client, StaticToken(_DRY_TOKEN, scheme="Zoho-oauthtoken"), policy=policy)
        accounts = (vendor.auth_url or "https://accounts.zoho.com").rstrip("/")
        domain = vendor.base_url or _zoho_api_domain(accounts)
        return ZohoConnector(http, api_domain=domain, api_version=vendor.api_version or "8")

    return DryRunConnector(crm, build)
