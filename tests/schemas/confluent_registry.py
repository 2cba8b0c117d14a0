"""A small in-process schema registry speaking the Confluent Schema Registry REST API,
so interop tests run confluent-kafka's own AvroSerializer/AvroDeserializer without a
Confluent server (a SaaS-like dependency). Follows Confluent's "Schema Registry API
Reference" (docs.confluent.io/platform/current/schema-registry/develop/api.html):

- ``POST /subjects/{subject}/versions``  register (idempotent) → ``{"id", "subject", "version", "schema"}``
- ``POST /subjects/{subject}``           look a schema up → same body, 404 ``error_code`` 40403 if absent
- ``GET  /schemas/ids/{id}``             → ``{"schema": "<json>"}`` (``schemaType`` omitted for AVRO), 404 40403
- ``GET  /subjects/{subject}/versions/latest`` → ``{"id", "subject", "version", "schema"}``, 404 40401
- ``GET  /subjects``                      → list of subjects

Ids are global: the same schema text under two subjects gets one id, as in Confluent.
Every request is recorded in ``requests`` (method, path) so tests can assert on them.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

__all__ = ["ConfluentRegistry"]


class ConfluentRegistry:
    def __init__(self) -> None:
        self.ids: dict[str, int] = {}  # canonical schema text -> id
        self.schemas: dict[int, str] = {}
        self.subjects: dict[str, list[int]] = {}
        self.requests: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> "ConfluentRegistry":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- registry semantics ----------------------------------------------------
    def register(self, subject: str, schema: str) -> dict:
        key = json.dumps(json.loads(schema), sort_keys=True)
        with self._lock:
            schema_id = self.ids.setdefault(key, len(self.ids) + 1)
            self.schemas.setdefault(schema_id, schema)
            versions = self.subjects.setdefault(subject, [])
            if schema_id not in versions:
                versions.append(schema_id)
            return self._version(subject, schema_id)

    def lookup(self, subject: str, schema: str) -> dict | None:
        schema_id = self.ids.get(json.dumps(json.loads(schema), sort_keys=True))
        if schema_id is None or schema_id not in self.subjects.get(subject, []):
            return None
        return self._version(subject, schema_id)

    def _version(self, subject: str, schema_id: int) -> dict:
        return {"subject": subject, "id": schema_id, "version": self.subjects[subject].index(schema_id) + 1,
                "schema": self.schemas[schema_id]}


def _handler(registry: ConfluentRegistry) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            parts = self._parts()
            if parts[:2] == ["schemas", "ids"] and len(parts) == 3 and parts[2].isdigit():
                schema = registry.schemas.get(int(parts[2]))
                return self._reply(200, {"schema": schema}) if schema else self._error(404, 40403, "Schema not found")
            if parts == ["subjects"]:
                return self._reply(200, sorted(registry.subjects))
            if len(parts) == 4 and parts[0] == "subjects" and parts[2:] == ["versions", "latest"]:
                versions = registry.subjects.get(parts[1])
                if not versions:
                    return self._error(404, 40401, "Subject not found")
                return self._reply(200, registry._version(parts[1], versions[-1]))
            return self._error(404, 404, "Not found")

        def do_POST(self) -> None:  # noqa: N802
            parts = self._parts()
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            if body.get("schemaType", "AVRO") != "AVRO":
                return self._error(422, 42201, "only AVRO schemas here")
            try:
                json.loads(body["schema"])
            except (KeyError, ValueError):
                return self._error(422, 42201, "Invalid schema")
            if len(parts) == 3 and parts[0] == "subjects" and parts[2] == "versions":
                return self._reply(200, registry.register(parts[1], body["schema"]))
            if len(parts) == 2 and parts[0] == "subjects":
                found = registry.lookup(parts[1], body["schema"])
                return self._reply(200, found) if found else self._error(404, 40403, "Schema not found")
            return self._error(404, 404, "Not found")

        def _parts(self) -> list[str]:
            path = urlsplit(self.path).path
            registry.requests.append((self.command, path))
            return [unquote(p) for p in path.strip("/").split("/") if p]

        def _error(self, status: int, code: int, message: str) -> None:
            self._reply(status, {"error_code": code, "message": message})

        def _reply(self, status: int, body) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/vnd.schemaregistry.v1+json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args) -> None:
            pass

    return Handler
