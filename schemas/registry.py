"""The codec's schema registry: confluent-kafka's own ``SchemaRegistryClient`` (Confluent's
Schema Registry REST API; the local stack serves it, ``ops/stack/schema_registry.py``).

Two calls are all the codec needs: register a topic's current schema under
``<topic>-value`` (idempotent; the registry refuses an incompatible one with 409) and
fetch a writer schema by id. The client caches both. Its errors become ``SchemaError``
with the registry's own message (HTTP status, Confluent ``error_code``).
"""

from __future__ import annotations

from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError

from inkstream.errors import SchemaError

__all__ = ["SchemaRegistry", "registry_answers"]


class SchemaRegistry:
    def __init__(self, url: str, *, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        # Few retries: a registry that is down is reported at once, the runtime retries the record.
        self._client = SchemaRegistryClient({"url": self.url, "timeout": timeout, "max.retries": 1,
                                             "retries.wait.ms": 200})

    def register(self, subject: str, schema_json: str) -> int:
        """Register ``schema_json`` under ``subject`` (idempotent); returns the global id."""
        return self._call(f"register {subject}", lambda: self._client.register_schema(
            subject, Schema(schema_json, "AVRO")))

    def schema_by_id(self, schema_id: int) -> str:
        """The schema text registered under ``schema_id``."""
        return self._call(f"schema id {schema_id}", lambda: self._client.get_schema(schema_id).schema_str)

    def _call(self, what: str, fn):
        try:
            return fn()
        except SchemaRegistryError as exc:
            raise SchemaError(f"schema registry {self.url}: {what} -> {exc.http_status_code} "
                              f"(error_code {exc.error_code}): {exc.error_message}") from exc
        except Exception as exc:  # requests/httpx connection errors, timeouts
            raise SchemaError(f"schema registry {self.url} unreachable ({what}): {type(exc).__name__}") from exc


def registry_answers(url: str, timeout: float = 0.5) -> bool:
    """Whether a registry answers at ``url`` now (``GET /subjects``)."""
    import httpx

    try:
        return httpx.get(url.rstrip("/") + "/subjects", timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False
