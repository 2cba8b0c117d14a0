"""CRM connector metrics, built on a registry passed in (the crm worker's, see
``Processor.registry``).

>>> from prometheus_client import CollectorRegistry
>>> m = CrmMetrics.create(CollectorRegistry())
>>> m.response("hubspot", 429); m.waited("hubspot", 2.0)

Labels are the CRM's name and a bounded outcome: never a record id, a URL or a field value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

__all__ = ["CrmMetrics", "outcome"]

_WAIT_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300)


def outcome(status: int | None) -> str:
    """A response status as a bounded label value (None: no response at all)."""
    if status is None:
        return "transport_error"
    if status < 400:
        return "ok"
    if status == 401:
        return "auth_error"
    if status == 429:
        return "rate_limited"
    return "server_error" if status >= 500 else "client_error"


@dataclass(frozen=True)
class CrmMetrics:
    requests: Counter
    rate_limit_wait: Histogram
    review: Counter
    quota_used: Gauge
    quota_limit: Gauge

    @classmethod
    def create(cls, registry: CollectorRegistry) -> "CrmMetrics":
        return cls(
            requests=Counter("inkstream_crm_requests_total",
                             "CRM API requests by outcome (ok, rate_limited, server_error, client_error, "
                             "auth_error, transport_error).", ["crm", "outcome"], registry=registry),
            rate_limit_wait=Histogram("inkstream_crm_rate_limit_wait_seconds",
                                      "Waits imposed by CRM rate limits: client-side pacing, Retry-After slept "
                                      "inline, and partition pauses (Backpressure).",
                                      ["crm"], buckets=_WAIT_BUCKETS, registry=registry),
            review=Counter("inkstream_crm_match_review_total",
                           "Commands routed to review because no single CRM record fits (tie or miss).",
                           ["crm", "object"], registry=registry),
            quota_used=Gauge("inkstream_crm_api_quota_used",
                             "API calls used in the vendor's daily quota window, as the vendor reports it "
                             "(Sforce-Limit-Info, X-HubSpot-DailyRatelimit-*, X-RATELIMIT-*).", ["crm"],
                             registry=registry),
            quota_limit=Gauge("inkstream_crm_api_quota_limit",
                              "The vendor's daily API call limit, as it reports it.", ["crm"], registry=registry),
        )

    def response(self, crm: str, status: int | None) -> None:
        self.requests.labels(crm, outcome(status)).inc()

    def waited(self, crm: str, seconds: float) -> None:
        if seconds > 0:
            self.rate_limit_wait.labels(crm).observe(seconds)

    def routed_to_review(self, crm: str, obj: str) -> None:
        self.review.labels(crm, obj).inc()

    def quota(self, crm: str, used: int, limit: int) -> None:
        self.quota_used.labels(crm).set(used)
        self.quota_limit.labels(crm).set(limit)

    def timed_sleep(self, crm: str, sleep: Callable[[float], None]) -> Callable[[float], None]:
        """``sleep`` that also records each wait (for a pacer, whose every sleep is a rate-limit wait)."""
        def paced(seconds: float) -> None:
            self.waited(crm, seconds)
            sleep(seconds)
        return paced
