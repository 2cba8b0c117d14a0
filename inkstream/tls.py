"""TLS for the listeners: HTTP endpoints (upload API, webhook gateway, review page), SMTP
STARTTLS and explicit FTPS (capture).

``settings.http.tls_cert``/``tls_key`` (PEM files) switch a server to HTTPS; TLS 1.2 is
the floor (1.3 is negotiated whenever the client offers it). ``http.require_tls`` makes
a missing certificate a start-up error instead of a silent plaintext listener, for
deployments where a proxy in front is not trusted to terminate TLS. The capture
listeners use ``capture.tls_cert``/``tls_key``/``require_tls``, each falling back to the
``http`` one (``capture_tls``). Every server context is made here, with the same floor.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inkstream.errors import ConfigError

__all__ = ["MINIMUM_VERSION", "ListenerTls", "capture_tls", "openssl_server_context", "server_context",
           "tls12_context", "uvicorn_tls_options"]

MINIMUM_VERSION = ssl.TLSVersion.TLSv1_2


def uvicorn_tls_options(http: Any) -> dict[str, Any]:
    """Keyword arguments for ``uvicorn.run``/``uvicorn.Config``: {} for plaintext."""
    files = _tls_files(http.tls_cert, http.tls_key, require=getattr(http, "require_tls", False), section="http")
    if files is None:
        return {}
    cert, key = files
    # A module-level function (not a closure): uvicorn's worker processes unpickle it.
    return {"ssl_certfile": str(cert), "ssl_keyfile": str(key), "ssl_context_factory": tls12_context}


def tls12_context(_config: Any, default_factory) -> ssl.SSLContext:
    """uvicorn's context (certificate loaded) with TLS 1.0/1.1 refused whatever the
    OpenSSL build's defaults are."""
    return _harden(default_factory())


@dataclass(frozen=True)
class ListenerTls:
    """A capture listener's TLS: the PEM files, and whether a client must upgrade first."""

    cert: Path
    key: Path
    required: bool


def capture_tls(settings: Any) -> ListenerTls | None:
    """TLS for the SMTP and FTP listeners, or None for plaintext. ``capture.tls_cert``/
    ``tls_key`` default to ``http``'s (one certificate for the host), ``capture.require_tls``
    to ``http.require_tls``; required without a certificate is a start-up error."""
    cap, http = settings.capture, settings.http
    section = "capture" if (cap.tls_cert or cap.tls_key) else "http"
    cert, key = (cap.tls_cert, cap.tls_key) if section == "capture" else (http.tls_cert, http.tls_key)
    required = http.require_tls if cap.require_tls is None else cap.require_tls
    files = _tls_files(cert, key, require=required, section=section)
    return None if files is None else ListenerTls(files[0], files[1], required)


def server_context(cert: Path, key: Path) -> ssl.SSLContext:
    """A stdlib server context (asyncio: aiosmtpd's STARTTLS) with the TLS 1.2 floor."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(cert), str(key))
    return _harden(ctx)


def openssl_server_context(cert: Path, key: Path):
    """The same server context in pyOpenSSL, which pyftpdlib's FTPS handler needs."""
    from OpenSSL import SSL

    ctx = SSL.Context(SSL.TLS_SERVER_METHOD)
    ctx.set_min_proto_version(SSL.TLS1_2_VERSION)
    ctx.set_options(SSL.OP_NO_COMPRESSION)
    ctx.use_certificate_chain_file(str(cert))
    ctx.use_privatekey_file(str(key))
    ctx.check_privatekey()
    return ctx


def _harden(ctx: ssl.SSLContext) -> ssl.SSLContext:
    ctx.minimum_version = MINIMUM_VERSION
    ctx.options |= ssl.OP_NO_COMPRESSION  # CRIME
    return ctx


def _tls_files(cert: Path | None, key: Path | None, *, require: bool, section: str) -> tuple[Path, Path] | None:
    if bool(cert) != bool(key):
        raise ConfigError(f"{section}.tls_cert and {section}.tls_key go together (set both or neither)")
    if not cert:
        if require:
            raise ConfigError(f"require_tls is set but {section}.tls_cert/{section}.tls_key are not: "
                              "refusing to serve plaintext")
        return None
    for path, name in ((cert, f"{section}.tls_cert"), (key, f"{section}.tls_key")):
        if not Path(path).is_file():
            raise ConfigError(f"{name}: no such file {path}")
    return Path(cert), Path(key)
