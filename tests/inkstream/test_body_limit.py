"""Body limits while reading, chunked or not, on every HTTP listener (issue 12 item 4).

The attack: a 64 MiB ``Transfer-Encoding: chunked`` body (no Content-Length) against a
1 MiB limit was read whole. Each app is driven at the ASGI level with a body source that
counts what the app pulls: the answer must be 413 after at most the limit plus one chunk.
One test runs the gateway under uvicorn and sends the chunked body over a real socket.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time

import pytest

from inkstream.body_limit import BodyLimit

CHUNK = 64 * 1024
HUGE = 64 * 1024 * 1024


class Source:
    """``receive`` for ASGI: ``total`` bytes in CHUNK pieces, pulled on demand and counted."""

    def __init__(self, total: int, pattern: bytes = b"x") -> None:
        self.total, self.pulled, self.pattern = total, 0, pattern

    async def receive(self):
        if self.pulled >= self.total:
            return {"type": "http.disconnect"}
        piece = min(CHUNK, self.total - self.pulled)
        start = self.pulled % len(self.pattern)
        body = (self.pattern * (piece // len(self.pattern) + 2))[start:start + piece]
        self.pulled += piece
        return {"type": "http.request", "body": body, "more_body": self.pulled < self.total}


def call(app, path: str, total: int, *, headers=(), content_length: bool = False,
         pattern: bytes = b"x") -> tuple[int, bytes, Source]:
    source = Source(total, pattern)
    sent: list[dict] = []
    given = dict(headers)
    hdrs = [(b"host", b"test"), (b"content-type", given.pop(b"content-type", b"application/json")), *given.items()]
    hdrs.append((b"content-length", str(total).encode()) if content_length else (b"transfer-encoding", b"chunked"))
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": hdrs, "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 80)}

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, source.receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], body, source


async def _echo(scope, receive, send):
    """Reads the whole body, as request.body() does."""
    data = b""
    while True:
        message = await receive()
        data += message.get("body", b"")
        if not message.get("more_body"):
            break
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": str(len(data)).encode()})


def test_the_helper_stops_a_chunked_body_at_the_limit_and_passes_one_under_it():
    app = BodyLimit(_echo, limit=1024 * 1024)
    status, body, source = call(app, "/x", HUGE)
    assert status == 413 and b"too_large" in body
    assert source.pulled <= 1024 * 1024 + CHUNK  # never read whole
    status, body, _ = call(app, "/x", 1024 * 1024)
    assert status == 200 and body == str(1024 * 1024).encode()
    status, _, source = call(app, "/x", HUGE, content_length=True)
    assert status == 413 and source.pulled == 0  # declared too large: nothing read


def test_an_app_that_swallows_the_read_error_still_answers_413():
    async def careless(scope, receive, send):
        try:
            await _echo(scope, receive, send)
        except Exception:  # noqa: BLE001 - the case under test
            await send({"type": "http.response.start", "status": 400, "headers": []})
            await send({"type": "http.response.body", "body": b"bad form"})
    status, body, source = call(BodyLimit(careless, limit=1000), "/x", HUGE)
    assert status == 413 and source.pulled <= 1000 + CHUNK


def test_the_webhook_gateway_refuses_a_chunked_body_over_its_limit(base_settings):
    from connectors.esign.gateway import create_app
    from connectors.esign.state import EnvelopeBook

    published = []
    publisher = type("P", (), {"publish": lambda self, records: published.extend(records)})()
    settings = base_settings.model_copy(update={"esign": base_settings.esign.model_copy(
        update={"max_webhook_bytes": 1024 * 1024})})
    app = create_app(settings, publisher=publisher, book=EnvelopeBook())
    status, _, source = call(app, "/webhooks/docusign", HUGE)
    assert status == 413 and source.pulled <= 1024 * 1024 + CHUNK
    # The refusal is recorded like any other (webhooks.rejected), nothing reaches esign.events.
    assert [topic for topic, _key, _value in published if topic.endswith("esign.events")] == []
    assert any(topic.endswith("webhooks.rejected") for topic, _key, _value in published)


def test_the_upload_api_refuses_a_chunked_body_over_its_limit(tmp_path, base_settings):
    from prometheus_client import CollectorRegistry

    from connectors.capture.apikeys_shared import open_key_store
    from connectors.capture.http import create_app

    settings = base_settings.model_copy(update={
        "data_dir": tmp_path, "capture": base_settings.capture.model_copy(update={"max_bytes": 1024 * 1024})})
    keys = open_key_store(settings)
    secret = keys.create("scanner")[1]
    app = create_app(settings, store=object(), producer=object(), keys=keys, registry=CollectorRegistry())
    # Form fields under read_form's per-field cap, without end: only the body limit stops them.
    status, _body, source = call(app, "/v1/documents", HUGE, headers=[
        (b"x-api-key", secret.encode()), (b"content-type", b"multipart/form-data; boundary=b0undary")],
        pattern=b'--b0undary\r\nContent-Disposition: form-data; name="f"\r\n\r\n' + b"x" * 32768 + b"\r\n")
    assert status == 413 and source.pulled <= 1024 * 1024 + 256 * 1024 + CHUNK, _body


def test_the_review_page_refuses_a_chunked_body_over_its_limit(tmp_path, base_settings):
    from streams.review import ReviewQueue, Reviewers
    from streams.review.app import ReviewDeps, create_app

    settings = base_settings.model_copy(update={"data_dir": tmp_path})
    deps = ReviewDeps(queue=ReviewQueue(), reviewers=Reviewers(tmp_path / "users.json"), store=object(),
                      publish=lambda record: None, record_action=lambda *a: None)
    app = create_app(settings, deps)
    status, _, source = call(app, "/review/login", HUGE, headers=[(b"content-type", b"application/x-www-form-urlencoded")])
    assert status == 413 and source.pulled <= settings.review.max_body_bytes + CHUNK


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.timeout(60)
def test_a_real_chunked_request_to_the_gateway_under_uvicorn_gets_413(base_settings):
    import uvicorn

    from connectors.esign.gateway import create_app
    from connectors.esign.state import EnvelopeBook

    publisher = type("P", (), {"publish": lambda self, records: None})()
    settings = base_settings.model_copy(update={"esign": base_settings.esign.model_copy(
        update={"max_webhook_bytes": 1024 * 1024})})
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings, publisher=publisher, book=EnvelopeBook()),
                                           host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            time.sleep(0.05)
        sent = 0
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(b"POST /webhooks/docusign HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                         b"Transfer-Encoding: chunked\r\n\r\n")
            chunk = b"%x\r\n" % CHUNK + b"x" * CHUNK + b"\r\n"
            try:
                while sent < HUGE:
                    sock.sendall(chunk)
                    sent += CHUNK
            except OSError:  # the server answered and closed: the rest is never read
                pass
            reply = sock.recv(4096)
        assert reply.startswith(b"HTTP/1.1 413"), reply[:100]
        assert sent < HUGE  # the server stopped reading long before 64 MiB
    finally:
        server.should_exit = True
        thread.join(10)
