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
- writers (``<data_dir>/audit-writers.json``: audit sinks of other instances whose
  ``CLICKHOUSE_URL`` points here) get the write side, ``streams.audit.clickhouse_write``:
  INSERT … FORMAT with the rows in the body (plain, or ``Content-Encoding`` lz4/zstd/gzip
  as clickhouse_connect sends it), CREATE/ALTER UPDATE/TTL in the audit database only;
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
from streams.audit import clickhouse_write as write
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


_TRAILING_FORMAT = re.compile(r"\s+FORMAT\s+\w+\s*$", re.IGNORECASE)
_EXPLAIN = re.compile(r"^\s*EXPLAIN\b", re.IGNORECASE)
_PLACEHOLDER = re.compile(r"\{(\w+):([^{}]+)\}")
_UNESCAPE = {"\\": "\\", "'": "'", '"': '"', "`": "`", "n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "0": "\0"}


def _form_fields(content_type: str, body: bytes) -> dict[str, str] | None:
    """The fields of a ``multipart/form-data`` request: ClickHouse's HTTP interface takes
    ``query`` and ``param_<name>`` there, and clickhouse_connect sends them so when the
    URL would be too long (many ids bound to one ``Array`` parameter)."""
    from email.parser import BytesParser
    from email.policy import HTTP

    try:
        message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n"
                                                      + body)
        if not message.is_multipart():
            return None
        fields = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if name:
                fields[str(name)] = part.get_payload(decode=True).decode("utf-8")
        return fields
    except (ValueError, UnicodeError, TypeError, AttributeError):
        return None


def _decompress(body: bytes, encoding: str) -> bytes:
    """A request body's ``Content-Encoding`` (the ones ClickHouse's HTTP interface takes
    and clickhouse_connect sends: lz4 frame by default, zstd, gzip, deflate)."""
    if encoding == "lz4":
        import lz4.frame

        return lz4.frame.decompress(body)
    if encoding == "zstd":
        from clickhouse_connect.driver.compression import _zstd_decompress  # the client's own codec

        return _zstd_decompress(body)
    if encoding == "gzip":
        import gzip

        return gzip.decompress(body)
    if encoding == "deflate":
        import zlib

        return zlib.decompress(body)
    raise ValueError(f"unsupported Content-Encoding {encoding}")


