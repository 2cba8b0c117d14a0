"""The local stack's schema registry: Confluent Schema Registry's REST API (the subset that
confluent-kafka's ``SchemaRegistryClient``, ``AvroSerializer`` and ``AvroDeserializer``
use, and the compatibility API), served by inkstream because no Confluent-compatible
server installs here from the package registries (Apicurio Registry's Maven artifacts do
not resolve from Maven Central; Karapace is not on PyPI: see ``ops/stack/schema_registry.py``).

Follows Confluent's "Schema Registry API Reference"
(docs.confluent.io/platform/current/schema-registry/develop/api.html):

- ``POST /subjects/{subject}/versions`` register (idempotent; 409 ``error_code`` 409 when the
  schema breaks the subject's compatibility level, 422 ``42201`` when it is not valid Avro)
- ``POST /subjects/{subject}`` look a schema up (404 ``40401``/``40403``)
- ``GET /schemas/ids/{id}`` (+ ``/subjects``, ``/versions``), ``GET /subjects``,
  ``GET /subjects/{subject}/versions``, ``GET /subjects/{subject}/versions/{version|latest}``
- ``GET|PUT /config`` and ``/config/{subject}`` (``compatibilityLevel``; default FULL: the
  house rule that schemas stay backward and forward compatible)
- ``POST /compatibility/subjects/{subject}/versions/{version|latest}`` → ``{"is_compatible"}``

Ids are global: the same schema text under two subjects gets one id. State is one JSON
file (``--store``), written atomically after each change; one process owns it.
"""

from __future__ import annotations

import argparse
import json
import os
import threading
from pathlib import Path
from typing import Any

import fastavro
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from schemas.resolution import compatible

__all__ = ["RegistryStore", "build_app", "main", "LEVELS"]

LEVELS = ("NONE", "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE")
CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"
MAX_BODY = 1 << 20  # a schema is kilobytes; a megabyte is already absurd


class RegistryError(Exception):
    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class RegistryStore:
    """Subjects, versions and ids, persisted to one JSON file."""

    def __init__(self, path: Path | None, default_level: str = "FULL") -> None:
        self.path = path
        self._lock = threading.Lock()
        self.state: dict[str, Any] = {"schemas": {}, "subjects": {}, "config": {}, "next_id": 1}
        if path is not None and path.exists():
            self.state = json.loads(path.read_text())
        self.state["config"].setdefault("", default_level)

    def _save(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}")
        tmp.write_text(json.dumps(self.state))
        tmp.replace(self.path)

    # -- reads ----------------------------------------------------------------------------
    def schema(self, schema_id: int) -> str:
        found = self.state["schemas"].get(str(schema_id))
        if found is None:
            raise RegistryError(404, 40403, f"Schema {schema_id} not found")
        return found

    def versions(self, subject: str) -> list[int]:
        ids = self.state["subjects"].get(subject)
        if not ids:
            raise RegistryError(404, 40401, f"Subject '{subject}' not found.")
        return ids

    def version(self, subject: str, version: str) -> dict:
        ids = self.versions(subject)
        if version in ("latest", "-1"):
            number = len(ids)
        else:
            try:
                number = int(version)
            except ValueError:
                raise RegistryError(422, 42202, f"Invalid version {version!r}") from None
            if not 1 <= number <= len(ids):
                raise RegistryError(404, 40402, f"Version {version} not found.")
        schema_id = ids[number - 1]
        return {"subject": subject, "version": number, "id": schema_id, "schema": self.schema(schema_id)}

    def level(self, subject: str | None) -> str:
        return self.state["config"].get(subject or "", self.state["config"][""]) if subject else self.state["config"][""]

    # -- writes ---------------------------------------------------------------------------
    def register(self, subject: str, schema: str) -> dict:
        text = _canonical(schema)
        with self._lock:
            existing = self._id_of(text)
            ids = self.state["subjects"].get(subject, [])
            if existing is not None and existing in ids:
                return {"id": existing, "subject": subject, "version": ids.index(existing) + 1, "schema": text}
            problems = self.problems(subject, text)
            if problems:
                raise RegistryError(409, 409, f"Schema being registered is incompatible with an earlier schema "
                                    f"for subject \"{subject}\" ({self.level(subject)}): " + "; ".join(problems))
            if existing is None:
                existing = self.state["next_id"]
                self.state["next_id"] += 1
                self.state["schemas"][str(existing)] = text
            self.state["subjects"][subject] = [*ids, existing]
            self._save()
            return {"id": existing, "subject": subject, "version": len(ids) + 1, "schema": text}

    def problems(self, subject: str, text: str, against: list[int] | None = None) -> list[str]:
        level = self.level(subject)
        ids = self.state["subjects"].get(subject, []) if against is None else against
        if level == "NONE" or not ids:
            return []
        new = json.loads(text)
        previous = ids if level.endswith("_TRANSITIVE") else ids[-1:]
        return [p for old in previous for p in compatible(new, json.loads(self.schema(old)), level)]

    def set_level(self, subject: str | None, level: str) -> str:
        if level not in LEVELS:
            raise RegistryError(422, 42203, f"Invalid compatibility level {level!r}; one of {', '.join(LEVELS)}")
        with self._lock:
            self.state["config"][subject or ""] = level
            self._save()
        return level

    def _id_of(self, text: str) -> int | None:
        return next((int(i) for i, s in self.state["schemas"].items() if s == text), None)


