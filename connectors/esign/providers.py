"""Choose the provider for a name from settings: the real one with its credentials, the local
simulation when it is named or configured (``esign.provider: simulated``, the demo); a real
provider without credentials is a ConfigError, never a silent simulation."""

from __future__ import annotations

import logging

import httpx

from connectors.esign import EsignProvider, provider_name
from connectors.esign.simulated import SimulatedProvider
from inkstream.errors import ConfigError

__all__ = ["build_provider", "has_credentials"]

log = logging.getLogger(__name__)


def has_credentials(settings, name: str) -> bool:
    name = provider_name(name)
    section = getattr(settings.esign, name, None)
    if section is None:
        return False
    if name == "docusign":
        return bool(section.account_id and (section.access_token or section.private_key_file))
    if name == "acrobat_sign":
        return section.access_token is not None
    if name == "dropbox_sign":
        return section.api_key is not None
    return False


def build_provider(settings, name: str, client: httpx.Client) -> EsignProvider:
    """The provider ``name`` (docusign, acrobat_sign, dropbox_sign, simulated, standard)."""
    name = provider_name(name)
    if name == "simulated" or provider_name(settings.esign.provider) == "simulated":
        # Built once per provider and process (streams.esign.wiring and the gateway keep it).
        log.warning("esign.provider is simulated: %s envelopes are SIMULATED locally", name)
        return SimulatedProvider()
    if not has_credentials(settings, name):
        raise ConfigError(f"the e-sign provider {name} has no credentials: set esign.{name}.* "
                          f"(INKSTREAM_ESIGN__{name.upper()}__...), or esign.provider: simulated")
    section = getattr(settings.esign, name)
    if name == "docusign":
        from connectors.esign.docusign import DocuSign
        pem = section.private_key_file.read_bytes() if section.private_key_file else None
        return DocuSign(client, base_url=section.base_url, account_id=section.account_id,
                        access_token=section.access_token.get_secret_value() if section.access_token else None,
                        oauth_base=section.oauth_base, integration_key=section.integration_key,
                        user_id=section.user_id, private_key_pem=pem, idv_workflow_id=section.idv_workflow_id)
    if name == "acrobat_sign":
        from connectors.esign.acrobat_sign import AcrobatSign
        return AcrobatSign(client, base_url=section.base_url, access_token=section.access_token.get_secret_value())
    if name == "dropbox_sign":
        from connectors.esign.dropbox_sign import DropboxSign
        return DropboxSign(client, base_url=section.base_url, api_key=section.api_key.get_secret_value())
    raise ConfigError(f"unknown e-sign provider {name!r}")