def _unescape(text: str) -> str:
    """ClickHouse's escaped text format (what ``param_<name>`` values are in) → the string."""
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            out.append(_UNESCAPE.get(text[i + 1], text[i + 1]))
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def text_binds(sql: str, binds: dict[str, str]) -> tuple[str, dict[str, str]]:
    """Hand the client's ``param_<name>`` texts to the engine unchanged.

    Why: the HTTP protocol sends each value already in ClickHouse's text form for its
    type (``['a','b']`` for ``Array(String)``), but clickhouse_connect, which runs them on
    chDB, escapes a Python str once more, so a non-String value no longer parses (measured:
    ``Cannot parse quoted string`` for an array). So a non-String placeholder becomes
    ``CAST({name:String} AS Type)`` (the engine parses the text exactly as a server would)
    and a String value is unescaped first (clickhouse_connect escapes it back)."""
    def swap(match: re.Match) -> str:
        name, kind = match.group(1), match.group(2).strip()
        if name not in binds or kind in ("String", "Identifier"):
            return match.group(0)
        return f"CAST({{{name}:String}} AS {kind})"

    typed = {m.group(1): m.group(2).strip() for m in _PLACEHOLDER.finditer(sql)}
    values = {k: (_unescape(v) if typed.get(k) == "String" else v) for k, v in binds.items()}
    return _PLACEHOLDER.sub(swap, sql), values


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

    def __init__(self, settings: Any, analysts: Analysts, session: ClickHouse | None = None, *,
                 writers: Analysts | None = None, store: ClickHouse | None = None) -> None:
        """``writers`` and ``store`` (the sink's writable store) open the write side."""
        self.settings, self.analysts = settings, analysts
        self.writers, self.store = writers, store
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
        if (headers.get("Content-Type") or "").lower().startswith("multipart/form-data"):
            form = _form_fields(headers.get("Content-Type") or "", body)
            if form is None:
                return _error(400, 27, "CANNOT_PARSE_INPUT", "the multipart/form-data body cannot be read")
            params, body = {**params, **form}, b""
        user, role = self._authenticate(params, headers)
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
        if role == "writer":
            return self._write(params, headers, body)
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
        sql, binds = text_binds(sql, binds)
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

    def is_writer(self, query_string: str, headers: Mapping[str, str]) -> bool:
        """Whether the request carries a writer's credentials (checked before its body is read)."""
        if self.writers is None or self.store is None:
            return False
        try:
            params = dict(parse_qsl(query_string, keep_blank_values=True, errors="strict"))
        except (ValueError, UnicodeDecodeError):
            return False
        return self._authenticate(params, headers)[1] == "writer"

    def _write(self, params: dict[str, str], headers: Mapping[str, str], body: bytes) -> Reply:
        """A writer's request (``streams.audit.clickhouse_write``)."""
        encoding = (headers.get("Content-Encoding") or "").strip().lower()
        if encoding and encoding != "identity":
            try:
                body = _decompress(body, encoding)
            except Exception as exc:  # noqa: BLE001 - a client's bad body is a 400, never a crash
                return _error(400, 27, "CANNOT_DECOMPRESS", f"cannot decode the {encoding} body: {str(exc)[:200]}")
        binds, settings = {}, {}
        for name, value in params.items():
            if name.startswith("param_"):
                binds[name[6:]] = value
            elif write.writer_setting(name):
                settings[name] = value
            elif name not in ("query", "database", "default_format", "user", "password") and name not in _PROTOCOL:
                return _error(400, 164, "READONLY", f"setting '{name}' cannot be changed by a writer")
        url_sql = params.get("query", "").encode()
        database = self.settings.clickhouse.database
        try:
            # ClickHouse reads the URL's query, a line feed, then the body: for an INSERT the
            # rows follow the statement's FORMAT name (clickhouse_connect sends either shape).
            full = url_sql.rstrip() + b"\n" + body if url_sql.strip() else body
            if write.is_insert(full):
                statement, rows = write.split_insert(full)
                insert = write.parse_insert(statement, rows, database)
                written = write.run_insert(self.store, insert, settings)
                return self._ok(b"", params, "TabSeparated", written=written)
            sql, binds = text_binds(full.decode("utf-8"), binds)
            kind, own = write.check_command(self.session, sql, binds, database)
        except UnicodeDecodeError:
            return _error(400, 27, "CANNOT_PARSE_INPUT", "the query is not valid UTF-8")
        except ReadOnlyViolation as exc:
            return _error(403, 497, "ACCESS_DENIED", str(exc))
        except ConnectorError as exc:
            return self._engine_error(exc)
        try:
            if kind == "read":
                fmt = own or params.get("default_format") or headers.get("X-ClickHouse-Format") or "TabSeparated"
                # The format goes as the client's argument, not in the text: chDB answered an
                # EXPLAIN ending in FORMAT Native with TabSeparated bytes (measured).
                text = _TRAILING_FORMAT.sub("", sql.strip().rstrip(";")) if own else sql.strip().rstrip(";")
                if _EXPLAIN.match(text):  # chDB prints EXPLAIN as text whatever the format; as a sub-query it obeys
                    text = f"SELECT explain FROM ({text})"
                data = self.store.raw(text, binds, settings, fmt)
                return self._ok(data, params, fmt)
            self.store.command(sql.strip().rstrip(";"), binds, settings)
        except ConnectorError as exc:
            return self._engine_error(exc)
        return self._ok(b"", params, "TabSeparated")

    @staticmethod
    def _engine_error(exc: ConnectorError) -> Reply:
        match = _CODE.search(str(exc))
        text = str(exc).split("DB::Exception: ", 1)[-1].rstrip(". ")
        return _error(422, int(match.group(1)) if match else 1000, "QUERY_REFUSED", text)

    @staticmethod
    def _ok(data: bytes, params: Mapping[str, str], final: str, *, written: int = 0) -> Reply:
        kind = final.lower()
        content_type = next((v for k, v in _CONTENT_TYPES.items() if kind.startswith(k)), "application/octet-stream")
        summary = {"read_rows": "0", "read_bytes": "0", "written_rows": str(written), "written_bytes": "0",
                   "total_rows_to_read": "0", "result_rows": "0", "result_bytes": str(len(data))}
        return Reply(200, data, {"Content-Type": content_type, "X-ClickHouse-Format": final,
                                 "X-ClickHouse-Timezone": "UTC", "X-ClickHouse-Server-Display-Name": "inkstream-audit",
                                 "X-ClickHouse-Query-Id": params.get("query_id") or str(uuid.uuid4()),
                                 "X-ClickHouse-Summary": json.dumps(summary)})

    def _authenticate(self, params: Mapping[str, str], headers: Mapping[str, str]) -> tuple[str | None, str]:
        name, secret = headers.get("X-ClickHouse-User"), headers.get("X-ClickHouse-Key")
        auth = headers.get("Authorization") or ""
        if name is None and auth[:6].lower() == "basic ":
            try:
                name, _, secret = base64.b64decode(auth[6:].strip(), validate=True).decode("utf-8").partition(":")
            except (binascii.Error, ValueError):
                return None, ""
        if name is None:
            name, secret = params.get("user"), params.get("password")
        if not name or secret is None:
            return None, ""
        # A writer's name is looked up first: checking it against the analysts' file would cost
        # a refused scrypt (~50 ms, uncached by design) on every one of the sink's requests.
        writer = self.writers is not None and self.store is not None and name in self.writers.names()
        if writer and self.writers.check(name, secret):
            return name, "writer"
        if self.analysts.check(name, secret):
            return name, "analyst"
        return None, ""
