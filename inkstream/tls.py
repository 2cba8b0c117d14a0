"""TLS for the HTTP endpoints (upload API, webhook gateway, review page).

``settings.http.tls_cert``/``tls_key`` (PEM files) switch a server to HTTPS; TLS 1.2 is
the floor (1.3 is negotiated whenever the client offers it). ``http.require_tls`` makes
a missing certificate a start-up error instead of a silent plaintext listener, for
deployments where a proxy in front is not trusted to terminate TLS.
"""

from __future__ import annotations

import ssl
from typing import Any

from inkstream.errors import ConfigError

__all__ = ["MINIMUM_VERSION", "tls12_context", "uvicorn_tls_options"]

MINIMUM_VERSION = ssl.TLSVersion.TLSv1_2


def uvicorn_tls_options(http: Any) -> dict[str, Any]:
    """Keyword arguments for ``uvicorn.run``/``uvicorn.Config``: {} for plaintext."""
    cert, key = http.tls_cert, http.tls_key
    if bool(cert) != bool(key):
        raise ConfigError("http.tls_cert and http.tls_key go together (set both or neither)")
    if not cert:
        if getattr(http, "require_tls", False):
            raise ConfigError("http.require_tls is set but http.tls_cert/http.tls_key are not: "
                              "refusing to serve plaintext")
        return {}
    for path, name in ((cert, "http.tls_cert"), (key, "http.tls_key")):
        if not path.is_file():
            raise ConfigError(f"{name}: no such file {path}")
    # A module-level function (not a closure): uvicorn's worker processes unpickle it.
    return {"ssl_certfile": str(cert), "ssl_keyfile": str(key), "ssl_context_factory": tls12_context}


def tls12_context(_config: Any, default_factory) -> ssl.SSLContext:
    """uvicorn's context (certificate loaded) with TLS 1.0/1.1 refused whatever the
    OpenSSL build's defaults are."""
    ctx = default_factory()
    ctx.minimum_version = MINIMUM_VERSION
    ctx.options |= ssl.OP_NO_COMPRESSION  # CRIME
    return ctx
