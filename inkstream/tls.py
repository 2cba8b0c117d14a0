"""TLS for the listeners: HTTP endpoints (upload API, webhook gateway, review page), SMTP
STARTTLS and explicit FTPS (capture).

``settings.http.tls_cert``/``tls_key`` (PEM files) switch a server to HTTPS; TLS 1.2 is
the floor (1.3 is negotiated whenever the client offers it). ``http.require_tls`` makes
a missing certificate a start-up error instead of a silent plaintext listener, for
deployments where a proxy in front is not trusted to terminate TLS. The capture
listeners use ``capture.tls_cert``/``tls_key``/``require_tls``, each falling back to the
``http`` one (``capture_tls``). The small stdlib servers (each worker's ``/metrics`` +
``/healthz``, the audit sink's query endpoint, the capture listeners' ``/metrics``) use
``http``'s certificate through ``http_server_context`` and :class:`HTTPSServer`; their
clients (Prometheus, the supervisor, the audit reader) verify against ``client_ca``.
Every server context is made here, with the same floor.
"""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from pathlib import Path
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from inkstream.errors import ConfigError

if TYPE_CHECKING:
    from OpenSSL import SSL

    from inkstream.settings import HttpSettings, Settings

__all__ = ["MINIMUM_VERSION", "HTTPSServer", "ListenerTls", "capture_tls", "client_ca", "client_context",
           "http_server_context", "openssl_server_context", "server_context", "tls12_context",
           "uvicorn_tls_options"]

_HANDSHAKE_TIMEOUT_S = 10.0

MINIMUM_VERSION = ssl.TLSVersion.TLSv1_2


def uvicorn_tls_options(http: HttpSettings) -> dict[str, Any]:
    """Keyword arguments for ``uvicorn.run``/``uvicorn.Config``: {} for plaintext."""
    files = _tls_files(http.tls_cert, http.tls_key, require=http.require_tls, section="http")
    if files is None:
        return {}
    cert, key = files
    # A module-level function (not a closure): uvicorn's worker processes unpickle it.
    return {"ssl_certfile": str(cert), "ssl_keyfile": str(key), "ssl_context_factory": tls12_context}


def tls12_context(_config: Any, default_factory: Callable[[], ssl.SSLContext]) -> ssl.SSLContext:
    """uvicorn's context (certificate loaded) with TLS 1.0/1.1 refused whatever the
    OpenSSL build's defaults are."""
    return _harden(default_factory())


@dataclass(frozen=True)
class ListenerTls:
    """A capture listener's TLS: the PEM files, and whether a client must upgrade first."""

    cert: Path
    key: Path
    required: bool


def capture_tls(settings: Settings) -> ListenerTls | None:
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


def http_server_context(http: HttpSettings) -> ssl.SSLContext | None:
    """The context for a stdlib HTTP listener from ``http``'s certificate, or None for
    plaintext; ``require_tls`` without a certificate is a start-up error."""
    files = _tls_files(http.tls_cert, http.tls_key, require=http.require_tls, section="http")
    return None if files is None else server_context(*files)


def client_ca(http: HttpSettings) -> Path | None:
    """The CA a local client verifies our listeners against (``tls_ca``, else the
    certificate itself), or None when they serve plaintext."""
    if not http.tls_cert:
        return None
    return Path(http.tls_ca or http.tls_cert)


def client_context(http: HttpSettings) -> ssl.SSLContext | None:
    """A verifying client context (TLS 1.2 floor) for our own listeners, or None for plaintext."""
    ca = client_ca(http)
    if ca is None:
        return None
    ctx = ssl.create_default_context(cafile=str(ca))
    ctx.minimum_version = MINIMUM_VERSION
    return ctx


class HTTPSServer(ThreadingHTTPServer):
    """``ThreadingHTTPServer`` that speaks TLS when given a context (plaintext with None).

    The handshake runs in the request's own thread with a timeout, not in ``accept``: a
    client that connects and says nothing (or speaks plaintext) cannot stall the listener.
    """

    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: Any, context: ssl.SSLContext | None = None) -> None:
        self.context = context
        super().__init__(address, handler)

    @property
    def scheme(self) -> str:
        return "http" if self.context is None else "https"

    def finish_request(self, request: socket.socket | tuple[bytes, socket.socket], client_address: Any) -> None:
        if self.context is None or not isinstance(request, socket.socket):  # a stream server: always a socket
            super().finish_request(request, client_address)
            return
        request.settimeout(_HANDSHAKE_TIMEOUT_S)
        try:
            tls = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return  # not TLS, or a refused version: no answer, shutdown_request closes it
        try:
            super().finish_request(tls, client_address)
        finally:
            tls.close()


def openssl_server_context(cert: Path, key: Path) -> SSL.Context:
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
    if not cert or not key:  # both unset (set apart was refused above)
        if require:
            raise ConfigError(f"require_tls is set but {section}.tls_cert/{section}.tls_key are not: "
                              "refusing to serve plaintext")
        return None
    for path, name in ((cert, f"{section}.tls_cert"), (key, f"{section}.tls_key")):
        if not Path(path).is_file():
            raise ConfigError(f"{name}: no such file {path}")
    return Path(cert), Path(key)
