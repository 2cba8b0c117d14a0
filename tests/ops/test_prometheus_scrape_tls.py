"""The rendered Prometheus config follows ``http.tls_cert``: the processors' /metrics are
HTTPS-only then (streams/runtime/health.py), so the inkstream job scrapes with scheme
https and verifies against the CA; promtool accepts both forms. A real scrape over TLS is
tested in tests/streams/runtime/test_health_tls.py."""

from __future__ import annotations

import shutil
import subprocess

import pytest
import yaml

from inkstream.settings import load_settings
from ops.stack import prometheus
from ops.stack.layout import Layout
from streams.runtime import scrape_targets
from tests.inkstream.tls_certs import make_certificates


def _jobs(settings) -> dict:
    conf = yaml.safe_load(prometheus.render(Layout.of(settings), settings).read_text())
    return {j["job_name"]: j for j in conf["scrape_configs"]}


def test_with_a_certificate_the_inkstream_job_scrapes_https_verified_against_the_ca(tmp_path):
    ca, cert, key = make_certificates(tmp_path)
    settings = load_settings(data_dir=tmp_path / "data", http={"tls_cert": cert, "tls_key": key, "tls_ca": ca})
    job = _jobs(settings)["inkstream"]
    assert job["scheme"] == "https"
    assert job["tls_config"] == {"ca_file": str(ca.resolve()), "min_version": "TLS12"}
    # Without tls_ca the certificate itself is the trust anchor (a self-signed one).
    plain_ca = load_settings(data_dir=tmp_path / "data", http={"tls_cert": cert, "tls_key": key})
    assert _jobs(plain_ca)["inkstream"]["tls_config"]["ca_file"] == str(cert.resolve())


def test_without_a_certificate_the_inkstream_job_scrapes_plain_http(tmp_path):
    job = _jobs(load_settings(data_dir=tmp_path / "data"))["inkstream"]
    assert job["scheme"] == "http" and not job["tls_config"]


@pytest.mark.skipif(not shutil.which("promtool"), reason="promtool comes with Debian's prometheus package")
@pytest.mark.parametrize("tls", [True, False])
def test_promtool_accepts_the_rendered_config_with_and_without_tls(tmp_path, tls):
    ca, cert, key = make_certificates(tmp_path)
    http = {"tls_cert": cert, "tls_key": key, "tls_ca": ca} if tls else {}
    settings = load_settings(data_dir=tmp_path / "data", http=http)
    conf = prometheus.render(Layout.of(settings), settings)
    scrape_targets.register_target(settings, "ocr", 9313)
    result = subprocess.run(["promtool", "check", "config", str(conf)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
