"""Consent (authorization-code) URLs that ask each provider for exactly the least-privilege
scopes of ``connectors.access_scopes``: the one place inkstream requests CRM and e-sign
scopes (DocuSign's JWT grant names the same scopes in its assertion).

An administrator opens the URL once, approves, and stores the resulting refresh token
(or, DocuSign JWT, just grants consent); ``inkstream crm consent-url`` prints it.

>>> from inkstream.settings import load_settings
>>> url = consent_url(load_settings(), "docusign", client_id="ik", redirect_uri="https://x/cb", state="s")
>>> url.split("?")[0], "scope=signature+impersonation" in url
('https://account-d.docusign.com/oauth/auth', True)
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit
from typing import TYPE_CHECKING

from connectors.access_scopes import scopes_for
from inkstream.errors import ConfigError

if TYPE_CHECKING:
    from inkstream.settings import Settings

__all__ = ["consent_url"]


def consent_url(settings: Settings, provider: str, *, redirect_uri: str, state: str, client_id: str | None = None,
                setup: bool = False) -> str:
    """The provider's authorization URL for the scopes inkstream needs (``setup``: the
    one-off scopes of ``inkstream crm setup``)."""
    scopes = scopes_for(provider, setup=setup)
    if not scopes:
        raise ConfigError(f"{provider} is authorised with an API key: there is no consent step or scope")
    client_id = client_id or _client_id(settings, provider)
    if not client_id:
        raise ConfigError(f"{provider}: no OAuth client id configured; pass one")
    common = {"response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri, "state": state}
    if provider == "salesforce":
        host = (settings.crm.salesforce.auth_url or "https://login.salesforce.com").rstrip("/")
        return f"{host}/services/oauth2/authorize?" + urlencode({**common, "scope": " ".join(scopes)})
    if provider == "hubspot":
        return "https://app.hubspot.com/oauth/authorize?" + urlencode({**common, "scope": " ".join(scopes)})
    if provider == "zoho":
        host = (settings.crm.zoho.auth_url or "https://accounts.zoho.com").rstrip("/")
        # Zoho separates scopes with commas; offline access is how a refresh token is issued.
        return f"{host}/oauth/v2/auth?" + urlencode({**common, "scope": ",".join(scopes),
                                                     "access_type": "offline", "prompt": "consent"})
    if provider == "docusign":
        host = (settings.esign.docusign.oauth_base or "https://account.docusign.com").rstrip("/")
        return f"{host}/oauth/auth?" + urlencode({**common, "scope": " ".join(scopes)})
    if provider == "acrobat_sign":
        # The consent page lives on the API host's "secure." twin (api.na1 -> secure.na1).
        api = urlsplit(settings.esign.acrobat_sign.base_url or "https://api.na1.adobesign.com").hostname or ""
        host = "secure." + api.split(".", 1)[1] if api.startswith("api.") else api
        return f"https://{host}/public/oauth/v2?" + urlencode({**common, "scope": " ".join(scopes)})
    raise ConfigError(f"unknown provider {provider!r}")


def _client_id(settings: Settings, provider: str) -> str | None:
    if provider in ("salesforce", "hubspot", "zoho"):
        return getattr(settings.crm, provider).client_id
    if provider == "docusign":
        return settings.esign.docusign.integration_key
    return None
