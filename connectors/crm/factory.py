"""Build the configured connector from settings: live, or a dry run when ``crm.dry_run: true``
(never chosen for lack of credentials: those stop the service, inkstream/fail_closed.py).

One place knows every vendor (STYLE: plug-ins registered in one place).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from connectors.crm import CRM_NAMES, CrmConnector
from connectors.crm.metrics import CrmMetrics
from connectors.crm.vendor_http import RetryPolicy, VendorHttp
from connectors.crm.oauth import OAuthToken, StaticToken, TokenSource
from connectors.crm.ratelimit import SalesforceGovernor, TokenBucket
from inkstream.errors import ConfigError
from inkstream.settings import CrmVendorSettings, Settings

__all__ = ["build_connector", "has_credentials", "is_dry_run"]


def has_credentials(vendor: CrmVendorSettings) -> bool:
    return bool(vendor.secret("access_token") or (vendor.client_id and vendor.secret("client_secret")))


def is_dry_run(settings: Settings, crm: str | None = None) -> bool:
    """A dry run only when configured (``crm.dry_run: true``); ``crm`` kept for callers."""
    return settings.crm.dry_run is True


def _oauth(client: httpx.Client, vendor: CrmVendorSettings, token_url: str, scheme: str = "Bearer",
           default_ttl_s: float = 3600.0) -> OAuthToken:
    refresh = vendor.secret("refresh_token")
    return OAuthToken(client, token_url, grant_type="refresh_token" if refresh else "client_credentials",
                      client_id=vendor.client_id or "", client_secret=vendor.secret("client_secret") or "",
                      refresh_token=refresh, scheme=scheme, default_ttl_s=default_ttl_s)


def build_connector(settings: Settings, crm: str, *, client: httpx.Client, dry_run: bool | None = None,
                    sleep: Callable[[float], None] = time.sleep, metrics: CrmMetrics | None = None) -> CrmConnector:
    """A live connector for ``crm`` over ``client``, or (dry run) the same connector over a
    recording transport that sends nothing: see connectors.crm.dryrun. ``metrics`` counts
    live requests and rate-limit waits (a dry run sends none, so it counts none)."""
    if crm not in CRM_NAMES:
        raise ConfigError(f"unknown CRM {crm!r}; known: {', '.join(CRM_NAMES)}")
    dry = is_dry_run(settings, crm) if dry_run is None else dry_run
    if dry:
        from connectors.crm.dryrun import dry_run_connector
        return dry_run_connector(settings, crm)
    cfg = settings.crm
    vendor: CrmVendorSettings = getattr(cfg, crm)
    if not has_credentials(vendor):
        raise ConfigError(f"no credentials for {crm}: set INKSTREAM_CRM__{crm.upper()}__CLIENT_ID and "
                          f"..._CLIENT_SECRET (+ _REFRESH_TOKEN), or ..._ACCESS_TOKEN (HubSpot), or *_FILE; "
                          f"or crm.dry_run: true to record what would be sent")
    policy = RetryPolicy(max_attempts=cfg.max_attempts, base_s=cfg.backoff_base_s, max_s=cfg.backoff_max_s)
    return _live(crm, vendor, client, policy, sleep, metrics)


def _live(crm: str, vendor: CrmVendorSettings, client: httpx.Client, policy: RetryPolicy,
          sleep: Callable[[float], None], metrics: CrmMetrics | None = None) -> CrmConnector:
    # Every sleep of a pacer is a rate-limit wait; VendorHttp records its own Retry-After waits.
    paced = metrics.timed_sleep(crm, sleep) if metrics is not None else sleep
    auth: TokenSource
    if crm == "salesforce":
        from connectors.crm.salesforce import SalesforceConnector
        token_host = (vendor.auth_url or "https://login.salesforce.com").rstrip("/")
        auth = _oauth(client, vendor, f"{token_host}/services/oauth2/token")
        instance = vendor.base_url or (lambda: _instance_url(auth))
        http = VendorHttp("salesforce", client, auth, policy=policy, pacer=SalesforceGovernor(sleep=paced), sleep=sleep,
                           metrics=metrics)
        return SalesforceConnector(http, instance_url=instance, api_version=vendor.api_version or "62.0")
    if crm == "hubspot":
        from connectors.crm.hubspot import HubSpotConnector
        static = vendor.secret("access_token")
        host = (vendor.auth_url or "https://api.hubapi.com").rstrip("/")
        auth = StaticToken(static) if static else _oauth(client, vendor, f"{host}/oauth/v1/token", default_ttl_s=1800)
        pacer = TokenBucket(vendor.requests_per_10s or 100, 10.0, sleep=paced)
        http = VendorHttp("hubspot", client, auth, policy=policy, pacer=pacer, sleep=sleep, metrics=metrics)
        return HubSpotConnector(http, base_url=vendor.base_url or "https://api.hubapi.com",
                                timeline_templates=vendor.timeline_templates)
    from connectors.crm.zoho import ZohoConnector
    accounts = (vendor.auth_url or "https://accounts.zoho.com").rstrip("/")
    auth = _oauth(client, vendor, f"{accounts}/oauth/v2/token", scheme="Zoho-oauthtoken")
    api_domain = vendor.base_url or (lambda: _api_domain(auth))
    http = VendorHttp("zoho", client, auth, policy=policy, sleep=sleep, metrics=metrics)
    return ZohoConnector(http, api_domain=api_domain, api_version=vendor.api_version or "8")


def _instance_url(auth: TokenSource) -> str:
    assert isinstance(auth, OAuthToken)
    if "instance_url" not in auth.extra:
        auth.authorization()
    return auth.extra["instance_url"]


def _api_domain(auth: TokenSource) -> str:
    # Zoho: the data centre that issued the token names the API host (www.zohoapis.eu, ...).
    assert isinstance(auth, OAuthToken)
    if "api_domain" not in auth.extra:
        auth.authorization()
    return auth.extra["api_domain"]