def _canonical(schema: str) -> str:
    """The schema's JSON, compact; refused with 42201 unless it parses as Avro."""
    try:
        parsed = json.loads(schema)
        fastavro.parse_schema(parsed, _write_hint=False)
    except Exception as exc:  # noqa: BLE001 - JSONDecodeError, SchemaParseException, KeyError, TypeError
        raise RegistryError(422, 42201, f"Invalid schema: {type(exc).__name__}: {exc}") from None
    return json.dumps(parsed, separators=(",", ":"))


def _error(exc: RegistryError) -> JSONResponse:
    return JSONResponse({"error_code": exc.code, "message": exc.message}, status_code=exc.status,
                        media_type=CONTENT_TYPE)


def build_app(store: RegistryStore) -> FastAPI:
    app = FastAPI(title="inkstream schema registry (Confluent API)", docs_url=None, redoc_url=None,
                  openapi_url=None)

    @app.exception_handler(RegistryError)
    async def registry_error(_request: Request, exc: RegistryError) -> JSONResponse:
        return _error(exc)

    async def body(request: Request) -> dict:
        raw = await request.body()
        if len(raw) > MAX_BODY:
            raise RegistryError(413, 41301, "request body too large")
        try:
            data = json.loads(raw or b"{}")
        except ValueError:
            raise RegistryError(400, 40001, "request body is not JSON") from None
        if not isinstance(data, dict):
            raise RegistryError(400, 40001, "request body must be a JSON object")
        return data

    def schema_text(data: dict) -> str:
        if data.get("schemaType", "AVRO") != "AVRO":
            raise RegistryError(422, 42201, f"schemaType {data.get('schemaType')!r}: only AVRO is served here")
        if data.get("references"):
            raise RegistryError(422, 42201, "schema references are not supported here")
        if not isinstance(data.get("schema"), str):
            raise RegistryError(422, 42201, "body needs a 'schema' string")
        return data["schema"]

    def ok(value: Any) -> JSONResponse:
        return JSONResponse(value, media_type=CONTENT_TYPE)

    @app.get("/")
    async def root() -> JSONResponse:
        return ok({})

    @app.get("/subjects")
    async def subjects() -> JSONResponse:
        return ok(sorted(store.state["subjects"]))

    @app.post("/subjects/{subject}/versions")
    async def register(subject: str, request: Request) -> JSONResponse:
        return ok(store.register(subject, schema_text(await body(request))))

    @app.post("/subjects/{subject}")
    async def lookup(subject: str, request: Request) -> JSONResponse:
        text = _canonical(schema_text(await body(request)))
        ids = store.versions(subject)
        schema_id = store._id_of(text)
        if schema_id is None or schema_id not in ids:
            raise RegistryError(404, 40403, "Schema not found")
        return ok({"subject": subject, "version": ids.index(schema_id) + 1, "id": schema_id, "schema": text})

    @app.get("/subjects/{subject}/versions")
    async def versions(subject: str) -> JSONResponse:
        return ok(list(range(1, len(store.versions(subject)) + 1)))

    @app.get("/subjects/{subject}/versions/{version}")
    async def version(subject: str, version: str) -> JSONResponse:
        return ok(store.version(subject, version))

    @app.get("/subjects/{subject}/versions/{version}/schema")
    async def version_schema(subject: str, version: str) -> JSONResponse:
        return ok(json.loads(store.version(subject, version)["schema"]))

    @app.get("/schemas/ids/{schema_id}")
    async def by_id(schema_id: int) -> JSONResponse:
        return ok({"schema": store.schema(schema_id)})

    @app.get("/schemas/ids/{schema_id}/subjects")
    async def id_subjects(schema_id: int) -> JSONResponse:
        store.schema(schema_id)
        return ok(sorted(s for s, ids in store.state["subjects"].items() if schema_id in ids))

    @app.get("/schemas/ids/{schema_id}/versions")
    async def id_versions(schema_id: int) -> JSONResponse:
        store.schema(schema_id)
        return ok([{"subject": s, "version": ids.index(schema_id) + 1}
                   for s, ids in sorted(store.state["subjects"].items()) if schema_id in ids])

    @app.get("/config")
    async def get_config() -> JSONResponse:
        return ok({"compatibilityLevel": store.level(None)})

    @app.put("/config")
    async def put_config(request: Request) -> JSONResponse:
        return ok({"compatibility": store.set_level(None, str((await body(request)).get("compatibility")))})

    @app.get("/config/{subject}")
    async def get_subject_config(subject: str) -> JSONResponse:
        return ok({"compatibilityLevel": store.level(subject)})

    @app.put("/config/{subject}")
    async def put_subject_config(subject: str, request: Request) -> JSONResponse:
        return ok({"compatibility": store.set_level(subject, str((await body(request)).get("compatibility")))})

    @app.post("/compatibility/subjects/{subject}/versions/{version}")
    async def check(subject: str, version: str, request: Request) -> JSONResponse:
        text = _canonical(schema_text(await body(request)))
        if version in ("latest", "-1") and not store.state["subjects"].get(subject):
            return ok({"is_compatible": True})
        against = [store.version(subject, version)["id"]]
        problems = store.problems(subject, text, against=against)
        return ok({"is_compatible": not problems, "messages": problems})

    return app


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8085)
    parser.add_argument("--store", type=Path, required=True, help="the registry's JSON state file")
    parser.add_argument("--compatibility", default="FULL", choices=LEVELS)
    args = parser.parse_args(argv)
    app = build_app(RegistryStore(args.store, args.compatibility))
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
