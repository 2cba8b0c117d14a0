"""A worker's /metrics + /healthz over TLS (issue 7, in transit): with ``http.tls_cert``
the health server speaks HTTPS only, with the TLS 1.2 floor of inkstream/tls.py; without
one it stays plaintext; ``http.require_tls`` without one refuses to start; the supervisor
and the rendered Prometheus config follow the setting (a real worker and a real
Prometheus scrape it below)."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import time

import httpx
import pytest
from prometheus_client import CollectorRegistry

from inkstream.errors import ConfigError
from inkstream.settings import load_settings
from app.supervise import Supervisor
from inkstream.tls import client_ca, http_server_context
from schemas.codec import Codec
from streams.runtime.examples import passthrough
from streams.runtime.health import Health, HealthServer
from streams.runtime.metrics import Metrics
from streams.runtime.workers import run_workers, serve
from tests.inkstream.tls_certs import make_certificates


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return make_certificates(tmp_path_factory.mktemp("health-tls"))


@pytest.fixture
def https_health(certs, tmp_path):
    ca, cert, key = certs
    settings = load_settings(data_dir=tmp_path, http={"tls_cert": cert, "tls_key": key, "tls_ca": ca})
    registry = CollectorRegistry()
    Metrics.create(registry, processor="ocr").records_in("documents.ingested").inc(7)
    health = Health()
    health.beat("running", assigned=1)
    server = HealthServer(registry, health, 0, tls=http_server_context(settings.http)).start()
    try:
        yield server.port, ca
    finally:
        server.stop()


def _get(tls: ssl.SSLSocket, path: str) -> bytes:
    tls.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
    chunks = []
    while chunk := tls.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def test_metrics_and_healthz_answer_over_https_verified_against_the_ca_with_tls_1_2_or_newer(https_health):
    port, ca = https_health
    ctx = ssl.create_default_context(cafile=str(ca))
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw, \
            ctx.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
        assert tls.version() in ("TLSv1.2", "TLSv1.3")
        response = _get(tls, "/metrics")
    assert response.startswith(b"HTTP/1.0 200")
    assert b'inkstream_records_in_total{processor="ocr",topic="documents.ingested"} 7.0' in response
    with httpx.Client(verify=ssl.create_default_context(cafile=str(ca))) as client:
        assert client.get(f"https://127.0.0.1:{port}/healthz").json()["status"] == "ok"


def test_a_client_that_does_not_trust_the_ca_is_refused(https_health):
    port, _ = https_health
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(f"https://127.0.0.1:{port}/healthz", timeout=5)


def test_plaintext_http_to_the_tls_port_gets_no_answer(https_health):
    port, _ = https_health
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        raw.sendall(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        try:
            answer = raw.recv(65536)
        except ConnectionResetError:
            answer = b""  # the server dropped it: no answer either
    assert not answer.startswith(b"HTTP/") and b"inkstream_" not in answer
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5)


def test_a_client_that_offers_only_tls_1_1_is_refused(https_health):
    port, ca = https_health
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(str(ca))
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")  # let this client's OpenSSL offer TLS 1.1 at all
    ctx.minimum_version = ssl.TLSVersion.TLSv1_1
    ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw, pytest.raises(ssl.SSLError):
        ctx.wrap_socket(raw, server_hostname="127.0.0.1")


def test_a_silent_client_does_not_stall_the_listener(https_health):
    port, ca = https_health
    # The handshake runs in the request's thread: an idle connection must not block the next.
    with socket.create_connection(("127.0.0.1", port), timeout=5):
        verify = ssl.create_default_context(cafile=str(ca))
        assert httpx.get(f"https://127.0.0.1:{port}/healthz", verify=verify, timeout=3).status_code == 200


def test_without_a_certificate_the_health_server_stays_plaintext(tmp_path):
    settings = load_settings(data_dir=tmp_path)
    assert http_server_context(settings.http) is None and client_ca(settings.http) is None
    server = HealthServer(CollectorRegistry(), Health(), 0, tls=http_server_context(settings.http)).start()
    try:
        assert server.scheme == "http"
        assert httpx.get(f"http://127.0.0.1:{server.port}/healthz", timeout=5).status_code == 200
    finally:
        server.stop()


def test_require_tls_without_a_certificate_refuses_to_start_a_worker(tmp_path):
    settings = load_settings(data_dir=tmp_path, http={"require_tls": True})
    with pytest.raises(ConfigError, match="require_tls"):
        serve(passthrough(), settings, codec=Codec(), metrics_port=0, handle_signals=False)
    with pytest.raises(ConfigError, match="require_tls"):
        run_workers("passthrough", settings, workers=2, metrics_port=0)
    # The refusal is the metrics listener's: a worker without one has nothing to refuse.
    assert http_server_context(load_settings(data_dir=tmp_path).http) is None


def test_half_a_certificate_setting_is_refused(certs, tmp_path):
    _, cert, _ = certs
    with pytest.raises(ConfigError, match="go together"):
        http_server_context(load_settings(data_dir=tmp_path, http={"tls_cert": cert}).http)


def test_client_ca_defaults_to_the_certificate_itself(certs, tmp_path):
    ca, cert, key = certs
    assert client_ca(load_settings(data_dir=tmp_path, http={"tls_cert": cert, "tls_key": key}).http) == cert
    assert client_ca(load_settings(data_dir=tmp_path, http={"tls_cert": cert, "tls_key": key,
                                                            "tls_ca": ca}).http) == ca


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.stack
def test_a_real_worker_serves_https_the_supervisor_checks_it_and_prometheus_scrapes_it(settings, certs, tmp_path):
    """``inkstream run passthrough`` with a certificate: the supervisor's /healthz poll (with
    the CA) sees it healthy, plaintext gets nothing, and Debian's Prometheus with the
    rendered config (scheme https, ca_file) reports the target up."""
    from kafka_helpers import create_topics, delete_topics, require_broker

    from ops.stack import prometheus
    from ops.stack.layout import Layout

    require_broker(settings)
    ca, cert, key = certs
    settings = settings.model_copy(update={"data_dir": tmp_path}).model_copy(
        update={"http": settings.http.model_copy(update={"tls_cert": cert, "tls_key": key, "tls_ca": ca})})
    names = create_topics(settings, {"documents.ingested": 1, "documents.ingested.priority": 1,
                                     "documents.ingested.dlq": 1})
    port, prom_port = _free_port(), _free_port()
    env = {"INKSTREAM_TOPICS__PREFIX": settings.topics.prefix, "INKSTREAM_DATA_DIR": str(tmp_path),
           "INKSTREAM_HTTP__TLS_CERT": str(cert), "INKSTREAM_HTTP__TLS_KEY": str(key),
           "INKSTREAM_HTTP__TLS_CA": str(ca)}
    sup = Supervisor(tmp_path / "logs", env=env, tls_ca=client_ca(settings.http))
    sup.add("passthrough", ["run", "passthrough", "--metrics-port", str(port)], port=port)
    prom = None
    try:
        sup.start_all()
        sup.wait_healthy(timeout=90)
        plain = Supervisor(tmp_path / "plain-logs")  # polls http://: the TLS-only worker never looks healthy
        plain.children["passthrough"] = sup.children["passthrough"]
        assert not plain.healthy("passthrough")
        with pytest.raises(httpx.TransportError):
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
        binary = shutil.which("prometheus")
        if binary is None:
            pytest.fail("Debian's prometheus package is part of the dev stack")
        layout = Layout.of(settings)
        conf = prometheus.render(layout, settings.model_copy(update={"prometheus": settings.prometheus.model_copy(
            update={"port": prom_port})}))
        targets = list(layout.prometheus_targets.glob("passthrough-*.json"))
        assert len(targets) == 1, "the worker registered itself"
        prom = subprocess.Popen([binary, f"--config.file={conf}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                                 f"--web.listen-address=127.0.0.1:{prom_port}", "--log.level=warn"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline, health = time.monotonic() + 60, []
        while time.monotonic() < deadline:
            try:
                active = httpx.get(f"http://127.0.0.1:{prom_port}/api/v1/targets", timeout=3).json()
                health = [(t["scrapeUrl"], t["health"], t["lastError"]) for t in active["data"]["activeTargets"]
                          if t["labels"].get("job") == "passthrough"]
                if health and health[0][1] == "up":
                    break
            except (httpx.HTTPError, ValueError, KeyError):
                pass
            time.sleep(1)
        assert health and health[0][0] == f"https://127.0.0.1:{port}/metrics" and health[0][1] == "up", health
    finally:
        if prom is not None:
            prom.terminate()
            prom.wait(20)
        sup.stop_all()
        delete_topics(settings, names)

