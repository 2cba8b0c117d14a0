"""Read access to the audit store while the sink owns it, and the ``Reader`` to use.

Why: chDB lets one OS process open ``<data_dir>/clickhouse``. While ``inkstream run
audit`` runs, that process is the sink, so it also serves a small read-only SQL endpoint:

- binds ``settings.audit.query_host`` (127.0.0.1) on ``settings.audit.query_port``
  (0 = any free port); writes ``<data_dir>/audit-query.json`` (mode 0600) with its pid,
  port and a random bearer token, removed on exit;
- ``POST /query`` ``{"sql", "params", "limit"}`` runs one parameterised statement
  (``{name:Type}`` placeholders, bound by ClickHouse, never by string formatting) that
  must start with SELECT/WITH/SHOW/DESCRIBE/EXPLAIN/EXISTS, passes ``sql_guard`` (no
  file/URL/S3/remote/executable functions, no INTO OUTFILE: checked on the engine's own
  parse tree) and runs under ``readonly=1`` with a memory and a time cap
  (``settings.audit.query_max_memory_mb``, ``query_max_seconds``), and returns at most
  ``limit`` rows (capped by ``settings.audit.query_row_limit``) with ``truncated`` set
  when there were more; ``GET /healthz``; ``GET /metrics`` (the sink's
  own metrics; the runtime's are on the worker's port). HTTPS only when ``http.tls_cert``
  is set (inkstream/tls.py: TLS 1.2 floor; ``http.require_tls`` without one refuses to
  start); the discovery file then says ``"scheme": "https"`` and readers verify against
  ``http.tls_ca`` (default: the certificate);
- ``/`` and ``/ping`` answer ClickHouse's HTTP protocol for analysts' tools
  (``streams.audit.clickhouse_http``; users from ``inkstream analyst add``).

``open_reader(settings)`` picks, in order: the configured ClickHouse server; the running
sink's endpoint (discovery file, pid alive, ``/healthz`` answers); chDB opened directly in
this process (only possible while no sink runs).
"""

from __future__ import annotations

import atexit
import datetime as dt
import decimal
import json
import os
import secrets
import threading
import uuid
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit
from pathlib import Path
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from inkstream.errors import ConnectorError
from inkstream.secure_files import write_private
from inkstream.settings import Settings
from inkstream.tls import HTTPSServer, client_context, http_server_context
from streams.audit.analysts import Analysts, analysts_path, writers_path
from streams.audit.clickhouse_http import ClickHouseHttp, Reply
from streams.audit.sql_guard import ReadOnlyViolation, caps, check_statement
from streams.audit.store import ClickHouse, connect

__all__ = ["QueryServer", "QueryClient", "open_reader", "running_endpoint", "run_readonly", "discovery_file",
           "ReadOnlyViolation"]

_MAX_BODY = 1 << 20
_MAX_WRITE_BODY = 64 << 20  # a writer's INSERT carries a batch of rows (OCR payloads are tens of kB each)


def discovery_file(settings: Settings) -> Path:
    return Path(settings.data_dir).resolve() / "audit-query.json"


def run_readonly(store: ClickHouse, sql: str, params: dict | None, limit: int,
                 audit: Any | None = None) -> dict:
    """One read-only statement (``sql_guard``), at most ``limit`` rows, JSON-ready.
    ``audit`` is ``settings.audit`` (memory and time caps); None: its defaults."""
    from inkstream.settings import AuditSettings

    audit = audit or AuditSettings()
    check_statement(store, sql, params)
    settings = caps(row_limit=limit + 1, max_memory=audit.query_max_memory_mb << 20,
                    max_seconds=audit.query_max_seconds)
    columns, rows = store.query(sql.strip().rstrip(";"), params or {}, settings=settings)
    return {"columns": columns, "rows": [[_jsonable(v) for v in r] for r in rows[:limit]],
            "truncated": len(rows) > limit}


