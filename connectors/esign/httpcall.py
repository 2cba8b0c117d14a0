"""One place where httpx errors and vendor status codes become inkstream errors."""

from __future__ import annotations

import email.utils
import re
import time

import httpx

from inkstream.errors import EsignError, EsignRateLimited, EsignTransient

__all__ = ["call", "retry_after_seconds", "path_segment"]

_SEGMENT = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}")
_MAX_BODY = 2000  # vendor error bodies are kept for the DLQ, cut to a readable size


def retry_after_seconds(value: str | None, default: float = 5.0) -> float:
    """``Retry-After`` as seconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if not value:
        return default
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value)
        return max(0.0, parsed.timestamp() - time.time()) if parsed else default


def call(client: httpx.Client, provider: str, method: str, url: str, *,
         not_ready: tuple[int, ...] = (), gone: tuple[int, ...] = (), **kwargs) -> httpx.Response:
    """Send one request; 2xx → the response, anything else → an ``EsignError`` subclass.

    ``not_ready`` lists statuses that mean "try again later" for this call (Dropbox Sign
    answers 409 while the signed files are still being prepared); ``gone`` lists statuses
    that are an answer, returned like a 2xx (Dropbox Sign: 410 for a cancelled request)."""
    try:
        response = client.request(method, url, **kwargs)
    except httpx.HTTPError as exc:
        raise EsignTransient(f"{provider} {method} {_path(url)}: {type(exc).__name__}") from exc
    status = response.status_code
    if 200 <= status < 300 or status in gone:
        return response
    body = response.text[:_MAX_BODY]
    where = f"{provider} {method} {_path(url)} -> {status}"
    if status == 429:
        raise EsignRateLimited(f"{where}: rate limited", retry_after=retry_after_seconds(response.headers.get("Retry-After")))
    if status >= 500 or status in not_ready:
        raise EsignTransient(f"{where}: {body}")
    raise EsignError(f"{where}: {body}")


def path_segment(value: str) -> str:
    """An envelope id that came in a webhook, as one URL path segment. Vendor ids are GUIDs,
    hex or base64url-like: anything else (``/``, ``..``, ``?``) is refused, never sent."""
    if not isinstance(value, str) or not _SEGMENT.fullmatch(value):
        raise EsignError("envelope id is not a plain identifier")
    return value


def _path(url: str) -> str:
    # Never echo query strings: some vendors accept tokens there.
    return httpx.URL(url).path
