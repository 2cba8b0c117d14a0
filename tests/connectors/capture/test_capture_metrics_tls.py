"""The SMTP/IMAP/folder/FTP listeners' ``/metrics`` port follows ``http.tls_cert`` like
every HTTP endpoint: HTTPS with the TLS 1.2 floor, plaintext without a certificate, and
``http.require_tls`` without one refuses to start the listener."""

from __future__ import annotations

import socket
import ssl

import httpx
import pytest
from prometheus_client import CollectorRegistry, Counter

from connectors.capture.listeners import Capture, serve_metrics
from inkstream.errors import ConfigError
from inkstream.settings import load_settings
from tests.inkstream.tls_certs import make_certificates


def _registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    Counter("inkstream_capture_probe", "test counter", registry=registry).inc(5)
    return registry


def test_the_listener_metrics_are_served_over_https_only(tmp_path):
    ca, cert, key = make_certificates(tmp_path)
    settings = load_settings(data_dir=tmp_path, http={"tls_cert": cert, "tls_key": key})
    server = serve_metrics(settings, _registry(), 0)
    port = server.server_address[1]
    try:
        assert server.scheme == "https"
        ctx = ssl.create_default_context(cafile=str(ca))
        with socket.create_connection(("127.0.0.1", port), timeout=5) as raw, \
                ctx.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            assert tls.version() in ("TLSv1.2", "TLSv1.3")
        body = httpx.get(f"https://127.0.0.1:{port}/metrics", verify=ctx, timeout=5).text
        assert "inkstream_capture_probe_total 5.0" in body
        with pytest.raises(httpx.TransportError):
            httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
    finally:
        server.shutdown()
        server.server_close()


def test_without_a_certificate_the_listener_metrics_stay_plaintext(tmp_path):
    server = serve_metrics(load_settings(data_dir=tmp_path), _registry(), 0)
    try:
        assert "inkstream_capture_probe_total 5.0" in httpx.get(
            f"http://127.0.0.1:{server.server_address[1]}/metrics", timeout=5).text
    finally:
        server.shutdown()
        server.server_close()


def test_require_tls_without_a_certificate_refuses_the_listener_before_kafka_and_s3(tmp_path):
    settings = load_settings(data_dir=tmp_path, http={"require_tls": True},
                             kafka={"bootstrap_servers": "127.0.0.1:1"}, s3={"endpoint": "http://127.0.0.1:1"})
    with pytest.raises(ConfigError, match="require_tls"):
        Capture(settings, client_id="t", metrics_port=0)
