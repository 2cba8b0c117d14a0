"""The vendor's daily API quota, as each reports it in its response headers (each vendor's
object names its reader, ``CrmVendor.daily_quota``, built from the helpers here), for the
``inkstream_crm_api_quota_used`` / ``..._limit`` gauges and the alert before the limit
(ops/prometheus/rules/inkstream.yml: InkstreamCrmDailyQuota*).

- Salesforce (REST API Developer Guide, "Limit Info Header"):
  ``Sforce-Limit-Info: api-usage=18/5000`` (used/limit, per org, rolling 24 h);
- HubSpot (developer changelog 2018-11-06, "Rate limit information headers"):
  ``X-HubSpot-RateLimit-Daily`` and ``X-HubSpot-RateLimit-Daily-Remaining`` (private-app
  tokens; OAuth calls have no daily limit and carry neither);
- Zoho: ``X-RATELIMIT-LIMIT`` and ``X-RATELIMIT-REMAINING`` (API credits). Not confirmed
  from Zoho's own pages here: a response without them leaves the gauges as they were.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

__all__ = ["daily_quota", "salesforce_quota", "limit_and_remaining"]

_SF = re.compile(r"api-usage=(\d+)/(\d+)")
Quota = Callable[[Mapping[str, str]], "tuple[int, int] | None"]


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def salesforce_quota(headers: Mapping[str, str]) -> tuple[int, int] | None:
    m = _SF.search(headers.get("Sforce-Limit-Info", ""))
    return (int(m[1]), int(m[2])) if m else None


def limit_and_remaining(limit_header: str, remaining_header: str) -> Quota:
    """A vendor that reports its daily limit and what remains of it in two headers."""
    def quota(headers: Mapping[str, str]) -> tuple[int, int] | None:
        limit, remaining = _int(headers.get(limit_header)), _int(headers.get(remaining_header))
        if limit is None or remaining is None or limit <= 0:
            return None
        return max(0, limit - remaining), limit
    return quota


def daily_quota(vendor: str, headers: Mapping[str, str]) -> tuple[int, int] | None:
    """(used, limit) from one response's headers, read as the vendor's object says
    (``CrmVendor.daily_quota``); None when the response says nothing."""
    from connectors.crm.registry import CRMS

    return CRMS.get(vendor).daily_quota(headers) if vendor in CRMS else None
