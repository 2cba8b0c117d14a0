"""The e-sign providers (and webhook senders) inkstream knows: one line each. Adding one =
its module (one :class:`~connectors.esign.vendor.EsignVendor`) + one line here; see
connectors/esign/README.md. ``simulated`` is no provider but a mode (``esign.provider:
simulated``): connectors/esign/simulated.py.

>>> ESIGN.names()
('docusign', 'acrobat_sign', 'dropbox_sign', 'standard')
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from connectors.registry import Registry, vendor_section
from inkstream.errors import ConfigError

if TYPE_CHECKING:
    from connectors.esign.vendor import EsignVendor
    from inkstream.settings import EsignProviderSettings, Settings

__all__ = ["ESIGN", "SIMULATED", "esign_settings", "check_settings", "known_name"]

ESIGN: Registry[EsignVendor] = Registry("e-sign provider", {
    "docusign": "connectors.esign.docusign:DOCUSIGN",
    "acrobat_sign": "connectors.esign.acrobat_sign:ACROBAT_SIGN",
    "dropbox_sign": "connectors.esign.dropbox_sign:DROPBOX_SIGN",
    "standard": "connectors.esign.standard_webhooks:STANDARD",
})

SIMULATED = "simulated"


def known_name(name: str) -> bool:
    return name == SIMULATED or name in ESIGN


def esign_settings(settings: Settings, name: str) -> EsignProviderSettings:
    """``esign.<name>``: the section declared in inkstream/settings.py, or (a provider without
    one) the section given in config/env validated with the provider's own model."""
    vendor = ESIGN.get(name)
    return vendor_section(f"esign.{name}", vendor.settings_model, vendor.settings_defaults,
                          getattr(settings.esign, name, None))


def check_settings(settings: Settings) -> None:
    """ConfigError when ``esign.provider`` / ``crm.esign_provider`` name no provider, or
    ``esign`` holds a section that is neither a setting nor a registered provider."""
    from connectors.esign import provider_name

    for key, value in (("esign.provider", settings.esign.provider), ("crm.esign_provider", settings.crm.esign_provider)):
        if not known_name(provider_name(value)):
            raise ConfigError(f"{key}: unknown e-sign provider {value!r} "
                              f"(known: {', '.join(ESIGN.names())}, {SIMULATED})")
    for name in (settings.esign.model_extra or {}):
        if name not in ESIGN:
            raise ConfigError(f"esign.{name}: not a setting and not a registered e-sign provider "
                              f"(known: {', '.join(ESIGN.names())})")
        esign_settings(settings, name)
    for name in settings.esign.max_event_age_s:
        if name not in ESIGN:
            raise ConfigError(f"esign.max_event_age_s: {name!r} is no registered e-sign provider")
