"""``/metrics`` and ``/healthz`` of one worker, on a small threaded HTTP server.

``/healthz`` answers 200 with JSON while the worker's loop has made progress within
``stale_after`` seconds (it polls at least every second even when idle), else 503.
Binds 127.0.0.1 unless told otherwise. Given an SSL context (``inkstream.tls.
http_server_context``: ``http.tls_cert``/``tls_key``, TLS 1.2 floor) it serves HTTPS only.
"""

from __future__ import annotations

import json
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from inkstream.tls import HTTPSServer

__all__ = ["Health", "HealthServer"]


class Health:
    """Liveness state the loop updates; read by the HTTP thread."""

    def __init__(self, stale_after: float = 60.0) -> None:
        self.stale_after = stale_after
        self.last_beat = time.monotonic()
        self.state = "starting"
        self.assigned = 0

    def beat(self, state: str = "running", assigned: int | None = None) -> None:
        self.last_beat = time.monotonic()
        self.state = state
        if assigned is not None:
            self.assigned = assigned

    def report(self) -> tuple[bool, dict[str, Any]]:
        age = time.monotonic() - self.last_beat
        ok = age < self.stale_after and self.state not in ("failed", "stopped")
        return ok, {"status": "ok" if ok else "unhealthy", "state": self.state,
                    "last_beat_s": round(age, 3), "assigned_partitions": self.assigned}


class HealthServer:
    """Serves a registry and a :class:`Health` on ``host:port`` (port 0 = any free);
    HTTPS when ``tls`` is a server context."""

    def __init__(self, registry: CollectorRegistry, health: Health, port: int, host: str = "127.0.0.1",
                 tls: ssl.SSLContext | None = None) -> None:
        handler = _handler(registry, health)
        self._server = HTTPSServer((host, port), handler, tls)
        self.port = self._server.server_address[1]
        self.scheme = self._server.scheme
        self._thread = threading.Thread(target=self._server.serve_forever, name="inkstream-health", daemon=True)

    def start(self) -> "HealthServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _handler(registry: CollectorRegistry, health: Health) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server API
            path = self.path.split("?", 1)[0]
            if path == "/metrics":
                self._send(200, generate_latest(registry), CONTENT_TYPE_LATEST)
            elif path == "/healthz":
                ok, body = health.report()
                self._send(200 if ok else 503, json.dumps(body).encode(), "application/json")
            else:
                self._send(404, b"not found\n", "text/plain")

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:  # scrapes every few seconds: keep logs quiet
            pass

    return Handler
