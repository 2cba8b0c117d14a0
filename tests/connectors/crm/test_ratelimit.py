"""Client-side pacing: the rolling-window bucket, the Salesforce governor, Retry-After."""

from __future__ import annotations

from email.utils import formatdate
import time

import httpx
import pytest

from connectors.crm.ratelimit import SalesforceGovernor, TokenBucket, parse_retry_after
from inkstream.errors import CrmRateLimited


def test_bucket_never_allows_more_than_capacity_in_any_window():
    now, stamps = [0.0], []
    bucket = TokenBucket(10, 10.0, clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s))
    for i in range(45):
        bucket.acquire()
        stamps.append(now[0])
        now[0] += 0.05 * (i % 3)
    for t in stamps:
        assert sum(1 for s in stamps if t <= s < t + 10.0) <= 10
    assert stamps[-1] >= 30.0


def test_bucket_does_not_wait_under_the_limit():
    slept = []
    bucket = TokenBucket(100, 10.0, clock=lambda: 0.0, sleep=slept.append)
    for _ in range(100):
        bucket.acquire()
    assert slept == []


def test_governor_reads_sforce_limit_info_and_paces():
    slept = []
    gov = SalesforceGovernor(sleep=slept.append)
    gov.observe(httpx.Response(200, headers={"Sforce-Limit-Info": "api-usage=5000/15000"}))
    gov.acquire()
    assert slept == [] and gov.used == 5000 and gov.limit == 15000
    gov.observe(httpx.Response(200, headers={"Sforce-Limit-Info": "api-usage=13500/15000"}))
    gov.acquire()
    assert slept == [pytest.approx(2.0 * (0.9 - 0.8) / 0.15)]
    gov.observe(httpx.Response(200, headers={"Sforce-Limit-Info": "api-usage=14999/15000"}))
    with pytest.raises(CrmRateLimited):
        gov.acquire()


def test_retry_after_accepts_seconds_and_http_dates():
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    later = formatdate(time.time() + 30, usegmt=True)
    assert 25 <= parse_retry_after(later) <= 31


def test_bucket_waits_out_the_window_when_hubspot_reports_none_remaining():
    now, slept = [100.0], []
    bucket = TokenBucket(100, 10.0, clock=lambda: now[0], sleep=slept.append)
    bucket.acquire()
    bucket.observe(httpx.Response(200, headers={"X-HubSpot-RateLimit-Remaining": "0",
                                                "X-HubSpot-RateLimit-Interval-Milliseconds": "10000"}))
    bucket.acquire()
    assert slept == [pytest.approx(10.0)]
    bucket.observe(httpx.Response(200, headers={"X-HubSpot-RateLimit-Remaining": "57",
                                                "X-HubSpot-RateLimit-Interval-Milliseconds": "10000"}))
    now[0] += 10.0
    bucket.acquire()
    assert len(slept) == 1
