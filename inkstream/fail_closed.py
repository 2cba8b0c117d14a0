"""Fail closed: what a service needs before it may start.

1. **No shipped secret outside development.** The webhook keys and client id in
   ``inkstream/settings.py`` and the fixed S3 key of early local stacks are public (they are
   in this repository): anyone can forge a DocuSign ``completed`` or read the bucket with
   them. Outside ``environment: development`` (the demo and the tests) a service that would
   use one refuses to start and names the setting to set.
2. **No mode chosen for lack of credentials.** A CRM dry run only with ``crm.dry_run: true``,
   the e-sign simulation only with ``esign.provider: simulated``; otherwise missing
   credentials stop the service with the setting to set.

The local S3 server's credentials: ``inkstream up`` generates random ones into
``<data_dir>/conf/s3-credentials.json`` (0600) when it provisions a new data directory;
every client reads them from there (``s3_credentials``). A data directory provisioned
before that keeps the fixed pair its running server was started with, so a running stack
is never broken by an upgrade; development accepts it, production refuses it.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path

from inkstream.errors import ConfigError
from inkstream.secure_files import create_private

__all__ = ["LEGACY_S3", "s3_credentials", "s3_credentials_file", "provision_s3_credentials", "stack_s3_env",
           "shipped_secrets"]

# The fixed pair of stacks provisioned before generated credentials (and of old compose files).
LEGACY_S3 = ("inkstream", "inkstream-local-secret")

# Services that do not touch the object store (the gateway only verifies and publishes).
_NO_S3 = {"webhooks", "passthrough"}


def s3_credentials_file(settings) -> Path:
    return Path(settings.data_dir).expanduser() / "conf" / "s3-credentials.json"


def s3_credentials(settings) -> tuple[str, str]:
    """(access key, secret key): explicit settings, else the generated local pair, else the
    legacy fixed pair (refused outside development by ``connectors.startable.require_startable``)."""
    s3 = settings.s3
    if s3.access_key and s3.secret_key:
        return s3.access_key, s3.secret_key.get_secret_value()
    if s3.access_key or s3.secret_key:
        raise ConfigError("set both s3.access_key and s3.secret_key (INKSTREAM_S3__ACCESS_KEY / __SECRET_KEY)")
    path = s3_credentials_file(settings)
    if not s3.external and path.exists():
        try:
            data = json.loads(path.read_text())
            return data["access_key"], data["secret_key"]
        except (ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"{path} is not a valid S3 credentials file: {exc}") from exc
    return LEGACY_S3


def provision_s3_credentials(settings, *, fresh: bool) -> bool:
    """Generate the local S3 server's credentials (0600) when the data directory is new
    (``fresh``) and none are configured. True when it wrote them."""
    s3 = settings.s3
    path = s3_credentials_file(settings)
    if s3.external or s3.access_key or s3.secret_key or path.exists() or not fresh:
        return False
    pair = {"access_key": f"inkstream-{secrets.token_hex(6)}", "secret_key": secrets.token_urlsafe(32)}
    try:
        create_private(path, json.dumps(pair).encode())
    except FileExistsError:
        return False
    return True


def stack_s3_env(settings) -> dict[str, str]:
    """``INKSTREAM_S3__*`` for processes that get a data directory of their own but use this
    stack's S3 server (tests, benchmarks): its generated pair; {} when there is none."""
    s3 = settings.s3
    if s3.external or s3.access_key or s3.secret_key or not s3_credentials_file(settings).exists():
        return {}
    access_key, secret_key = s3_credentials(settings)
    return {"INKSTREAM_S3__ACCESS_KEY": access_key, "INKSTREAM_S3__SECRET_KEY": secret_key}


def _shipped_esign() -> dict[str, set[str]]:
    from inkstream.settings import EsignSettings

    d = EsignSettings()
    return {
        "esign.docusign.webhook_keys": {k.get_secret_value() for k in d.docusign.webhook_keys},
        "esign.dropbox_sign.webhook_keys": {k.get_secret_value() for k in d.dropbox_sign.webhook_keys},
        "esign.standard.webhook_keys": {k.get_secret_value() for k in d.standard.webhook_keys},
        "esign.acrobat_sign.client_ids": set(d.acrobat_sign.client_ids),
    }


def shipped_secrets(settings, service: str) -> list[str]:
    """The settings for which ``service`` would use a value shipped in this repository."""
    found: list[str] = []
    if service not in _NO_S3 and s3_credentials(settings) == LEGACY_S3:
        found.append("s3.access_key and s3.secret_key (or provision a new data dir: `inkstream up` generates them)")
    if service == "webhooks":
        esign = settings.esign
        configured = {
            "esign.docusign.webhook_keys": {k.get_secret_value() for k in esign.docusign.webhook_keys},
            "esign.dropbox_sign.webhook_keys": {k.get_secret_value() for k in esign.dropbox_sign.webhook_keys},
            "esign.standard.webhook_keys": {k.get_secret_value() for k in esign.standard.webhook_keys},
            "esign.acrobat_sign.client_ids": set(esign.acrobat_sign.client_ids),
        }
        for name, shipped in _shipped_esign().items():
            if configured[name] & shipped:
                found.append(name)
    return found
