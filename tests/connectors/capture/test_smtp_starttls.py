"""SMTP STARTTLS on the capture listener: the upgrade works with the deployment's CA and
the mail is captured; with TLS required, nothing before STARTTLS but EHLO/NOOP/QUIT."""

from __future__ import annotations

import functools
import smtplib
import ssl
from email import policy

import pytest

from connectors.capture.ingest import ingest
from connectors.capture.smtp import CaptureHandler, start_smtp
from connectors.capture.testing import make_pdf
from inkstream.errors import ConfigError
from inkstream.settings import load_settings
from inkstream.tls import capture_tls
from tests.connectors.capture.test_smtp import free_port, mail
from tests.inkstream.tls_certs import make_certificates


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return make_certificates(tmp_path_factory.mktemp("smtp-tls"))


def _listener(tmp_path, memstore, sink, capture: dict):
    settings = load_settings(data_dir=tmp_path, capture=capture)
    ingest_one = functools.partial(ingest, store=memstore, producer=sink, codec=sink.codec, settings=settings)
    port = free_port()
    controller = start_smtp(CaptureHandler(ingest_one, inline_min_bytes=2000), host="127.0.0.1", port=port,
                            max_bytes=300_000, tls=capture_tls(settings))
    return port, controller


@pytest.fixture
def smtp_tls_required(tmp_path, certs, memstore, sink):
    _, cert, key = certs
    port, controller = _listener(tmp_path, memstore, sink, {"tls_cert": cert, "tls_key": key, "require_tls": True})
    yield port
    controller.stop()


@pytest.fixture
def smtp_tls_offered(tmp_path, certs, memstore, sink):
    _, cert, key = certs
    port, controller = _listener(tmp_path, memstore, sink, {"tls_cert": cert, "tls_key": key})
    yield port
    controller.stop()


def test_a_mail_sent_after_starttls_verified_against_the_ca_is_captured(smtp_tls_required, certs, sink):
    ca = certs[0]
    with smtplib.SMTP("127.0.0.1", smtp_tls_required, timeout=10) as client:
        client.ehlo()
        assert client.has_extn("starttls")
        code, _ = client.starttls(context=ssl.create_default_context(cafile=str(ca)))
        assert code == 220
        assert client.sock.version() in ("TLSv1.2", "TLSv1.3")
        client.ehlo()
        client.mail("mfp3@acme.test")
        client.rcpt("inbox@inkstream.test")
        code, reply = client.data(mail((make_pdf("Over STARTTLS"), "application", "pdf", "tls.pdf"))
                                  .as_bytes(policy=policy.SMTP))
    assert code == 250, reply
    [record] = sink.decoded("documents.ingested")
    assert (record["filename"], record["source"]) == ("tls.pdf", "email")


def test_plaintext_mail_from_is_refused_with_530_when_tls_is_required(smtp_tls_required, sink):
    with smtplib.SMTP("127.0.0.1", smtp_tls_required, timeout=10) as client:
        client.ehlo()
        code, reply = client.docmd("MAIL FROM:<mfp3@acme.test>")
        assert code == 530 and b"STARTTLS" in reply
        assert client.docmd("RCPT TO:<inbox@inkstream.test>")[0] == 530
        assert client.docmd("DATA")[0] == 530
    assert sink.records == []


def test_a_client_that_does_not_trust_the_ca_refuses_the_certificate(smtp_tls_required, tmp_path):
    other_ca = make_certificates(tmp_path)[0]  # a different CA: the server's chain must not verify
    with smtplib.SMTP("127.0.0.1", smtp_tls_required, timeout=10) as client:
        client.ehlo()
        with pytest.raises(ssl.SSLCertVerificationError):
            client.starttls(context=ssl.create_default_context(cafile=str(other_ca)))


def test_starttls_refuses_a_client_that_offers_only_tls_1_1(tmp_path, certs, memstore, sink):
    _, cert, key = certs
    port, controller = _listener(tmp_path, memstore, sink, {"tls_cert": cert, "tls_key": key, "require_tls": True})
    # An OpenSSL build whose defaults still allow 1.1: only the context's own floor refuses it.
    tls_context = controller.SMTP_kwargs["tls_context"]
    assert tls_context.minimum_version == ssl.TLSVersion.TLSv1_2
    tls_context.set_ciphers("DEFAULT:@SECLEVEL=0")
    try:
        _offer_only_tls_1_1(port, certs[0])
    finally:
        controller.stop()


def _offer_only_tls_1_1(port, ca):
    ctx = ssl.create_default_context(cafile=str(ca))
    ctx.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
    ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")  # let the client even try 1.1
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.ehlo()
        # asyncio drops the handshake without an alert: the client sees EOF, not a 1.1 session
        with pytest.raises(ssl.SSLError, match="PROTOCOL_VERSION|EOF"):
            client.starttls(context=ctx)


def test_with_tls_offered_but_not_required_starttls_is_advertised_and_plaintext_still_works(
        smtp_tls_offered, sink):
    with smtplib.SMTP("127.0.0.1", smtp_tls_offered, timeout=10) as client:
        client.ehlo()
        assert client.has_extn("starttls")
        client.mail("mfp3@acme.test")
        client.rcpt("inbox@inkstream.test")
        code, _ = client.data(mail((make_pdf("Plain"), "application", "pdf", "p.pdf")).as_bytes(policy=policy.SMTP))
    assert code == 250 and len(sink.decoded("documents.ingested")) == 1


def test_capture_tls_falls_back_to_http_and_required_without_a_certificate_is_a_config_error(tmp_path, certs):
    _, cert, key = certs
    assert capture_tls(load_settings(data_dir=tmp_path)) is None
    inherited = capture_tls(load_settings(data_dir=tmp_path, http={"tls_cert": cert, "tls_key": key,
                                                                   "require_tls": True}))
    assert (inherited.cert, inherited.key, inherited.required) == (cert, key, True)
    # capture.require_tls overrides http's in both directions
    relaxed = capture_tls(load_settings(data_dir=tmp_path, http={"tls_cert": cert, "tls_key": key,
                                                                 "require_tls": True},
                                        capture={"require_tls": False}))
    assert relaxed.required is False
    with pytest.raises(ConfigError, match="require_tls"):
        capture_tls(load_settings(data_dir=tmp_path, capture={"require_tls": True}))
    with pytest.raises(ConfigError, match="require_tls"):
        capture_tls(load_settings(data_dir=tmp_path, http={"require_tls": True}))
    with pytest.raises(ConfigError, match="capture.tls_cert and capture.tls_key go together"):
        capture_tls(load_settings(data_dir=tmp_path, capture={"tls_cert": cert}))


def test_serve_smtp_refuses_to_start_in_plaintext_when_tls_is_required(tmp_path):
    from connectors.capture.listeners import serve_smtp

    # fails before Kafka/S3 are touched: no listener ever opens in clear
    with pytest.raises(ConfigError, match="require_tls"):
        serve_smtp(load_settings(data_dir=tmp_path, capture={"require_tls": True}))
