"""Fail closed (issue 12 item 1, issue 15 item 7): shipped secrets are refused outside
development, generated local S3 credentials, dry run / simulation only when configured."""

from __future__ import annotations

import json
import os
import stat

import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from connectors.startable import require_startable
from inkstream.errors import ConfigError
from inkstream.fail_closed import LEGACY_S3, provision_s3_credentials, s3_credentials, s3_credentials_file
from inkstream.settings import load_settings


@pytest.fixture
def prod(tmp_path, monkeypatch):
    """Production settings on a data dir of their own (no generated S3 credentials yet)."""
    monkeypatch.setenv("INKSTREAM_ENVIRONMENT", "production")
    monkeypatch.delenv("INKSTREAM_ESIGN__PROVIDER", raising=False)
    for var in ("INKSTREAM_S3__ACCESS_KEY", "INKSTREAM_S3__SECRET_KEY"):  # tests/conftest.py's stack pair
        monkeypatch.delenv(var, raising=False)

    def make(**overrides):
        return load_settings(**{"data_dir": str(tmp_path / "data"), **overrides})
    return make


def _real_webhook_secrets():
    return {"docusign": {"webhook_keys": [SecretStr("real-connect-key-1")]},
            "dropbox_sign": {"webhook_keys": [SecretStr("real-dbx-key")]},
            "standard": {"webhook_keys": [SecretStr("whsec_cmVhbC1zdGFuZGFyZC1zZWNyZXQ=")]},
            "acrobat_sign": {"client_ids": ["real-acrobat-client"]}, "provider": "simulated"}


def test_the_gateway_refuses_to_start_with_the_shipped_webhook_secrets(prod):
    # The attack: forged `completed` events signed with the keys published in settings.py.
    from connectors.esign.gateway import serve

    settings = prod()
    with pytest.raises(ConfigError) as refused:
        serve(settings, port=0)  # before Kafka or a socket: nothing is served
    message = str(refused.value)
    for name in ("esign.docusign.webhook_keys", "esign.dropbox_sign.webhook_keys",
                 "esign.standard.webhook_keys", "esign.acrobat_sign.client_ids"):
        assert name in message
    # One shipped value among real ones is still refused.
    mixed = _real_webhook_secrets()
    mixed["docusign"]["webhook_keys"].append(SecretStr("inkstream-local-docusign-connect-key"))
    with pytest.raises(ConfigError, match=r"esign\.docusign\.webhook_keys"):
        require_startable(prod(esign=mixed), "webhooks")
    require_startable(prod(esign=_real_webhook_secrets()), "webhooks")


def test_inkstream_run_names_the_setting_and_exits_2(prod, monkeypatch):
    import typer

    from app.commands.run import register

    app = typer.Typer()
    register(app)
    app.command("noop", hidden=True)(lambda: None)  # a group, so `run` stays a subcommand
    monkeypatch.setenv("INKSTREAM_DATA_DIR", str(prod().data_dir))
    result = CliRunner().invoke(app, ["run", "webhooks", "--port", "0"])
    assert result.exit_code == 2
    assert "esign.docusign.webhook_keys" in result.output and "environment: development" in result.output


@pytest.mark.parametrize("service", ["api", "review", "ocr", "esign.complete"])
def test_services_refuse_the_fixed_local_s3_pair_outside_development(prod, service):
    settings = prod(esign={"provider": "simulated"})
    assert s3_credentials(settings) == LEGACY_S3
    with pytest.raises(ConfigError, match=r"s3\.access_key and s3\.secret_key"):
        require_startable(settings, service)
    dev = settings.model_copy(update={"environment": "development"})
    require_startable(dev, service)  # the demo and the tests
    explicit = prod(s3={"access_key": "ops-key", "secret_key": "a-real-secret"})
    assert s3_credentials(explicit) == ("ops-key", "a-real-secret")


def test_up_generates_private_random_s3_credentials_only_for_a_new_data_dir(prod):
    old_umask = os.umask(0o022)
    try:
        settings = prod()
        assert not provision_s3_credentials(settings, fresh=False)  # a running stack keeps its pair
        assert s3_credentials(settings) == LEGACY_S3
        assert provision_s3_credentials(settings, fresh=True)
    finally:
        os.umask(old_umask)
    path = s3_credentials_file(settings)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    access, secret = s3_credentials(settings)
    assert (access, secret) != LEGACY_S3 and len(secret) >= 32 and json.loads(path.read_text())["secret_key"] == secret
    assert not provision_s3_credentials(settings, fresh=True)  # never rotated under a running server
    assert s3_credentials(settings) == (access, secret)
    require_startable(settings, "api")  # generated credentials are not shipped ones
    other = prod(data_dir=str(path.parent.parent.parent / "other"))
    provision_s3_credentials(other, fresh=True)
    assert s3_credentials(other) != (access, secret)


def test_crm_dry_run_only_when_configured(prod):
    s3 = {"access_key": "k", "secret_key": "s"}
    with pytest.raises(ConfigError, match=r"salesforce has no credentials.*crm\.dry_run: true"):
        require_startable(prod(s3=s3), "crm")
    require_startable(prod(s3=s3, crm={"dry_run": True}), "crm")
    require_startable(prod(s3=s3, crm={"salesforce": {"client_id": "c", "client_secret": "x"}}), "crm")


def test_esign_simulation_only_when_configured(prod):
    s3 = {"access_key": "k", "secret_key": "s"}
    for service in ("esign.dispatch", "esign.complete"):
        with pytest.raises(ConfigError, match=r"docusign has no credentials.*esign\.provider: simulated"):
            require_startable(prod(s3=s3), service)
        require_startable(prod(s3=s3, esign={"provider": "simulated"}), service)
        require_startable(prod(s3=s3, esign={"docusign": {"account_id": "a", "access_token": "t"}}), service)


def test_the_demo_modes_let_every_demo_process_start(tmp_path, monkeypatch):
    from app.demo import DEMO_MODES
    from app.demo_processes import PROCESSES

    for var in ("INKSTREAM_ESIGN__PROVIDER", "INKSTREAM_S3__ACCESS_KEY", "INKSTREAM_S3__SECRET_KEY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("INKSTREAM_ENVIRONMENT", "production")
    with pytest.raises(ConfigError):
        require_startable(load_settings(data_dir=str(tmp_path)), "crm")
    for var, value in DEMO_MODES.items():
        monkeypatch.setenv(var, value)
    settings = load_settings(data_dir=str(tmp_path))
    for argv, _port in PROCESSES.values():
        require_startable(settings, argv[1])
