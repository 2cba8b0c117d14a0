"""Browser-facing protections of the review page, as one ASGI wrapper:

- **Origin check** on every state-changing request (POST, PUT, PATCH, DELETE): a browser
  names the page that sent it (``Origin``, else ``Referer``, else ``Sec-Fetch-Site``); a
  request from another site is refused with 403 before any handler runs. Clients that send
  none of these (curl, the CLI with a bearer token) pass here and meet the CSRF token check.
- **Headers** on every answer: a CSP with a per-response script nonce and
  ``frame-ancestors 'none'`` (no clickjacking), ``X-Frame-Options: DENY`` for old browsers,
  ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: same-origin`` (document ids stay out
  of other sites' logs) and ``Cache-Control: no-store`` unless the handler chose one.
"""

from __future__ import annotations

import json
import secrets
from urllib.parse import urlsplit

__all__ = ["ReviewGuard", "UNSAFE_METHODS"]

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _csp(nonce: str) -> str:
    return ("default-src 'none'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
            f"script-src 'nonce-{nonce}'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
            "frame-ancestors 'none'")


class ReviewGuard:
    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        nonce = secrets.token_urlsafe(16)
        scope.setdefault("state", {})["csp_nonce"] = nonce
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", ())}
        extra = [(b"content-security-policy", _csp(nonce).encode()), (b"x-frame-options", b"DENY"),
                 (b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"same-origin")]

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                have = {k.lower() for k, _ in message.get("headers", [])}
                added = [(k, v) for k, v in extra if k not in have]
                if b"cache-control" not in have:
                    added.append((b"cache-control", b"no-store"))
                message = {**message, "headers": [*message.get("headers", []), *added]}
            await send(message)

        if scope["method"] in UNSAFE_METHODS and not _same_origin(headers):
            body = json.dumps({"detail": "cross-origin request refused"}).encode()
            await send_with_headers({"type": "http.response.start", "status": 403,
                                     "headers": [(b"content-type", b"application/json"),
                                                 (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send_with_headers)


def _same_origin(headers: dict[str, str]) -> bool:
    """False when the browser says the request came from another origin."""
    host = headers.get("host", "").lower()
    origin = headers.get("origin")
    if origin is not None:
        return origin != "null" and urlsplit(origin).netloc.lower() == host
    referer = headers.get("referer")
    if referer:
        return urlsplit(referer).netloc.lower() == host
    # Fetch metadata: sent by every current browser, even where Origin is left out.
    return headers.get("sec-fetch-site", "same-origin") in ("same-origin", "none")
