"""ClickHouse's HTTP protocol, read-only, answered from the audit sink's chDB.

Why: analysts' tools (``clickhouse_connect``, the Grafana ClickHouse data source,
DBeaver, Metabase) speak ClickHouse's HTTP interface; chDB has no server. The sink
owns chDB, so its query endpoint (``streams.audit.query``, ``settings.audit.query_port``)
also answers this protocol on ``/`` and ``/ping``, as documented at
clickhouse.com/docs/interfaces/http:

- the query in the ``query`` URL parameter, the POST body, or both (URL first);
- ``FORMAT`` in the statement, else ``default_format``, else ``X-ClickHouse-Format``,
  else TabSeparated; ``database`` (only the audit database); ``param_<name>`` values for
  ``{name:Type}`` placeholders; settings as URL parameters (output-format settings only:
  every cap is ours, see ``sql_guard.caps``); protocol parameters (``session_id``,
  ``query_id`` …) accepted and ignored, but ``compress=1`` / ``decompress=1`` frame the
  answer / read the body as ClickHouse's LZ4 blocks (``streams.audit.ch_compression``);
- credentials as basic auth, ``X-ClickHouse-User``/``X-ClickHouse-Key`` or the ``user``/
  ``password`` URL parameters, checked against the analysts' file
  (``streams.audit.analysts``, ``inkstream analyst add``);
- every statement passes ``sql_guard`` and runs under its caps; errors come back as
  4xx with ClickHouse's ``Code: N. DB::Exception: …`` text and ``X-ClickHouse-Exception-Code``.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any, Mapping
from urllib.parse import parse_qsl

from inkstream.errors import ConnectorError, SchemaError
from streams.audit.analysts import Analysts
from streams.audit.ch_compression import frame, unframe
from streams.audit.ch_native import upgrade
from streams.audit.sql_guard import ReadOnlyViolation, caps, check_statement, output_format
from streams.audit.store import ClickHouse, readonly_session

__all__ = ["ClickHouseHttp", "Reply"]

# HTTP-protocol parameters, not settings: clickhouse_connect and Grafana send them.
_PROTOCOL = frozenset({"session_id", "session_timeout", "session_check", "query_id", "compress", "decompress",
                       "quota_key", "wait_end_of_query", "buffer_size", "client_protocol_version", "role",
                       "enable_http_compression", "send_progress_in_http_headers",
                       "http_headers_progress_interval_ms", "http_zlib_compression_level", "readonly",
                       "add_http_cors_header", "cancel_http_readonly_queries_on_client_close",
                       "network_compression_method"})
# Limits a driver derives from its own deadline (clickhouse-go sends max_execution_time on
# every query when its context has one, Grafana's data source always does): accepted, and
# never lifting ours, since the session's cap (audit.query_max_seconds) stays in force; the
# client enforces its shorter deadline itself.
_CLIENT_DEADLINES = frozenset({"max_execution_time"})
_CODE = re.compile(r"Code: (\d+)")
_CONTENT_TYPES = {"json": "application/json; charset=UTF-8", "csv": "text/csv; charset=UTF-8",
                  "tabseparated": "text/tab-separated-values; charset=UTF-8",
                  "tsv": "text/tab-separated-values; charset=UTF-8"}


@dataclass
class Reply:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def _error(status: int, code: int, name: str, message: str) -> Reply:
    text = f"Code: {code}. DB::Exception: {message}. ({name})\n"
    return Reply(status, text.encode(), {"Content-Type": "text/plain; charset=UTF-8",
                                         "X-ClickHouse-Exception-Code": str(code)})


class ClickHouseHttp:
    """``handle`` answers one request; the caller (the query endpoint) owns the socket."""

    def __init__(self, settings: Any, analysts: Analysts, session: ClickHouse | None = None) -> None:
        self.settings, self.analysts = settings, analysts
        audit = settings.audit
        self.session = session or readonly_session(settings, caps(
            row_limit=audit.query_row_limit, max_memory=audit.query_max_memory_mb << 20,
            max_seconds=audit.query_max_seconds))

    @staticmethod
    def ping() -> Reply:
        return Reply(200, b"Ok.\n", {"Content-Type": "text/html; charset=UTF-8"})

    def handle(self, query_string: str, headers: Mapping[str, str], body: bytes) -> Reply:
        try:
            params = dict(parse_qsl(query_string, keep_blank_values=True, errors="strict"))
        except (ValueError, UnicodeDecodeError):
            return _error(400, 27, "CANNOT_PARSE_INPUT", "the URL parameters are not valid UTF-8")
        user = self._authenticate(params, headers)
        if user is None:
            return _error(401, 516, "AUTHENTICATION_FAILED",
                          "unknown analyst or wrong secret (inkstream analyst add NAME)")
        database = params.get("database") or headers.get("X-ClickHouse-Database")
        if database and database != self.settings.clickhouse.database:
            return _error(404, 81, "UNKNOWN_DATABASE", f"database {database} is not served here; "
                          f"analysts read {self.settings.clickhouse.database}")
        if params.get("network_compression_method", "lz4").lower() != "lz4":
            return _error(400, 271, "UNKNOWN_COMPRESSION_METHOD",
                          "compressed blocks are served in LZ4 only (network_compression_method=LZ4)")
        if params.get("decompress") == "1":   # the body in ClickHouse's compressed blocks
            try:
                body = unframe(body)
            except SchemaError as exc:
                return _error(400, 271, "CANNOT_DECOMPRESS", str(exc))
        try:
            sql = "\n".join(p for p in (params.get("query", ""), body.decode("utf-8")) if p.strip())
        except UnicodeDecodeError:
            return _error(400, 27, "CANNOT_PARSE_INPUT", "the query is not valid UTF-8")
        if not sql.strip():
            return _error(400, 62, "SYNTAX_ERROR", "empty query")
        binds = {}
        for name, value in params.items():
            if name.startswith("param_"):
                binds[name[6:]] = value
            elif name in _CLIENT_DEADLINES:
                try:
                    float(value)
                except ValueError:
                    return _error(400, 27, "CANNOT_PARSE_INPUT", f"{name}={value!r} is not a number")
            elif name not in ("query", "database", "default_format", "user", "password") and name not in _PROTOCOL:
                return _error(400, 164, "READONLY", f"Cannot modify '{name}' setting in readonly mode")
        try:
            canonical = check_statement(self.session, sql, binds)
        except ReadOnlyViolation as exc:
            return _error(400, 164, "READONLY", str(exc))
        own = output_format(canonical)
        fmt = None if own else (params.get("default_format") or headers.get("X-ClickHouse-Format") or "TabSeparated")
        try:
            data = self.session.raw(sql.strip().rstrip(";"), binds, {}, fmt)
        except ConnectorError as exc:
            match = _CODE.search(str(exc))
            text = str(exc).split("DB::Exception: ", 1)[-1].rstrip(". ")
            return _error(422, int(match.group(1)) if match else 1000, "QUERY_REFUSED", text)
        final = own or fmt or "TabSeparated"
        kind = final.lower()
        content_type = next((v for k, v in _CONTENT_TYPES.items() if kind.startswith(k)), "application/octet-stream")
        summary = {"read_rows": "0", "read_bytes": "0", "written_rows": "0", "written_bytes": "0",
                   "total_rows_to_read": "0", "result_rows": "0", "result_bytes": str(len(data))}
        if final.lower() == "native" and params.get("client_protocol_version", "0").isdigit():
            try:   # clickhouse-go decodes Native at the revision it names
                data = upgrade(data, int(params.get("client_protocol_version", "0")))
            except SchemaError as exc:
                return _error(400, 50, "UNKNOWN_TYPE", str(exc))
        if params.get("compress") == "1":    # the official Java and Go clients ask for LZ4 blocks
            data = frame(data)
        return Reply(200, data, {"Content-Type": content_type, "X-ClickHouse-Format": final,
                                 "X-ClickHouse-Timezone": "UTC", "X-ClickHouse-Server-Display-Name": "inkstream-audit",
                                 "X-ClickHouse-Query-Id": params.get("query_id") or str(uuid.uuid4()),
                                 "X-ClickHouse-Summary": json.dumps(summary)})

    def _authenticate(self, params: Mapping[str, str], headers: Mapping[str, str]) -> str | None:
        name, secret = headers.get("X-ClickHouse-User"), headers.get("X-ClickHouse-Key")
        auth = headers.get("Authorization") or ""
        if name is None and auth[:6].lower() == "basic ":
            try:
                name, _, secret = base64.b64decode(auth[6:].strip(), validate=True).decode("utf-8").partition(":")
            except (binascii.Error, ValueError):
                return None
        if name is None:
            name, secret = params.get("user"), params.get("password")
        if not name or secret is None:
            return None
        return name if self.analysts.check(name, secret) else None
