"""FTP endpoint for MFPs that scan to FTP (pyftpdlib, optional extra ``inkstream[ftp]``).

An upload lands in the FTP root; the moment the transfer completes (``STOR`` done, so
the file is whole by definition) it is handed to the same ``HotFolder.take`` as the
hot folder: ingested, then moved to ``done/`` or ``failed/`` with a reason file. An
aborted transfer's partial file is deleted. The scanner account may only upload and
list (no downloads), and the server binds 127.0.0.1 unless configured otherwise.

With a certificate (``inkstream.tls.capture_tls``) it speaks explicit FTPS (``AUTH TLS``,
RFC 4217; TLS 1.2+, pyOpenSSL). With TLS required, USER/PASS before ``AUTH TLS`` and any
transfer without ``PROT P`` are refused (pyftpdlib's ``tls_control_required`` and
``tls_data_required``): neither the password nor a scan crosses the network in clear.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from connectors.capture.document import CapturedDocument, IngestResult
from connectors.capture.folder import HotFolder
from inkstream.errors import ConfigError
from inkstream.tls import ListenerTls, capture_tls, openssl_server_context

if TYPE_CHECKING:
    from inkstream.settings import Settings

__all__ = ["build_ftp_server", "serve_ftp"]

log = logging.getLogger(__name__)


def build_ftp_server(root: Path, ingest_one: Callable[[CapturedDocument], IngestResult], *, host: str,
                     port: int, user: str, password: str, tls: ListenerTls | None = None):
    """A pyftpdlib ``ThreadedFTPServer`` (one thread per connection, so a slow ingest
    never stalls other scanners); call ``serve_forever()`` and ``close_all()``."""
    try:
        from pyftpdlib.authorizers import DummyAuthorizer
        from pyftpdlib.servers import ThreadedFTPServer
        if tls is None:
            from pyftpdlib.handlers import FTPHandler
        else:
            from pyftpdlib.handlers.ftps.control import TLS_FTPHandler as FTPHandler
    except ModuleNotFoundError as exc:
        raise ConfigError("the FTP endpoint (FTPS: also pyOpenSSL) needs the optional extra: "
                          "pip install 'inkstream[ftp]'") from exc

    folder = HotFolder(root, ingest_one, source="ftp", source_ref=f"ftp/{user}")
    authorizer = DummyAuthorizer()
    authorizer.add_user(user, password, str(root), perm="elw")  # list, cwd, upload; no read/delete

    class CaptureFTPHandler(FTPHandler):
        def on_file_received(self, file: str) -> None:
            outcome = folder.take(Path(file))
            if outcome is not None:
                log.info("FTP: %s %s %s", outcome.name, outcome.status, outcome.detail)

        def on_incomplete_file_received(self, file: str) -> None:
            Path(file).unlink(missing_ok=True)  # never ingest half a scan

    CaptureFTPHandler.authorizer = authorizer
    CaptureFTPHandler.banner = "inkstream capture FTP ready"
    CaptureFTPHandler.passive_ports = None
    if tls is not None:
        CaptureFTPHandler.ssl_context = openssl_server_context(tls.cert, tls.key)
        CaptureFTPHandler.tls_control_required = tls.required
        CaptureFTPHandler.tls_data_required = tls.required
    server = ThreadedFTPServer((host, port), CaptureFTPHandler)
    server.folder = folder
    return server


def serve_ftp(settings: Settings, ingest_one: Callable[[CapturedDocument], IngestResult]) -> int:
    import signal

    cap = settings.capture
    if not cap.ftp_password:
        raise ConfigError("set capture.ftp_password (INKSTREAM_CAPTURE__FTP_PASSWORD) for the scanner account")
    root = Path(settings.data_dir) / "ftp"
    tls = capture_tls(settings)
    server = build_ftp_server(root, ingest_one, host=cap.ftp_host, port=cap.ftp_port,
                              user=cap.ftp_user, password=cap.ftp_password, tls=tls)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    runner = threading.Thread(target=server.serve_forever, kwargs={"handle_exit": False}, daemon=True)
    runner.start()
    log.info("FTP capture listening on %s:%s, root %s (%s)", cap.ftp_host, cap.ftp_port, root,
             "plaintext" if tls is None else "FTPS required" if tls.required else "FTPS offered")
    stop.wait()
    server.close_all()
    return 0
