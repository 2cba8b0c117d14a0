"""The audit query endpoint never reads a body past its 1 MiB limit (issue 12 item 4): a
chunked body (no length) or an over-long declared length is refused without being read."""

from __future__ import annotations

import socket

import pytest

from streams.audit.query import QueryServer

CHUNK = 64 * 1024
HUGE = 64 * 1024 * 1024


@pytest.fixture
def server(store, audit_settings):
    settings = audit_settings.model_copy(update={"audit": audit_settings.audit.model_copy(update={"query_port": 0})})
    srv = QueryServer(store, settings).start()
    yield srv
    srv.stop()


def _post(server, headers: bytes) -> tuple[bytes, int]:
    sent = 0
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(b"POST /query HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     + f"Authorization: Bearer {server.token}\r\n".encode() + headers + b"\r\n")
        chunk = b"%x\r\n" % CHUNK + b"x" * CHUNK + b"\r\n"
        try:
            while sent < HUGE:
                sock.sendall(chunk)
                sent += CHUNK
        except OSError:  # answered and closed: the rest is never read
            pass
        return sock.recv(4096), sent


@pytest.mark.timeout(60)
@pytest.mark.parametrize("headers", [b"Transfer-Encoding: chunked\r\n",
                                     f"Content-Length: {HUGE}\r\n".encode()])
def test_an_endless_or_over_long_body_is_refused_unread(server, headers):
    reply, sent = _post(server, headers)
    assert reply.split(b" ")[1] in (b"400", b"413"), reply[:80]
    assert sent < HUGE
