"""inkstream.tls: each HTTP service (upload API, webhook gateway, review page) hands the
certificate and the TLS 1.2 floor to uvicorn, and refuses plaintext when TLS is required.
The served handshake itself is tested in tests/connectors/capture/test_https.py."""

from __future__ import annotations

import ssl

import pytest
import uvicorn

from inkstream.errors import ConfigError
from inkstream.settings import load_settings
from inkstream.tls import tls12_context, uvicorn_tls_options
from tests.inkstream.tls_certs import make_certificates


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return make_certificates(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def uvicorn_calls(monkeypatch):
    calls: list[dict] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append(kw))
    return calls


class _Stub:
    def __getattr__(self, name):
        return lambda *a, **k: 0


def _serve(service: str, settings, monkeypatch) -> None:
    """Run the service's ``serve`` with its Kafka/S3 parts stubbed (uvicorn.run is recorded)."""
    if service == "api":
        from streams.upload_api import serve

        serve(settings)
    elif service == "review":
        import streams.review.service as review

        monkeypatch.setattr(review, "build", lambda s: (object(), _Stub()))
        review.serve(settings)
    else:
        import connectors.esign.publisher
        import connectors.esign.state
        from connectors.esign.gateway import serve

        monkeypatch.setattr(connectors.esign.state, "KafkaEnvelopeReader", lambda *a, **k: _Stub())
        monkeypatch.setattr(connectors.esign.publisher, "KafkaPublisher", lambda *a, **k: _Stub())
        serve(settings, port=0)


SERVICES = ("api", "review", "webhooks")


@pytest.mark.parametrize("service", SERVICES)
def test_each_http_service_serves_the_configured_certificate_with_a_tls_1_2_floor(
        service, certs, tmp_path, uvicorn_calls, monkeypatch):
    _, cert, key = certs
    settings = load_settings(data_dir=tmp_path, http={"tls_cert": cert, "tls_key": key})
    _serve(service, settings, monkeypatch)
    [kwargs] = uvicorn_calls
    assert (kwargs["ssl_certfile"], kwargs["ssl_keyfile"]) == (str(cert), str(key))
    assert kwargs["ssl_context_factory"] is tls12_context


@pytest.mark.parametrize("service", SERVICES)
def test_each_http_service_refuses_to_start_in_plaintext_when_tls_is_required(
        service, tmp_path, uvicorn_calls, monkeypatch):
    settings = load_settings(data_dir=tmp_path, http={"require_tls": True})
    with pytest.raises(ConfigError, match="require_tls"):
        _serve(service, settings, monkeypatch)
    assert uvicorn_calls == []


def test_without_a_certificate_and_without_require_tls_the_services_serve_plaintext(tmp_path):
    assert uvicorn_tls_options(load_settings(data_dir=tmp_path).http) == {}


def test_a_certificate_without_its_key_or_a_missing_file_is_a_config_error(certs, tmp_path):
    _, cert, key = certs
    with pytest.raises(ConfigError, match="together"):
        uvicorn_tls_options(load_settings(http={"tls_cert": cert}).http)
    with pytest.raises(ConfigError, match="no such file"):
        uvicorn_tls_options(load_settings(http={"tls_cert": tmp_path / "nope.pem", "tls_key": key}).http)


def test_the_context_factory_raises_the_floor_of_any_default_context(certs):
    _, cert, key = certs

    def permissive():
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
        ctx.load_cert_chain(cert, key)
        return ctx

    assert tls12_context(None, permissive).minimum_version == ssl.TLSVersion.TLSv1_2
