"""The CRMs inkstream knows: one line each. Adding a CRM = its module (one
:class:`~connectors.crm.vendor.CrmVendor`) + one line here; see connectors/crm/README.md.

>>> CRMS.names()
('salesforce', 'hubspot', 'zoho')
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from connectors.registry import Registry, vendor_section
from inkstream.errors import ConfigError

if TYPE_CHECKING:
    from connectors.crm.vendor import CrmVendor
    from inkstream.settings import CrmVendorSettings, Settings

__all__ = ["CRMS", "crm_vendor", "vendor_settings", "check_settings"]

CRMS: Registry[CrmVendor] = Registry("CRM", {
    "salesforce": "connectors.crm.salesforce:SALESFORCE",
    "hubspot": "connectors.crm.hubspot:HUBSPOT",
    "zoho": "connectors.crm.zoho:ZOHO",
})


def crm_vendor(name: str) -> CrmVendor:
    return CRMS.get(name)


def vendor_settings(settings: Settings, name: str) -> CrmVendorSettings:
    """``crm.<name>``: the section declared in inkstream/settings.py, or (a vendor without
    one) the section given in config/env validated with the vendor's own model."""
    vendor = CRMS.get(name)
    return vendor_section(f"crm.{name}", vendor.settings_model, vendor.settings_defaults,
                          getattr(settings.crm, name, None))


def check_settings(settings: Settings) -> None:
    """ConfigError when ``crm.crm`` names no registered CRM, or ``crm`` holds a section that
    is neither a setting nor a registered CRM (a typo must not pass silently)."""
    CRMS.get(settings.crm.crm)
    for name in (settings.crm.model_extra or {}):
        if name not in CRMS:
            raise ConfigError(f"crm.{name}: not a setting and not a registered CRM "
                              f"(known: {', '.join(CRMS.names())})")
        vendor_settings(settings, name)
