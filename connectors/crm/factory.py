"""Build the configured connector from settings: live, or a dry run when ``crm.dry_run: true``
(never chosen for lack of credentials: those stop the service, inkstream/fail_closed.py).

Vendor-neutral: the vendor's own object (connectors/crm/registry.py) builds its connector
from the shared :class:`~connectors.crm.vendor.Wiring`, live and dry run alike.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from connectors.crm import CrmConnector
from connectors.crm.metrics import CrmMetrics
from connectors.crm.registry import CRMS, check_settings, vendor_settings
from connectors.crm.vendor import Wiring, has_credentials
from connectors.crm.vendor_http import RetryPolicy
from inkstream.errors import ConfigError
from inkstream.settings import Settings

__all__ = ["build_connector", "has_credentials", "is_dry_run"]


def is_dry_run(settings: Settings, crm: str | None = None) -> bool:
    """A dry run only when configured (``crm.dry_run: true``); ``crm`` kept for callers."""
    return settings.crm.dry_run is True


def build_connector(settings: Settings, crm: str, *, client: httpx.Client, dry_run: bool | None = None,
                    sleep: Callable[[float], None] = time.sleep, metrics: CrmMetrics | None = None) -> CrmConnector:
    """A live connector for ``crm`` over ``client``, or (dry run) the same connector over a
    recording transport that sends nothing: see connectors.crm.dryrun. ``metrics`` counts
    live requests and rate-limit waits (a dry run sends none, so it counts none)."""
    vendor = CRMS.get(crm)
    check_settings(settings)
    dry = is_dry_run(settings, crm) if dry_run is None else dry_run
    if dry:
        from connectors.crm.dryrun import dry_run_connector
        return dry_run_connector(settings, crm)
    cfg = settings.crm
    section = vendor_settings(settings, crm)
    if not has_credentials(section):
        raise ConfigError(f"no credentials for {crm}: set INKSTREAM_CRM__{crm.upper()}__CLIENT_ID and "
                          f"..._CLIENT_SECRET (+ _REFRESH_TOKEN), or ..._ACCESS_TOKEN (HubSpot), or *_FILE; "
                          f"or crm.dry_run: true to record what would be sent")
    policy = RetryPolicy(max_attempts=cfg.max_attempts, base_s=cfg.backoff_base_s, max_s=cfg.backoff_max_s)
    return vendor.connect(section, Wiring(crm, client, policy, sleep=sleep, metrics=metrics))
