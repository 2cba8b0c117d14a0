"""One request-body limit for every HTTP listener (upload API, webhook gateway, review page),
enforced while reading: an ASGI wrapper counts the bytes the app receives, chunked or not.

A declared ``Content-Length`` over the limit is refused before a byte is read. Without one
(``Transfer-Encoding: chunked``) the count trips as soon as the running total passes the
limit: the app's read fails, whatever the app then answers is replaced by the 413, and the
rest of the body is never read, so memory stays bounded by the limit plus one chunk.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

__all__ = ["BodyLimit", "BodyTooLarge"]

# ASGI's three types (the spec's names), as Starlette spells them.
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
OnRefuse = Callable[[Scope], Awaitable[None]]


class BodyTooLarge(Exception):
    """Raised into the app's read when the body passes the limit."""


class BodyLimit:
    """ASGI middleware: ``limit(scope)`` bytes per request (None = no body limit for it)."""

    def __init__(self, app: ASGIApp, *, limit: int | Callable[[Scope], int | None],
                 on_refuse: OnRefuse | None = None) -> None:
        self.app = app
        self._limit: Callable[[Scope], int | None] = limit if callable(limit) else (lambda _scope: limit)
        self._on_refuse = on_refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = self._limit(scope) if scope["type"] == "http" else None
        if limit is None:
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await self._refuse(scope, send, limit)
            return

        received = 0
        tripped = False
        started = False

        async def counted_receive() -> Message:
            nonlocal received, tripped
            if tripped:
                raise BodyTooLarge(f"body over {limit} bytes")
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    tripped = True
                    raise BodyTooLarge(f"body over {limit} bytes")
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if tripped:  # the app answered its failed read: the 413 replaces that answer
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except Exception:
            if not tripped:
                raise
        if tripped and not started:
            await self._refuse(scope, send, limit)

    async def _refuse(self, scope: Scope, send: Send, limit: int) -> None:
        if self._on_refuse is not None:
            await self._on_refuse(scope)
        body = json.dumps({"error": "too_large", "reason": "too_large",
                           "detail": f"the request body is over the limit of {limit} bytes"}).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode()), (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else None
    return None