def _jsonable(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", errors="replace")
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


class QueryServer:
    """The sink process's read endpoint (see the module docstring)."""

    def __init__(self, store: ClickHouse, settings: Settings, registry: CollectorRegistry | None = None) -> None:
        self.store, self.settings = store, settings
        self.registry = registry or CollectorRegistry()
        self.token = secrets.token_urlsafe(24)
        self.clickhouse = ClickHouseHttp(settings, Analysts(analysts_path(settings)),
                                         writers=Analysts(writers_path(settings)), store=store)
        # The bearer token and the rows (names, amounts) cross this socket: TLS when configured.
        self._server = HTTPSServer((settings.audit.query_host, settings.audit.query_port), _handler(self),
                                   http_server_context(settings.http))
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="audit-query", daemon=True)
        self._file = discovery_file(settings)

    def start(self) -> "QueryServer":
        self._thread.start()
        # A new 0600 file each start: a stale file with a wider mode is replaced, never reused.
        write_private(self._file, json.dumps({"pid": os.getpid(), "host": self.settings.audit.query_host,
                                              "port": self.port, "scheme": self._server.scheme,
                                              "token": self.token}).encode())
        atexit.register(self.stop)
        return self

    def stop(self) -> None:
        try:
            info = json.loads(self._file.read_text())
            if info.get("pid") == os.getpid():
                self._file.unlink()
        except (OSError, ValueError):
            pass
        self._server.shutdown()
        self._server.server_close()

    def answer(self, body: dict) -> dict:
        limit = min(int(body.get("limit") or self.settings.audit.query_row_limit), self.settings.audit.query_row_limit)
        return run_readonly(self.store, str(body.get("sql", "")), body.get("params") or {}, max(limit, 1),
                            self.settings.audit)


def _handler(server: QueryServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server API
            url = urlsplit(self.path)
            if url.path == "/ping":
                return self._reply(server.clickhouse.ping())
            if url.path == "/":
                return self._reply(server.clickhouse.handle(url.query, self.headers, b""))
            if self.path == "/healthz":
                self._send(200, {"status": "ok", "pid": os.getpid()})
            elif self.path == "/metrics":
                self._raw(200, generate_latest(server.registry), CONTENT_TYPE_LATEST)
            else:
                self._send(404, {"error": "not found"})

        def do_POST(self) -> None:  # noqa: N802
            url = urlsplit(self.path)
            if url.path == "/":
                return self._clickhouse_post(url.query)
            if self.path != "/query":
                return self._send(404, {"error": "not found"})
            # http.server decodes headers as latin-1; compare bytes, since compare_digest
            # raises TypeError on a non-ASCII str (it dropped the connection).
            sent = self.headers.get("Authorization", "").encode("latin-1", "replace")
            if not secrets.compare_digest(sent, f"Bearer {server.token}".encode()):
                return self._send(401, {"error": "missing or wrong bearer token (see audit-query.json)"})
            declared = self.headers.get("Content-Length") or ""
            length = int(declared) if declared.isdigit() else 0
            if length <= 0 or length > _MAX_BODY:
                return self._send(400, {"error": f"body must be 1..{_MAX_BODY} bytes of JSON"})
            try:
                body = json.loads(self.rfile.read(length))
                self._send(200, server.answer(body))
            except (ValueError, TypeError, ReadOnlyViolation) as exc:
                self._send(400, {"error": str(exc)})
            except ConnectorError as exc:
                self._send(422, {"error": str(exc)})

        def _clickhouse_post(self, query: str) -> None:
            # Only an authenticated writer may send a big (or chunked) body: its INSERTs.
            limit = _MAX_WRITE_BODY if server.clickhouse.is_writer(query, self.headers) else _MAX_BODY
            if (self.headers.get("Transfer-Encoding") or "").lower() == "chunked" and limit == _MAX_WRITE_BODY:
                body = _read_chunked(self.rfile, limit)
                if body is None:
                    return self._raw(413, f"the body must be a valid chunked stream of at most {limit} bytes\n".encode(),
                                     "text/plain")
                return self._reply(server.clickhouse.handle(query, self.headers, body))
            if self.headers.get("Transfer-Encoding"):
                return self._raw(411, b"send the query with a Content-Length\n", "text/plain")
            declared = self.headers.get("Content-Length") or "0"
            length = int(declared) if declared.isdigit() else -1
            if not 0 <= length <= limit:
                return self._raw(413, f"the query must be 0..{limit} bytes\n".encode(), "text/plain")
            self._reply(server.clickhouse.handle(query, self.headers, self.rfile.read(length)))

        def _reply(self, reply: Reply) -> None:
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)

        def _send(self, status: int, body: dict) -> None:
            self._raw(status, json.dumps(body).encode(), "application/json")

        def _raw(self, status: int, data: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args) -> None:  # SQL can hold customer names: never logged
            pass

    return Handler


