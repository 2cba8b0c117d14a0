"""Consent (authorization-code) URLs that ask each provider for exactly the least-privilege
scopes of ``connectors.access_scopes``, at the address each vendor's object names
(``authorize_url``): the one place inkstream requests CRM and e-sign
scopes (DocuSign's JWT grant names the same scopes in its assertion).

An administrator opens the URL once, approves, and stores the resulting refresh token
(or, DocuSign JWT, just grants consent); ``inkstream crm consent-url`` prints it.

>>> from inkstream.settings import load_settings
>>> url = consent_url(load_settings(), "docusign", client_id="ik", redirect_uri="https://x/cb", state="s")
>>> url.split("?")[0], "scope=signature+impersonation" in url
('https://account-d.docusign.com/oauth/auth', True)
"""

from __future__ import annotations

from connectors.access_scopes import scopes_for
from connectors.crm.registry import CRMS, vendor_settings
from connectors.esign.registry import ESIGN, esign_settings
from inkstream.errors import ConfigError

__all__ = ["consent_url"]


def consent_url(settings, provider: str, *, redirect_uri: str, state: str, client_id: str | None = None,
                setup: bool = False) -> str:
    """The provider's authorization URL for the scopes inkstream needs (``setup``: the
    one-off scopes of ``inkstream crm setup``)."""
    # A CRM's scopes follow the mapping in use when it is the configured CRM's.
    mapping_file = settings.crm.mapping_file if provider == settings.crm.crm else None
    scopes = scopes_for(provider, setup=setup, mapping_file=mapping_file)
    if not scopes:
        raise ConfigError(f"{provider} is authorised with an API key: there is no consent step or scope")
    client_id = client_id or _client_id(settings, provider)
    if not client_id:
        raise ConfigError(f"{provider}: no OAuth client id configured; pass one")
    common = {"response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri, "state": state}
    if provider in CRMS:
        return CRMS.get(provider).authorize_url(vendor_settings(settings, provider), common, scopes)
    return ESIGN.get(provider).authorize_url(esign_settings(settings, provider), common, scopes)


def _client_id(settings, provider: str) -> str | None:
    if provider in CRMS:
        return vendor_settings(settings, provider).client_id
    return ESIGN.get(provider).oauth_client_id(esign_settings(settings, provider))
