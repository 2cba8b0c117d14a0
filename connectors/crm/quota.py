"""The vendor's daily API quota, as each reports it in its response headers, for the
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
from collections.abc import Mapping

__all__ = ["daily_quota"]

_SF = re.compile(r"api-usage=(\d+)/(\d+)")


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def daily_quota(vendor: str, headers: Mapping[str, str]) -> tuple[int, int] | None:
    """(used, limit) from one response's headers; None when the response says nothing."""
    if vendor == "salesforce":
        m = _SF.search(headers.get("Sforce-Limit-Info", ""))
        return (int(m[1]), int(m[2])) if m else None
    names = {"hubspot": ("X-HubSpot-RateLimit-Daily", "X-HubSpot-RateLimit-Daily-Remaining"),
             "zoho": ("X-RATELIMIT-LIMIT", "X-RATELIMIT-REMAINING")}.get(vendor)
    if names is None:
        return None
    limit, remaining = _int(headers.get(names[0])), _int(headers.get(names[1]))
    if limit is None or remaining is None or limit <= 0:
        return None
    return max(0, limit - remaining), limit