def _read_chunked(stream, limit: int) -> bytes | None:
    """An HTTP/1.1 chunked body (RFC 9112 §7.1), or None when it is malformed or over ``limit``."""
    out = bytearray()
    while True:
        line = stream.readline(1026)
        try:
            size = int(line.split(b";", 1)[0].strip() or b"x", 16)
        except ValueError:
            return None
        if size == 0:
            while stream.readline(1026) not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return bytes(out)
        if size < 0 or len(out) + size > limit:
            return None
        out += stream.read(size)
        if stream.readline(3) not in (b"\r\n", b"\n"):
            return None


class QueryClient:
    """``Reader`` over a running sink's endpoint; ``client`` is an ``httpx.Client``."""

    def __init__(self, base_url: str, token: str, client: Any, limit: int) -> None:
        self.base_url, self.token, self.client, self.limit = base_url.rstrip("/"), token, client, limit

    def query(self, sql: str, params: dict | None = None) -> tuple[list[str], list[tuple]]:
        return _complete(self.query_json(sql, params, self.limit), self.limit)

    def query_json(self, sql: str, params: dict | None, limit: int) -> dict:
        try:
            resp = self.client.post(f"{self.base_url}/query", json={"sql": sql, "params": params or {}, "limit": limit},
                                    headers={"Authorization": f"Bearer {self.token}"})
        except Exception as exc:  # httpx.HTTPError: the sink went away mid-call
            raise ConnectorError(f"audit query endpoint at {self.base_url} failed: {exc}") from exc
        if resp.status_code != 200:
            raise ConnectorError(f"audit query refused ({resp.status_code}): {resp.json().get('error', resp.text)}")
        return resp.json()


class _Direct:
    """``Reader`` over a store opened in this process; reads are read-only here too."""

    def __init__(self, store: ClickHouse, limit: int, audit: Any | None = None) -> None:
        self.store, self.limit, self.audit = store, limit, audit

    def query(self, sql: str, params: dict | None = None) -> tuple[list[str], list[tuple]]:
        return _complete(run_readonly(self.store, sql, params, self.limit, self.audit), self.limit)

    def query_json(self, sql: str, params: dict | None, limit: int) -> dict:
        return run_readonly(self.store, sql, params, limit, self.audit)


def _complete(body: dict, limit: int) -> tuple[list[str], list[tuple]]:
    """Programmatic reads (verify, certificates) must never see a cut result silently."""
    if body["truncated"]:
        raise ConnectorError(f"query returned more than {limit} rows (settings.audit.query_row_limit); "
                             "page it with LIMIT")
    return body["columns"], [tuple(r) for r in body["rows"]]


def open_reader(settings: Settings, *, http_client: Any | None = None) -> "QueryClient | _Direct":
    """The reader to use from a CLI process (see the module docstring for the order)."""
    limit = settings.audit.query_row_limit
    if settings.clickhouse.url:
        return _Direct(connect(settings, ddl=False), limit, settings.audit)
    endpoint = running_endpoint(settings, http_client)
    if endpoint is not None:
        return endpoint
    return _Direct(connect(settings), limit, settings.audit)


def running_endpoint(settings: Settings, http_client: Any | None = None) -> QueryClient | None:
    """The running sink's endpoint, or None when no sink answers."""
    import httpx

    path = discovery_file(settings)
    try:
        info = json.loads(path.read_text())
        os.kill(int(info["pid"]), 0)
    except (OSError, ValueError, KeyError, TypeError):
        return None  # no sink, or a stale file from one that was killed -9
    scheme = "https" if info.get("scheme") == "https" else "http"
    verify = (client_context(settings.http) or True) if scheme == "https" else True
    client = http_client or httpx.Client(timeout=httpx.Timeout(120.0, connect=2.0), verify=verify)
    base = f"{scheme}://{info['host']}:{info['port']}"
    try:
        if client.get(f"{base}/healthz").status_code != 200:
            return None
    except httpx.HTTPError:
        return None
    return QueryClient(base, info["token"], client, settings.audit.query_row_limit)
