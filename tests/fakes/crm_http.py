"""Shared pieces of the CRM vendor fakes: scripted failures and spec violations."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP

import httpx

__all__ = ["SpecViolation", "Script", "parse_multipart"]


class SpecViolation(AssertionError):
    """A request the vendor's documentation does not allow: the test must fail loudly."""


@dataclass
class Script:
    """Responses to return instead of the normal ones, for the next API requests."""

    queue: deque = field(default_factory=deque)

    def fail(self, times: int, status: int, *, headers: dict | None = None, json: object = None,
             path_suffix: str = "", method: str | None = None, after: bool = False) -> None:
        """Answer the next ``times`` matching requests with ``status``; ``after=True``: the
        fake does the work first and then answers with the failure (a lost response)."""
        for _ in range(times):
            self.queue.append((status, headers or {}, json, path_suffix, method, after))

    def next(self, request: httpx.Request, route) -> httpx.Response | None:
        if not self.queue or not request.url.path.endswith(self.queue[0][3]):
            return None
        if self.queue[0][4] not in (None, request.method):
            return None
        status, headers, body, _, _, after = self.queue.popleft()
        if after:
            route(request)
        return httpx.Response(status, headers=headers, json=body)


def parse_multipart(request: httpx.Request) -> dict[str, tuple[str | None, str, bytes]]:
    """``name -> (filename, content_type, bytes)`` of a multipart/form-data body."""
    ctype = request.headers.get("content-type", "")
    if not ctype.startswith("multipart/form-data"):
        raise SpecViolation(f"expected multipart/form-data, got {ctype!r}")
    msg = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + request.content)
    parts = {}
    for part in msg.iter_parts():
        name = part.get_param("name", header="content-disposition")
        parts[name] = (part.get_filename(), part.get_content_type(), part.get_payload(decode=True))
    return parts
