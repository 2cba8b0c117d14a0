"""The upload API over TLS, served by uvicorn exactly as ``streams.upload_api.serve`` configures it:
HTTPS with the deployment's CA works, TLS 1.1 and plaintext HTTP on the port do not."""

from __future__ import annotations

import socket
import ssl
import threading
import time

import httpx
import pytest
import uvicorn
from prometheus_client import CollectorRegistry

from connectors.capture.apikeys_shared import open_key_store
from connectors.capture.http import create_app
from connectors.capture.status import StatusView
from connectors.capture.testing import make_pdf
from inkstream.settings import load_settings
from inkstream.tls import uvicorn_tls_options
from tests.inkstream.tls_certs import make_certificates


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return make_certificates(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def https_api(tmp_path, certs, memstore, sink):
    """(base_url, settings, ca): the upload API on a free port, TLS from settings.http."""
    ca, cert, key = certs
    settings = load_settings(data_dir=tmp_path, topics={"prefix": "unit."},
                             http={"tls_cert": cert, "tls_key": key, "require_tls": True})
    keys = open_key_store(settings)
    app = create_app(settings, store=memstore, producer=sink, codec=sink.codec, keys=keys,
                     status=StatusView("unit.documents.status"), registry=CollectorRegistry())
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, log_level="warning", **uvicorn_tls_options(settings.http))
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"127.0.0.1:{sock.getsockname()[1]}", keys, ca
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def test_an_upload_over_https_verified_against_the_ca_is_accepted(https_api, sink):
    address, keys, ca = https_api
    headers = {"X-API-Key": keys.create("scanner")[1]}
    with httpx.Client(verify=ssl.create_default_context(cafile=str(ca))) as client:
        resp = client.post(f"https://{address}/v1/documents", headers=headers,
                           files={"file": ("c.pdf", make_pdf("over TLS"), "application/pdf")})
        assert resp.status_code == 201, resp.text
        assert client.get(f"https://{address}/healthz").status_code == 200
    assert len(sink.decoded("documents.ingested")) == 1


def test_the_server_negotiates_tls_1_2_or_newer(https_api):
    address, _, ca = https_api
    host, port = address.split(":")
    ctx = ssl.create_default_context(cafile=str(ca))
    with socket.create_connection((host, int(port)), timeout=5) as raw, \
            ctx.wrap_socket(raw, server_hostname=host) as tls:
        assert tls.version() in ("TLSv1.2", "TLSv1.3")


def test_a_client_that_offers_only_tls_1_1_is_refused(https_api):
    address, _, ca = https_api
    host, port = address.split(":")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(str(ca))
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")  # let this client's OpenSSL offer TLS 1.1 at all
    ctx.minimum_version = ssl.TLSVersion.TLSv1_1
    ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    with socket.create_connection((host, int(port)), timeout=5) as raw, pytest.raises(ssl.SSLError):
        ctx.wrap_socket(raw, server_hostname=host)


def test_plaintext_http_to_the_tls_port_gets_no_answer(https_api):
    address, _, _ = https_api
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://{address}/healthz", timeout=5)
