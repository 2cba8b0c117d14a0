"""A small client for a Confluent-compatible schema registry (REST API v1).

Only the two calls the codec needs, per Confluent's "Schema Registry API Reference"
(https://docs.confluent.io/platform/current/schema-registry/develop/api.html):

- ``POST /subjects/{subject}/versions`` with ``{"schema": "<json>", "schemaType": "AVRO"}``
  → ``{"id": N}`` (registers, or returns the id of an identical existing version);
- ``GET /schemas/ids/{id}`` → ``{"schema": "<json>"}``.

Requests use ``Content-Type: application/vnd.schemaregistry.v1+json``. Ids are cached by
the codec, so each subject/id costs one request per process. The client is passed in
(``httpx.Client(transport=...)`` in tests).
"""

from __future__ import annotations

import httpx

from inkstream.errors import SchemaError

__all__ = ["SchemaRegistry", "CONTENT_TYPE"]

CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"


class SchemaRegistry:
    def __init__(self, url: str, *, client: httpx.Client | None = None, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self._client = client or httpx.Client(timeout=timeout)

    def register(self, subject: str, schema_json: str) -> int:
        """Register ``schema_json`` under ``subject`` (idempotent); returns the global id."""
        body = self._call("POST", f"/subjects/{subject}/versions", json={"schema": schema_json, "schemaType": "AVRO"})
        return int(body["id"])

    def schema_by_id(self, schema_id: int) -> str:
        """The schema text registered under ``schema_id``."""
        return str(self._call("GET", f"/schemas/ids/{schema_id}")["schema"])

    def _call(self, method: str, path: str, **kwargs) -> dict:
        try:
            response = self._client.request(method, self.url + path, headers={
                "Content-Type": CONTENT_TYPE, "Accept": CONTENT_TYPE}, **kwargs)
        except httpx.HTTPError as exc:
            raise SchemaError(f"schema registry {self.url} unreachable: {type(exc).__name__}") from exc
        if response.status_code >= 400:
            raise SchemaError(f"schema registry {method} {path} -> {response.status_code}: {response.text[:300]}")
        try:
            return response.json()
        except ValueError as exc:
            raise SchemaError(f"schema registry {method} {path} returned non-JSON") from exc
