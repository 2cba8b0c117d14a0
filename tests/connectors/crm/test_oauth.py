"""Token sources: cached, refreshed before expiry, secrets from env or files."""

from __future__ import annotations

import httpx
import pytest

from connectors.crm.factory import build_connector, is_dry_run
from connectors.crm.oauth import OAuthToken
from fakes.crm_zoho import FakeZoho
from crm_helpers import planned
from inkstream.errors import ConfigError, CrmAuthError
from inkstream.settings import load_settings


def _token(fake, clock):
    return OAuthToken(httpx.Client(transport=fake.transport), f"{fake.accounts}/oauth/v2/token",
                      grant_type="refresh_token", client_id=fake.client_id, client_secret=fake.client_secret,
                      refresh_token=fake.refresh_token, scheme="Zoho-oauthtoken", clock=clock)


def test_token_is_cached_until_shortly_before_expiry():
    fake, now = FakeZoho(), [0.0]
    token = _token(fake, lambda: now[0])
    first = token.authorization()
    now[0] = 3500.0                      # expires_in 3600, refreshed 60 s early
    assert token.authorization() == first and fake.token_requests == 1
    now[0] = 3545.0
    assert token.authorization() != first and fake.token_requests == 2
    assert token.extra["api_domain"] == "https://www.zohoapis.eu"


def test_token_response_never_keeps_the_token_in_extra():
    fake = FakeZoho()
    token = _token(fake, lambda: 0.0)
    token.authorization()
    assert "access_token" not in token.extra and "refresh_token" not in token.extra


def test_repr_of_settings_hides_secrets(monkeypatch):
    monkeypatch.setenv("INKSTREAM_CRM__ZOHO__CLIENT_SECRET", "env-secret-123")
    settings = load_settings()
    assert settings.crm.zoho.secret("client_secret") == "env-secret-123"
    assert "env-secret-123" not in repr(settings) and "env-secret-123" not in str(settings.model_dump())


def test_secrets_can_come_from_files(tmp_path, crm_settings):
    fake = FakeZoho()
    (tmp_path / "secret").write_text(fake.client_secret + "\n")
    (tmp_path / "refresh").write_text(fake.refresh_token)
    settings = crm_settings(zoho={"auth_url": fake.accounts, "client_id": fake.client_id,
                                  "client_secret_file": str(tmp_path / "secret"),
                                  "refresh_token_file": str(tmp_path / "refresh")})
    assert not is_dry_run(settings, "zoho")
    zoho = build_connector(settings, "zoho", client=httpx.Client(transport=fake.transport))
    assert zoho.apply(planned("zoho")[0]).status == "created"


def test_dry_run_only_when_configured_and_no_credentials_is_an_error(crm_settings):
    # Issue 15 item 7: never a silent dry run for lack of credentials.
    assert is_dry_run(crm_settings(dry_run=True), "salesforce")
    assert not is_dry_run(crm_settings(), "salesforce")
    assert not is_dry_run(crm_settings(dry_run=False), "salesforce")
    with pytest.raises(ConfigError, match="no credentials for salesforce.*crm.dry_run: true"):
        build_connector(crm_settings(), "salesforce", client=httpx.Client())


def test_refresh_grant_without_refresh_token_is_a_config_error():
    with pytest.raises(ConfigError):
        OAuthToken(httpx.Client(), "https://x/token", grant_type="refresh_token", client_id="a", client_secret="b")


def test_token_endpoint_refusal_is_an_auth_error():
    fake = FakeZoho()
    token = OAuthToken(httpx.Client(transport=fake.transport), f"{fake.accounts}/oauth/v2/token",
                       grant_type="refresh_token", client_id=fake.client_id, client_secret="wrong-secret-abc",
                       refresh_token=fake.refresh_token)
    with pytest.raises(CrmAuthError) as exc:
        token.authorization()
    assert "wrong-secret-abc" not in str(exc.value) + exc.value.body
