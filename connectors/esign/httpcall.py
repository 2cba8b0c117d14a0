"""One place where httpx errors and vendor status codes become inkstream errors."""

from __future__ import annotations

import email.utils
import time

import httpx

from inkstream.errors import EsignError, EsignRateLimited, EsignTransient

__all__ = ["call", "retry_after_seconds"]

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
         not_ready: tuple[int, ...] = (), **kwargs) -> httpx.Response:
    """Send one request; 2xx → the response, anything else → an ``EsignError`` subclass.

    ``not_ready`` lists statuses that mean "try again later" for this call (Dropbox Sign
    answers 409 while the signed files are still being prepared)."""
    try:
        response = client.request(method, url, **kwargs)
    except httpx.HTTPError as exc:
        raise EsignTransient(f"{provider} {method} {_path(url)}: {type(exc).__name__}") from exc
    status = response.status_code
    if 200 <= status < 300:
        return response
    body = response.text[:_MAX_BODY]
    where = f"{provider} {method} {_path(url)} -> {status}"
    if status == 429:
        raise EsignRateLimited(f"{where}: rate limited", retry_after=retry_after_seconds(response.headers.get("Retry-After")))
    if status >= 500 or status in not_ready:
        raise EsignTransient(f"{where}: {body}")
    raise EsignError(f"{where}: {body}")


def _path(url: str) -> str:
    # Never echo query strings: some vendors accept tokens there.
    return httpx.URL(url).path
