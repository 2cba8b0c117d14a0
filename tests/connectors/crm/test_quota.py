"""Daily quota accounting (issue 15 item 2): the vendor's own count reaches the
inkstream_crm_api_quota_* gauges the alert rule reads (ops/prometheus/rules/inkstream.yml,
tested with promtool in ops/prometheus/tests/inkstream_test.yml)."""

from __future__ import annotations

import httpx
from prometheus_client import CollectorRegistry

from connectors.crm.factory import build_connector
from connectors.crm.metrics import CrmMetrics
from connectors.crm.quota import daily_quota
from crm_helpers import apply_all, planned
from fakes.crm_hubspot import FakeHubSpot
from fakes.crm_salesforce import FakeSalesforce


def _gauge(registry, name, crm):
    return registry.get_sample_value(name, {"crm": crm})


def test_salesforce_limit_info_header_sets_the_quota_gauges(crm_settings):
    fake = FakeSalesforce(daily_limit=5000)
    fake.api_used = 3990  # the org has spent most of today's calls elsewhere
    registry = CollectorRegistry()
    settings = crm_settings(salesforce={"auth_url": fake.login_url, "client_id": fake.client_id,
                                        "client_secret": fake.client_secret, "refresh_token": fake.refresh_token})
    sf = build_connector(settings, "salesforce", client=httpx.Client(transport=fake.transport), dry_run=False,
                         sleep=lambda s: None, metrics=CrmMetrics.create(registry))
    apply_all(sf, planned("salesforce"))
    assert _gauge(registry, "inkstream_crm_api_quota_limit", "salesforce") == 5000
    assert _gauge(registry, "inkstream_crm_api_quota_used", "salesforce") == fake.api_used > 3990


def test_hubspot_daily_headers_set_the_quota_gauges(crm_settings):
    fake = FakeHubSpot(daily_limit=250_000)
    registry = CollectorRegistry()
    hs = build_connector(crm_settings(hubspot={"access_token": fake.private_app_token}), "hubspot",
                         client=httpx.Client(transport=fake.transport), dry_run=False, sleep=lambda s: None,
                         metrics=CrmMetrics.create(registry))
    apply_all(hs, planned("hubspot"))
    assert _gauge(registry, "inkstream_crm_api_quota_limit", "hubspot") == 250_000
    assert _gauge(registry, "inkstream_crm_api_quota_used", "hubspot") == fake.daily_used > 0


def test_headers_are_read_per_vendor_and_junk_is_ignored():
    assert daily_quota("salesforce", {"Sforce-Limit-Info": "api-usage=18/15000"}) == (18, 15000)
    assert daily_quota("hubspot", {"X-HubSpot-RateLimit-Daily": "500000",
                                   "X-HubSpot-RateLimit-Daily-Remaining": "499000"}) == (1000, 500000)
    assert daily_quota("zoho", {"X-RATELIMIT-LIMIT": "25000", "X-RATELIMIT-REMAINING": "100"}) == (24900, 25000)
    assert daily_quota("hubspot", {"X-HubSpot-RateLimit-Daily": "lots"}) is None
    assert daily_quota("salesforce", {}) is None and daily_quota("zoho", {"X-RATELIMIT-LIMIT": "0",
                                                                          "X-RATELIMIT-REMAINING": "0"}) is None
