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
from connectors.crm.registry import CRMS, vendor_settings
from connectors.crm.vendor import Wiring
from connectors.crm.vendor_http import RetryPolicy
from inkstream.errors import ConfigError
from inkstream.settings import Settings

__all__ = ["RecordedRequest", "DryRunConnector", "dry_run_connector", "redact_headers"]

_SECRET_HEADERS = ("authorization", "cookie", "x-api-key", "proxy-authorization")


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


class DryRunConnector:
    """Applies commands through ``inner`` over a recording transport; see ``take()``."""

    dry_run = True

    def __init__(self, crm: str, build: Callable[[httpx.Client], CrmConnector],
                 answer: Callable[[httpx.Request, str], httpx.Response]) -> None:
        self.name = crm
        self._recorded: list[RecordedRequest] = []
        ids = count(1)

        def responder(request: httpx.Request) -> httpx.Response:
            # Plausible success answers, shaped like the vendor's, so the connector proceeds.
            return answer(request, f"DRYRUN-{next(ids)}")

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


def dry_run_connector(settings: Settings, crm: str) -> DryRunConnector:
    """The vendor's own connector (``CrmVendor.connect``, as live) over the recording client."""
    vendor = CRMS.get(crm)
    section = vendor_settings(settings, crm)
    return DryRunConnector(crm, lambda client: vendor.connect(
        section, Wiring(crm, client, RetryPolicy(max_attempts=1), dry_run=True)), vendor.dry_run_answer)
