"""The audit sink's query endpoint (bearer token, result rows) over TLS when
``http.tls_cert`` is set: readers find it as https and verify it against the CA; plaintext
gets no answer; ``http.require_tls`` without a certificate refuses to start it."""

from __future__ import annotations

import json
import socket
import ssl

import audit_samples as s
import httpx
import pytest

from inkstream.errors import ConfigError
from streams.audit.query import QueryClient, QueryServer, discovery_file, open_reader
from streams.audit.sink import AuditSink
from streams.runtime import Processor
from streams.runtime.testing import run_processor
from tests.inkstream.tls_certs import make_certificates


@pytest.fixture
def tls_settings(audit_settings, tmp_path):
    ca, cert, key = make_certificates(tmp_path)
    return audit_settings.model_copy(update={
        "audit": audit_settings.audit.model_copy(update={"query_port": 0}),
        "http": audit_settings.http.model_copy(update={"tls_cert": cert, "tls_key": key, "tls_ca": ca})})


def test_the_query_endpoint_serves_https_and_readers_verify_it(store, tls_settings):
    run_processor(Processor(name="audit", inputs=("x",), batch_sink=AuditSink(lambda: store)),
                  [("documents.ingested", s.ingested("d1", source="email"))])
    server = QueryServer(store, tls_settings).start()
    try:
        assert json.loads(discovery_file(tls_settings).read_text())["scheme"] == "https"
        reader = open_reader(tls_settings)
        assert isinstance(reader, QueryClient) and reader.base_url == f"https://127.0.0.1:{server.port}"
        assert reader.query("SELECT count() FROM documents FINAL WHERE doc_id = {d:String}", {"d": "d1"})[1] == [(1,)]
        ctx = ssl.create_default_context(cafile=str(tls_settings.http.tls_ca))
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as raw, \
                ctx.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            assert tls.version() in ("TLSv1.2", "TLSv1.3")
        with pytest.raises(httpx.TransportError):
            httpx.get(f"http://127.0.0.1:{server.port}/healthz", timeout=5)
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            httpx.get(f"https://127.0.0.1:{server.port}/healthz", timeout=5)  # system CAs only
    finally:
        server.stop()


def test_require_tls_without_a_certificate_refuses_to_start_the_query_endpoint(store, audit_settings):
    settings = audit_settings.model_copy(update={
        "audit": audit_settings.audit.model_copy(update={"query_port": 0}),
        "http": audit_settings.http.model_copy(update={"require_tls": True, "tls_cert": None, "tls_key": None})})
    with pytest.raises(ConfigError, match="require_tls"):
        QueryServer(store, settings)
    assert not discovery_file(settings).exists()
