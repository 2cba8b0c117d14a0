"""Explicit FTPS (AUTH TLS) on the capture FTP endpoint: an upload over TLS verified
against the deployment's CA is ingested; with TLS required, a plaintext login and a
plaintext data channel are refused."""

from __future__ import annotations

import ftplib
import functools
import io
import ssl
import threading

import pytest

pytest.importorskip("pyftpdlib", reason="optional extra inkstream[ftp]")
pytest.importorskip("OpenSSL", reason="FTPS needs pyOpenSSL (extra inkstream[ftp])")

from connectors.capture.ftp import build_ftp_server  # noqa: E402
from connectors.capture.ingest import ingest  # noqa: E402
from connectors.capture.testing import make_pdf  # noqa: E402
from inkstream.errors import ConfigError  # noqa: E402
from inkstream.settings import load_settings  # noqa: E402
from inkstream.tls import capture_tls  # noqa: E402
from tests.connectors.capture.test_ftp import eventually  # noqa: E402
from tests.inkstream.tls_certs import make_certificates  # noqa: E402


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return make_certificates(tmp_path_factory.mktemp("ftps"))


def _server(tmp_path, memstore, sink, capture: dict):
    settings = load_settings(data_dir=tmp_path, capture=capture)
    ingest_one = functools.partial(ingest, store=memstore, producer=sink, codec=sink.codec, settings=settings)
    server = build_ftp_server(tmp_path / "ftp", ingest_one, host="127.0.0.1", port=0, user="scanner",
                              password="s3cret", tls=capture_tls(settings))
    threading.Thread(target=server.serve_forever, kwargs={"handle_exit": False}, daemon=True).start()
    return server


@pytest.fixture
def ftps_required(tmp_path, certs, memstore, sink):
    _, cert, key = certs
    server = _server(tmp_path, memstore, sink, {"tls_cert": cert, "tls_key": key, "require_tls": True})
    yield server
    server.close_all()


@pytest.fixture
def ftps_offered(tmp_path, certs, memstore, sink):
    _, cert, key = certs
    server = _server(tmp_path, memstore, sink, {"tls_cert": cert, "tls_key": key})
    yield server
    server.close_all()


def _tls_client(server, ca) -> ftplib.FTP_TLS:
    client = ftplib.FTP_TLS(context=ssl.create_default_context(cafile=str(ca)), timeout=10)
    client.connect("127.0.0.1", server.address[1])
    return client


def test_an_upload_over_ftps_verified_against_the_ca_is_ingested(ftps_required, certs, sink):
    client = _tls_client(ftps_required, certs[0])
    try:
        client.auth()  # AUTH TLS: the control channel is TLS before the password is sent
        assert client.sock.version() in ("TLSv1.2", "TLSv1.3")
        client.login("scanner", "s3cret")
        client.prot_p()  # the scan itself over TLS too
        data = make_pdf("FTPS scan")
        client.storbinary("STOR scan-tls.pdf", io.BytesIO(data))
    finally:
        client.close()
    folder = ftps_required.folder
    assert eventually(folder.done / "scan-tls.pdf")
    [record] = sink.decoded("documents.ingested")
    assert (record["source"], record["filename"]) == ("ftp", "scan-tls.pdf")
    assert (folder.done / "scan-tls.pdf").read_bytes() == data


def test_a_plaintext_login_is_refused_when_tls_is_required(ftps_required):
    client = ftplib.FTP(timeout=10)
    client.connect("127.0.0.1", ftps_required.address[1])
    try:
        with pytest.raises(ftplib.error_perm, match="SSL/TLS required"):
            client.login("scanner", "s3cret")
    finally:
        client.close()


def test_a_plaintext_data_channel_is_refused_when_tls_is_required(ftps_required, certs, sink):
    client = _tls_client(ftps_required, certs[0])
    try:
        client.login("scanner", "s3cret")  # FTP_TLS.login sends AUTH TLS first
        # no PROT P: the data channel would be clear
        with pytest.raises(ftplib.error_perm, match="SSL/TLS required"):
            client.storbinary("STOR clear.pdf", io.BytesIO(make_pdf("clear")))
    finally:
        client.close()
    assert sink.records == []


def test_a_client_that_does_not_trust_the_ca_refuses_the_certificate(ftps_required, tmp_path):
    other_ca = make_certificates(tmp_path)[0]
    client = _tls_client(ftps_required, other_ca)
    try:
        with pytest.raises(ssl.SSLCertVerificationError):
            client.auth()
    finally:
        client.close()


def test_ftps_refuses_a_client_that_offers_only_tls_1_1(ftps_required, certs):
    # An OpenSSL build whose defaults still allow 1.1: only the context's own floor refuses it.
    ftps_required.handler.ssl_context.set_cipher_list(b"DEFAULT:@SECLEVEL=0")
    ctx = ssl.create_default_context(cafile=str(certs[0]))
    ctx.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
    ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")  # let the client even try 1.1
    client = ftplib.FTP_TLS(context=ctx, timeout=10)
    client.connect("127.0.0.1", ftps_required.address[1])
    try:
        with pytest.raises(ssl.SSLError, match="PROTOCOL_VERSION|EOF"):
            client.auth()
    finally:
        client.close()


def test_with_ftps_offered_but_not_required_a_plaintext_scanner_still_uploads(ftps_offered, sink):
    client = ftplib.FTP(timeout=10)
    client.connect("127.0.0.1", ftps_offered.address[1])
    try:
        assert "AUTH TLS" in client.sendcmd("FEAT")
        client.login("scanner", "s3cret")
        client.storbinary("STOR plain.pdf", io.BytesIO(make_pdf("plain")))
    finally:
        client.close()
    assert eventually(ftps_offered.folder.done / "plain.pdf")


def test_serve_ftp_refuses_to_start_in_plaintext_when_tls_is_required(tmp_path):
    from connectors.capture.ftp import serve_ftp

    with pytest.raises(ConfigError, match="require_tls"):
        serve_ftp(load_settings(data_dir=tmp_path, capture={"require_tls": True, "ftp_password": "x"}),
                  lambda doc: None)
