"""The request loop every CRM connector shares: auth header, client-side pacing,
bounded retries with backoff and jitter for 429/5xx/transport errors, one token refresh
on 401, and the mapping of HTTP failures onto ``inkstream.errors``.

Long waits are not slept here: a ``Retry-After`` above ``max_inline_wait_s`` is raised
as CrmRateLimited so the runtime pauses the partition (Backpressure) instead of a
worker sleeping with a record in hand.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import unquote

import httpx

from connectors.crm.metrics import CrmMetrics
from connectors.crm.oauth import TokenSource
from connectors.crm.quota import daily_quota
from connectors.crm.ratelimit import parse_retry_after
from inkstream.errors import CrmAuthError, CrmError, CrmPermanentError, CrmRateLimited

__all__ = ["RetryPolicy", "VendorHttp", "Pacer", "scrub"]

log = logging.getLogger("inkstream.crm")


class Pacer(Protocol):
    def acquire(self) -> None: ...

    def observe(self, response: httpx.Response) -> None: ...


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    base_s: float = 0.5
    max_s: float = 20.0
    max_inline_wait_s: float = 10.0

    def backoff(self, attempt: int, rng: Callable[[], float]) -> float:
        """Exponential, capped, with "equal jitter": half fixed, half random."""
        ceiling = min(self.max_s, self.base_s * 2 ** (attempt - 1))
        return ceiling / 2 + rng() * ceiling / 2


def scrub(text: str | None, secrets: list[str]) -> str | None:
    if text is None:
        return None
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text[:4000]


class VendorHttp:
    """``request()`` returns a response with status < 400 (or 300), or raises."""

    def __init__(self, vendor: str, client: httpx.Client, auth: TokenSource, *,
                 policy: RetryPolicy = RetryPolicy(), pacer: Pacer | None = None,
                 sleep: Callable[[float], None] = time.sleep, rng: Callable[[], float] = random.random,
                 metrics: CrmMetrics | None = None) -> None:
        self.vendor, self.client, self.auth, self.policy = vendor, client, auth, policy
        self.pacer, self._sleep, self._rng, self.metrics = pacer, sleep, rng, metrics

    def _count(self, status: int | None) -> None:
        if self.metrics is not None:
            self.metrics.response(self.vendor, status)

    def request(self, method: str, url: str, *, idempotent: bool = True, **kwargs: Any) -> httpx.Response:
        """``idempotent=False`` (a file upload, a note): a 5xx or a lost connection is not
        retried here, because the vendor may have acted on it; the caller's command-level
        retry looks its idempotency ledger up first, then sends again if needed."""
        refreshed = False
        attempt = 0
        while True:
            attempt += 1
            if self.pacer is not None:
                self.pacer.acquire()
            headers = {**kwargs.pop("headers", {}), "Authorization": self.auth.authorization()}
            kwargs["headers"] = headers
            try:
                resp = self.client.request(method, url, **kwargs)
            except httpx.TransportError as exc:
                self._count(None)
                self._retry_or_raise(attempt if idempotent else self.policy.max_attempts,
                                     f"{method} {_path(url)}: {type(exc).__name__}", None, None)
                continue
            if self.pacer is not None:
                self.pacer.observe(resp)
            status = resp.status_code
            self._count(status)
            if self.metrics is not None:
                quota = daily_quota(self.vendor, resp.headers)
                if quota is not None:
                    self.metrics.quota(self.vendor, *quota)
            log.info("%s %s %s -> %s (attempt %d)", self.vendor, method, _path(url), status, attempt)
            if status < 400:
                return resp
            body = scrub(resp.text, self.auth.secrets())
            if status == 401:
                if not refreshed and self.auth.invalidate():
                    refreshed, attempt = True, attempt - 1  # a refresh is not a retry
                    continue
                raise CrmAuthError(f"{self.vendor} {method} {_path(url)}: 401 after token refresh",
                                   status=401, body=body)
            if status == 429:
                self._rate_limited(resp, attempt, method, url, body)
                continue
            if status >= 500:
                self._retry_or_raise(attempt if idempotent else self.policy.max_attempts,
                                     f"{method} {_path(url)}: {status}", status, body)
                continue
            raise CrmPermanentError(f"{self.vendor} {method} {_path(url)}: {status}", status=status, body=body)

    def _rate_limited(self, resp: httpx.Response, attempt: int, method: str, url: str, body: str | None) -> None:
        wait = parse_retry_after(resp.headers.get("Retry-After"))
        if wait is None:
            wait = self.policy.backoff(attempt, self._rng)
        if wait > self.policy.max_inline_wait_s or attempt >= self.policy.max_attempts:
            raise CrmRateLimited(f"{self.vendor} {method} {_path(url)}: 429", retry_after=wait, body=body)
        log.warning("%s rate limited on %s %s; waiting %.2fs", self.vendor, method, _path(url), wait)
        if self.metrics is not None:
            self.metrics.waited(self.vendor, wait)
        self._sleep(wait)

    def _retry_or_raise(self, attempt: int, what: str, status: int | None, body: str | None) -> None:
        if attempt >= self.policy.max_attempts:
            raise CrmError(f"{self.vendor} {what} after {attempt} attempts", status=status, body=body)
        wait = self.policy.backoff(attempt, self._rng)
        log.warning("%s %s; retry in %.2fs", self.vendor, what, wait)
        self._sleep(wait)


def _path(url: str) -> str:
    """Scheme, host and path only: query strings may carry search values, and a path
    segment that is an e-mail (a contact upserted by e-mail) is personal data."""
    parsed = httpx.URL(url)
    segments = ["<email>" if "@" in unquote(seg) else seg for seg in parsed.raw_path.decode().split("?")[0].split("/")]
    return f"{parsed.scheme}://{parsed.netloc.decode()}{'/'.join(segments)}"
