"""Choose the provider for a name from settings: the real one with its credentials, the local
simulation when it is named or configured (``esign.provider: simulated``, the demo); a real
provider without credentials is a ConfigError, never a silent simulation. Which providers
exist and how each is built: their objects in connectors/esign/registry.py."""

from __future__ import annotations

import logging

import httpx

from connectors.esign import EsignProvider, provider_name
from connectors.esign.registry import ESIGN, SIMULATED, esign_settings
from connectors.esign.simulated import SimulatedProvider
from inkstream.errors import ConfigError

__all__ = ["build_provider", "has_credentials"]

log = logging.getLogger(__name__)


def has_credentials(settings, name: str) -> bool:
    name = provider_name(name)
    if name not in ESIGN:
        return False
    return ESIGN.get(name).has_credentials(esign_settings(settings, name))


def build_provider(settings, name: str, client: httpx.Client) -> EsignProvider:
    """The provider ``name`` (a registered one, or ``simulated``)."""
    name = provider_name(name)
    if name != SIMULATED:
        ESIGN.get(name)  # an unknown name is a ConfigError, in the simulation mode too
    if name == SIMULATED or provider_name(settings.esign.provider) == SIMULATED:
        # Built once per provider and process (streams.esign.wiring and the gateway keep it).
        log.warning("esign.provider is simulated: %s envelopes are SIMULATED locally", name)
        return SimulatedProvider()
    vendor = ESIGN.get(name)
    if vendor.build is None:
        raise ConfigError(f"{name} is a webhook sender without an API: envelopes cannot be sent through it")
    section = esign_settings(settings, name)
    if not vendor.has_credentials(section):
        raise ConfigError(f"the e-sign provider {name} has no credentials: set esign.{name}.* "
                          f"(INKSTREAM_ESIGN__{name.upper()}__...), or esign.provider: simulated")
    return vendor.build(section, client)
