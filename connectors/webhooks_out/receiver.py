"""A local receiver of outbound webhooks, for development: ``inkstream demo`` subscribes one
and shows what arrived per document.

Each POST is checked with inkstream's own Standard Webhooks verifier (the one the e-sign
gateway uses on inbound webhooks, ``connectors.esign.verify.verify_standard``): a good
signature gets 204, a bad one 400 with the reason, so the sender retries and the failure
shows. Every request is kept whole (body and headers), so a test can verify it again with
the official ``standardwebhooks`` library.

Binds loopback only; the subscription it answers must allow http and private addresses
(``webhooks_out.allow_http`` / ``allow_private``), which only development sets.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from connectors.esign.verify import verify_standard
from inkstream.errors import WebhookVerificationError

__all__ = ["Delivery", "LocalReceiver"]

_MAX_BODY = 1 << 20   # our payloads are ids and statuses: a few hundred bytes


@dataclass(frozen=True)
class Delivery:
    webhook_id: str
    event_type: str
    doc_id: str
    verified: bool
    error: str
    body: bytes
    headers: dict[str, str] = field(repr=False)
    received_at: float = 0.0


class LocalReceiver:
    """``secret`` is the subscription's ``whsec_`` secret; set it (``receiver.secret = ...``)
    once the subscription exists, as the URL must exist first."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, secret: str = "") -> None:
        self.secret = secret
        self._lock = threading.Lock()
        self._deliveries: list[Delivery] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server hook
                size = int(self.headers.get("Content-Length") or 0)
                if size > _MAX_BODY:
                    self._answer(413, "body too large")
                    return
                body = self.rfile.read(size)
                status, reason = receiver._receive(body, {k.lower(): v for k, v in self.headers.items()})
                self._answer(status, reason)

            def _answer(self, status: int, reason: str) -> None:
                payload = reason.encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:  # no access log on the demo's console
                pass

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self.url = f"http://{host}:{self._server.server_address[1]}/inkstream-webhooks"
        self._thread = threading.Thread(target=self._server.serve_forever, name="webhook-receiver", daemon=True)
        self._thread.start()

    def _receive(self, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        error = ""
        try:
            verify_standard(body, headers, [self.secret] if self.secret else [], now=time.time())
        except WebhookVerificationError as exc:
            error = str(exc)
        try:
            event = json.loads(body)
            event_type, doc_id = str(event["type"]), str(event["data"]["doc_id"])
        except (ValueError, KeyError, TypeError):
            event_type, doc_id = "?", "?"
            error = error or "not a webhook event"
        delivery = Delivery(headers.get("webhook-id", ""), event_type, doc_id, not error, error, body, headers,
                            time.time())
        with self._lock:
            self._deliveries.append(delivery)
        return (400, error) if error else (204, "")

    @property
    def deliveries(self) -> list[Delivery]:
        with self._lock:
            return list(self._deliveries)

    def for_document(self, doc_id: str) -> list[Delivery]:
        return [d for d in self.deliveries if d.doc_id == doc_id]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> "LocalReceiver":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
