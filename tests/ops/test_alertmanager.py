"""Alertmanager in the local stack (issue 14 item 6): amtool-checked configs (local and
production), Prometheus pointed at it, and a firing rule that reaches the receiver, on a
private Prometheus + Alertmanager pair (never the shared stack's)."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml
from stack_helpers import free_port

from ops.stack import alertmanager, process, prometheus
from ops.stack.layout import Layout


def _settings(base_settings, tmp_path: Path, **am):
    return base_settings.model_copy(update={
        "data_dir": tmp_path / "data",
        "alertmanager": base_settings.alertmanager.model_copy(update={"port": free_port(), **am}),
        "prometheus": base_settings.prometheus.model_copy(update={"port": free_port()})})


@pytest.mark.parametrize("webhook", ["http://127.0.0.1:9/alerts", ""])
def test_amtool_accepts_the_rendered_local_config(base_settings, tmp_path, webhook):
    settings = _settings(base_settings, tmp_path, webhook_url=webhook)
    conf = alertmanager.render(Layout.of(settings), settings)
    out = subprocess.run([process.require_tool("amtool"), "check-config", str(conf)], capture_output=True, text=True)
    assert out.returncode == 0 and "SUCCESS" in out.stdout, out.stdout + out.stderr
    receivers = yaml.safe_load(conf.read_text())["receivers"]
    assert receivers[0].get("webhook_configs", [{}])[0].get("url", "") == webhook


def test_amtool_accepts_the_production_config_with_its_email_receivers():
    out = subprocess.run([process.require_tool("amtool"), "check-config", str(alertmanager.PRODUCTION)],
                         capture_output=True, text=True)
    assert out.returncode == 0 and "SUCCESS" in out.stdout, out.stdout + out.stderr
    conf = yaml.safe_load(alertmanager.PRODUCTION.read_text())
    assert all(r["email_configs"] for r in conf["receivers"])


def test_prometheus_sends_alerts_to_the_local_alertmanager_and_promtool_agrees(base_settings, tmp_path):
    settings = _settings(base_settings, tmp_path)
    conf = prometheus.render(Layout.of(settings), settings)
    targets = yaml.safe_load(conf.read_text())["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"]
    assert targets == [f"127.0.0.1:{settings.alertmanager.port}"]
    out = subprocess.run([process.require_tool("promtool"), "check", "config", str(conf)], capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    off = settings.model_copy(update={"alertmanager": settings.alertmanager.model_copy(update={"enabled": False})})
    conf = prometheus.render(Layout.of(off), off)
    assert yaml.safe_load(conf.read_text())["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"] == []


class Sink:
    """The local receiver: records Alertmanager's webhook POSTs."""

    def __init__(self) -> None:
        self.posts: list[dict] = []
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                sink.posts.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/alerts"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def test_a_firing_rule_reaches_the_receiver(base_settings, tmp_path):
    sink = Sink()
    settings = _settings(base_settings, tmp_path, webhook_url=sink.url, group_wait="0s")
    layout = Layout.of(settings)
    am = alertmanager.managed(layout)
    prom = process.Managed("prometheus-test", layout.run / "prometheus-test.pid", layout.logs / "prometheus-test.log",
                           marker=str(tmp_path / "prom.yml"))
    rules = tmp_path / "rules.yml"
    rules.write_text(yaml.safe_dump({"groups": [{"name": "test", "interval": "1s", "rules": [
        {"alert": "InkstreamTestAlwaysFiring", "expr": "vector(1)", "labels": {"severity": "critical"},
         "annotations": {"summary": "fires at once"}}]}]}))
    target = f"127.0.0.1:{settings.alertmanager.port}"
    (tmp_path / "prom.yml").write_text(yaml.safe_dump({
        "global": {"evaluation_interval": "1s"}, "rule_files": [str(rules)],
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": [target]}]}]}}))
    try:
        alertmanager.start(layout, settings)
        assert process.wait_until(lambda: alertmanager.healthy(settings), 60, interval=0.5), \
            (layout.logs / "alertmanager.log").read_text()
        process.start_detached(prom, [process.require_tool("prometheus"), f"--config.file={tmp_path / 'prom.yml'}",
                                      f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                                      f"--web.listen-address=127.0.0.1:{settings.prometheus.port}", "--log.level=warn"])
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not sink.posts:
            time.sleep(0.5)
        assert sink.posts, (layout.logs / "alertmanager.log").read_text()[-2000:]
        alert = sink.posts[0]["alerts"][0]
        assert alert["labels"]["alertname"] == "InkstreamTestAlwaysFiring" and alert["status"] == "firing"
        assert sink.posts[0]["receiver"] == "inkstream-local"
    finally:
        process.stop(prom, timeout=10)
        process.stop(am, timeout=10)
        sink.server.shutdown()
