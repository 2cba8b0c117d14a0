"""What a CRM vendor is to inkstream: one frozen :class:`CrmVendor` per vendor, defined in
the vendor's own module (``connectors/crm/salesforce.py`` ...) and listed in
``connectors/crm/registry.py``.

Everything that differs between CRMs is a field here; everything else (retries, OAuth,
the dry run's recording transport, setup, scopes, consent) is shared code that asks the
vendor object. :class:`Wiring` is what the vendor's ``connect`` builds its connector from,
live or dry run alike, so the dry run records exactly what the live connector would send.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from connectors.crm import CrmConnector, CustomField
from connectors.crm.metrics import CrmMetrics
from connectors.crm.oauth import OAuthToken, StaticToken, TokenSource
from connectors.crm.vendor_http import Pacer, RetryPolicy, VendorHttp
from inkstream.settings import CrmVendorSettings

__all__ = ["CrmVendor", "Wiring", "DRY_RUN_TOKEN", "has_credentials"]

DRY_RUN_TOKEN = "dry-run-token"


def has_credentials(section: CrmVendorSettings) -> bool:
    """An access token, or an OAuth client (id + secret)."""
    return bool(section.secret("access_token") or (section.client_id and section.secret("client_secret")))


@dataclass(frozen=True)
class Wiring:
    """The shared parts a vendor's ``connect`` builds its connector from. ``dry_run``: a
    recording client, a placeholder token and no pacing (nothing is sent)."""

    vendor: str
    client: httpx.Client
    policy: RetryPolicy
    dry_run: bool = False
    sleep: Callable[[float], None] = time.sleep
    metrics: CrmMetrics | None = None

    @property
    def paced_sleep(self) -> Callable[[float], None]:
        # Every sleep of a pacer is a rate-limit wait; VendorHttp records its own Retry-After waits.
        return self.metrics.timed_sleep(self.vendor, self.sleep) if self.metrics is not None else self.sleep

    def token(self, section: CrmVendorSettings, token_url: str, *, scheme: str = "Bearer",
              default_ttl_s: float = 3600.0, static: str | None = None) -> TokenSource:
        """``static`` (a private-app token) when given, else OAuth at ``token_url``; the dry run's placeholder."""
        if self.dry_run:
            return StaticToken(DRY_RUN_TOKEN, scheme=scheme)
        if static:
            return StaticToken(static, scheme=scheme)
        refresh = section.secret("refresh_token")
        return OAuthToken(self.client, token_url, grant_type="refresh_token" if refresh else "client_credentials",
                          client_id=section.client_id or "", client_secret=section.secret("client_secret") or "",
                          refresh_token=refresh, scheme=scheme, default_ttl_s=default_ttl_s)

    def http(self, auth: TokenSource, pacer: Callable[[Callable[[float], None]], Pacer] | None = None) -> VendorHttp:
        """``pacer(sleep)``: the vendor's rate limiter, left out of a dry run."""
        if self.dry_run:
            return VendorHttp(self.vendor, self.client, auth, policy=self.policy)
        return VendorHttp(self.vendor, self.client, auth, policy=self.policy,
                          pacer=pacer(self.paced_sleep) if pacer else None, sleep=self.sleep, metrics=self.metrics)


def token_extra(auth: TokenSource, key: str) -> str:
    """A vendor extra of the token answer (Salesforce ``instance_url``, Zoho ``api_domain``)."""
    assert isinstance(auth, OAuthToken)
    if key not in auth.extra:
        auth.authorization()
    return auth.extra[key]


@dataclass(frozen=True)
class CrmVendor:
    """One CRM. Fields:

    - ``name``: the name in settings (``crm.<name>``), mappings (``crm:``) and records;
    - ``settings_model`` / ``settings_defaults``: the model of ``crm.<name>`` and its defaults
      (for a vendor without a section declared in ``inkstream/settings.py``);
    - ``token_url(section)``: the OAuth token endpoint;
    - ``scopes(objects, setup)``: least-privilege scopes for writing ``objects`` (SECURITY.md);
    - ``authorize_url(section, params, scopes)``: the consent (authorization-code) URL;
    - ``custom_fields()``: what ``inkstream crm setup`` creates;
    - ``signature_fields``: status/signed_at/signer/hash field names of the e-sign commands;
    - ``account_object``, ``record_id_field``, ``external_id_ok(field)``: mapping rules;
    - ``connect(section, wiring)``: the connector, live or (``wiring.dry_run``) recording;
    - ``dry_run_answer(request, record_id)``: a plausible success answer, shaped like the
      vendor's, so the dry-run connector proceeds.
    """

    name: str
    label: str
    token_url: Callable[[CrmVendorSettings], str]
    scopes: Callable[[list[str], bool], tuple[str, ...]]
    authorize_url: Callable[[CrmVendorSettings, dict[str, str], tuple[str, ...]], str]
    custom_fields: Callable[[], list[CustomField]]
    signature_fields: Mapping[str, str]
    account_object: str
    record_id_field: str
    external_id_ok: Callable[[str], bool]
    connect: Callable[[CrmVendorSettings, Wiring], CrmConnector]
    dry_run_answer: Callable[[httpx.Request, str], httpx.Response]
    # (used, limit) of the daily API quota from a response's headers (connectors/crm/quota.py).
    daily_quota: Callable[[Mapping[str, str]], tuple[int, int] | None] = lambda headers: None
    shipped_mapping: Path | None = None     # default mappings/<name>.yaml: what its scopes cover
    settings_model: type[CrmVendorSettings] = CrmVendorSettings
    settings_defaults: Mapping[str, Any] = field(default_factory=dict)
