"""OAuth2 token sources for the CRM connectors: cached, refreshed before expiry, and
refreshed once more when the API answers 401.

- ``OAuthToken``: the token endpoint flows (RFC 6749 §6 refresh_token, §4.4
  client_credentials) posted as a form body, so secrets never appear in a URL (and so
  never in httpx's request log). Vendor extras in the token response (Salesforce
  ``instance_url``, Zoho ``api_domain``) are kept in ``extra``.
- ``StaticToken``: a HubSpot private-app token (cannot be refreshed).

Secrets are held as ``SecretStr`` and handed out only to build the Authorization header.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol

import httpx
from pydantic import SecretStr

from inkstream.errors import ConfigError, CrmAuthError, CrmError

__all__ = ["TokenSource", "OAuthToken", "StaticToken"]


class TokenSource(Protocol):
    """Gives the Authorization header value; ``invalidate`` forces a refresh next time."""

    def authorization(self) -> str: ...

    def invalidate(self) -> bool: ...          # False: cannot refresh (static token)

    def secrets(self) -> list[str]: ...        # values to scrub from anything we log or raise


class StaticToken:
    def __init__(self, token: str, *, scheme: str = "Bearer") -> None:
        if not token:
            raise ConfigError("an empty access token was configured")
        self._token, self._scheme = SecretStr(token), scheme

    def authorization(self) -> str:
        return f"{self._scheme} {self._token.get_secret_value()}"

    def invalidate(self) -> bool:
        return False

    def secrets(self) -> list[str]:
        return [self._token.get_secret_value()]


class OAuthToken:
    """A token from ``token_url``; refreshed ``skew_s`` before ``expires_in`` runs out.

    ``default_ttl_s`` applies when the response has no ``expires_in`` (Salesforce: the
    session timeout is an org setting, not in the response)."""

    def __init__(self, client: httpx.Client, token_url: str, *, grant_type: str, client_id: str,
                 client_secret: str, refresh_token: str | None = None, scheme: str = "Bearer",
                 skew_s: float = 60.0, default_ttl_s: float = 3600.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if grant_type not in ("refresh_token", "client_credentials"):
            raise ConfigError(f"unsupported OAuth grant {grant_type!r}")
        if not client_id or not client_secret or (grant_type == "refresh_token" and not refresh_token):
            raise ConfigError(f"OAuth {grant_type} needs client_id, client_secret"
                              + (" and refresh_token" if grant_type == "refresh_token" else ""))
        self._client, self.token_url, self.grant_type = client, token_url, grant_type
        self._client_id = client_id
        self._client_secret = SecretStr(client_secret)
        self._refresh_token = SecretStr(refresh_token) if refresh_token else None
        self._scheme, self._skew, self._ttl, self._clock = scheme, skew_s, default_ttl_s, clock
        self._access: SecretStr | None = None
        self._expires_at = 0.0
        self._lock = threading.Lock()
        self.extra: dict = {}
        self.refreshes = 0

    def authorization(self) -> str:
        with self._lock:
            if self._access is None or self._clock() >= self._expires_at - self._skew:
                self._refresh()
            assert self._access is not None
            return f"{self._scheme} {self._access.get_secret_value()}"

    def invalidate(self) -> bool:
        with self._lock:
            self._access = None
        return True

    def secrets(self) -> list[str]:
        out = [self._client_secret.get_secret_value()]
        for s in (self._refresh_token, self._access):
            if s is not None:
                out.append(s.get_secret_value())
        return out

    def _form(self) -> dict[str, str]:
        form = {"grant_type": self.grant_type, "client_id": self._client_id,
                "client_secret": self._client_secret.get_secret_value()}
        if self.grant_type == "refresh_token":
            assert self._refresh_token is not None
            form["refresh_token"] = self._refresh_token.get_secret_value()
        return form

    def _refresh(self) -> None:
        try:
            resp = self._client.post(self.token_url, data=self._form(), headers={"Accept": "application/json"})
        except httpx.HTTPError as exc:
            raise CrmError(f"token endpoint {self.token_url} unreachable: {type(exc).__name__}") from None
        body = _scrub(resp.text, self.secrets())
        if resp.status_code >= 500 or resp.status_code == 429:
            raise CrmError(f"token endpoint {self.token_url} answered {resp.status_code}",
                           status=resp.status_code, body=body)
        try:
            data = resp.json()
        except ValueError:
            data = {}
        # Zoho answers 200 with {"error": "invalid_code"} for a bad refresh token.
        if resp.status_code != 200 or "error" in data or "access_token" not in data:
            raise CrmAuthError(f"token refresh at {self.token_url} failed ({resp.status_code})",
                               status=resp.status_code, body=body)
        self._access = SecretStr(data["access_token"])
        if data.get("refresh_token"):
            self._refresh_token = SecretStr(data["refresh_token"])  # rotated (HubSpot may)
        self._expires_at = self._clock() + float(data.get("expires_in") or self._ttl)
        self.extra = {k: v for k, v in data.items() if k not in ("access_token", "refresh_token", "id_token")}
        self.refreshes += 1


def _scrub(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text[:4000]
