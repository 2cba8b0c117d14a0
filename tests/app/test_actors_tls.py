"""The demo's/drill's e-sign stand-in follows ``http.tls_cert``: with a certificate the
webhook gateway is HTTPS-only, so the simulated provider posts over HTTPS verified against
``http.tls_ca``; without one, plain HTTP as before. A recording server stands in for the
gateway (the gateway's own TLS is tested in tests/inkstream/test_tls.py)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler

import pytest

from app.actors import sign_envelope
from inkstream.settings import load_settings
from inkstream.tls import HTTPSServer, http_server_context
from tests.inkstream.tls_certs import make_certificates


def _recording_gateway(settings):
    seen: list[tuple[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server API
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            seen.append((self.path, type(self.connection).__name__))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = HTTPSServer(("127.0.0.1", 0), Handler, http_server_context(settings.http))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, seen


@pytest.mark.parametrize("tls", [True, False])
def test_the_simulated_provider_posts_over_https_exactly_when_a_certificate_is_set(tmp_path, tls):
    ca, cert, key = make_certificates(tmp_path)
    settings = load_settings(data_dir=tmp_path, http={"tls_cert": cert, "tls_key": key, "tls_ca": ca} if tls else {})
    server, seen = _recording_gateway(settings)
    try:
        refused = sign_envelope(settings, "doc-1", "env-1", port=server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
    assert refused == [] and seen, seen
    assert {kind for _, kind in seen} == {"SSLSocket" if tls else "socket"}
