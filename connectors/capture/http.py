"""The upload API (FastAPI): ``POST /v1/documents``, ``GET /v1/documents/{id}``, and key
management for ``admin`` keys (``/v1/admin/apikeys``, audited: ``apikey_admin``).

Authenticated by API keys (``X-API-Key`` or ``Authorization: Bearer``), stored hashed
(``apikeys``). A ``read`` key sees the status of its own source's uploads only (any
other id is the same 404 as an unknown one); with ``admin`` too, of every document.
Every refusal is a 4xx with a JSON body ``{"reason": code, "detail": text}``:
401 no/unknown/revoked key, 403 key lacks the scope (ingest, read or admin), 413 too large, 415 not a supported
type, 422 unreadable (empty, encrypted, corrupt, bomb, bad metadata), 503 when S3 or
Kafka are down (retry). OpenAPI at ``/openapi.json``, docs at ``/docs``.

>>> app = create_app(load_settings(), store=..., producer=..., keys=...)   # doctest: +SKIP
>>> uvicorn.run(app, host="127.0.0.1", port=8080)                          # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from connectors.capture.apikey_admin import register_admin_routes
from connectors.capture.subject_api import SubjectRequests, not_wired, register_subject_routes
from connectors.webhooks_out.routes import register_webhook_routes
from connectors.webhooks_out.subscriptions import Subscriptions, subscriptions_path
from connectors.capture.apikeys import ApiKey, ApiKeyStore
from connectors.capture.apikeys_shared import open_key_store
from connectors.capture.document import CapturedDocument
from connectors.capture.ingest import IngestMetrics, ingest
from connectors.capture.mobile import mount_mobile_capture
from connectors.capture.multipart import read_form
from connectors.capture.status import StatusView
from inkstream.admin_audit import record_admin_action
from inkstream.body_limit import BodyLimit
from inkstream.errors import CaptureError, ConnectorError
from schemas.codec import Codec
from schemas.records import now_ms

if TYPE_CHECKING:
    from inkstream.settings import Settings

__all__ = ["create_app", "HTTP_STATUS"]

# reason code -> HTTP status
HTTP_STATUS = {
    "too_large": 413, "unsupported_type": 415, "type_mismatch": 415,
    "empty": 422, "encrypted": 422, "corrupt": 422, "decompression_bomb": 422,
    "invalid_priority": 422, "invalid_metadata": 422, "missing_file": 422, "invalid_form": 422,
}
_MULTIPART_OVERHEAD = 256 * 1024  # boundaries and small fields around the file
_DELIVERY_TIMEOUT_S = 30.0


class Accepted(BaseModel):
    doc_id: str
    sha256: str
    duplicate: bool
    duplicate_of: str | None
    topic: str
    # Why the original already at this document's address was not trusted and the upload
    # was stored again (``key_unavailable``, ``digest_mismatch``, ``first_erased``); else null.
    stored_again: str | None = None


class Status(BaseModel):
    doc_id: str
    stage: str
    status: str
    detail: str | None
    updated_at: int


class Refusal(BaseModel):
    reason: str
    detail: str


class _Refused(Exception):
    def __init__(self, status: int, reason: str, detail: str, headers: dict | None = None) -> None:
        self.status, self.reason, self.detail, self.headers = status, reason, detail, headers


_api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False)
_bearer = HTTPBearer(auto_error=False)
_UPLOAD_SCHEMA = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary", "description": "PDF, PNG, JPEG, TIFF or XML e-invoice (CII or UBL)"},
        "crm_ref": {"type": "string", "description": "CRM record to link the document to"},
        "priority": {"type": "string", "enum": ["high", "normal", "bulk"], "default": "normal"},
        "metadata": {"type": "string", "description": "JSON object of string keys and values"}}}}}}}


def create_app(settings: Settings, *, store=None, producer=None, keys: ApiKeyStore | None = None,
               status: StatusView | None = None, registry=None, subject_requests=None,
               codec: Codec | None = None) -> FastAPI:
    """Everything external is passed in; what is left out is built from ``settings``
    (the real S3 store, Kafka producer and status consumer) when the app starts. The app
    is its process's edge: it builds the one codec (and with it the key store) the
    uploads, the status view and subject erasures share, unless one is passed in."""
    from contextlib import asynccontextmanager

    from prometheus_client import CollectorRegistry, make_asgi_app

    registry = registry if registry is not None else CollectorRegistry()
    codec = codec or Codec.from_settings(settings)
    deps = {"store": store, "producer": producer, "status": status, "codec": codec,
            "keys": keys or open_key_store(settings),
            "metrics": IngestMetrics.create(registry)}
    tmp_dir = Path(settings.data_dir) / "capture" / "uploads"
    max_bytes = min(settings.capture.max_bytes, settings.http.max_upload_bytes)

    @asynccontextmanager
    async def lifespan(_app):
        owned = _build_missing(settings, deps)
        try:
            yield
        finally:
            deps["keys"].flush()
            for close in owned:
                close()

    app = FastAPI(title="inkstream upload API", version="1", lifespan=lifespan,
                  description="Upload scanned or digital contracts and invoices; follow their status.")
    app.mount("/metrics", make_asgi_app(registry))
    # Counted while reading, chunked or not (inkstream/body_limit.py); read_form also caps the file.
    app.add_middleware(BodyLimit, limit=max_bytes + _MULTIPART_OVERHEAD)

    @app.exception_handler(_Refused)
    async def refused(_request, exc: _Refused):
        return JSONResponse({"reason": exc.reason, "detail": exc.detail}, status_code=exc.status,
                            headers=exc.headers)

    def key_with(scope: str):
        return _key_checker(deps, scope)

    @app.post("/v1/documents", status_code=201, response_model=Accepted, openapi_extra=_UPLOAD_SCHEMA,
              responses={c: {"model": Refusal} for c in (401, 403, 413, 415, 422, 503)})
    async def upload(request: Request, key: ApiKey = Depends(key_with("ingest"))) -> Accepted:
        """Store one document and announce it on ``documents.ingested``."""
        result = await _store_upload(request, key, deps, settings, tmp_dir, max_bytes)
        if deps["status"] is not None:
            deps["status"].observe_owner(result.doc_id, "http", key.source_ref)
            deps["status"].observe({"doc_id": result.doc_id, "stage": "ingested", "detail": None,
                                    "status": "duplicate" if result.duplicate else "stored",
                                    "occurred_at": now_ms()})
        return Accepted(doc_id=result.doc_id, sha256=result.sha256, duplicate=result.duplicate,
                        duplicate_of=result.duplicate_of, topic=result.topic, stored_again=result.stored_again)

    @app.get("/v1/documents/{doc_id}", response_model=Status,
             responses={c: {"model": Refusal} for c in (401, 403, 404)})
    def document_status(doc_id: str, key: ApiKey = Depends(key_with("read"))) -> Status:
        """The document's latest stage through the pipeline (from ``documents.status``).
        Only documents uploaded with a key of the caller's source; an ``admin`` key reads any."""
        view = deps["status"]
        record = view.get(doc_id) if view is not None else None
        # Another source's document answers exactly like an unknown id: no probing.
        if record is None or not (key.allows("admin") or _owned_by(key, view.owner(doc_id))):
            raise _Refused(404, "not_found", f"no document {doc_id} (or not seen yet)")
        return Status(doc_id=doc_id, stage=record["stage"], status=record["status"],
                      detail=record.get("detail"), updated_at=record["occurred_at"])

    register_admin_routes(app, settings=settings, keys=lambda: deps["keys"], admin_key=key_with("admin"),
                          refused=_Refused, codec=codec)
    mount_mobile_capture(app)  # the phone page, same origin as the uploads it makes
    subscriptions = Subscriptions(subscriptions_path(settings))
    subjects = subject_requests or SubjectRequests(Path(settings.data_dir) / "subject-requests",
                                                   not_wired, not_wired)
    register_subject_routes(app, settings=settings, requests=lambda: subjects, admin_key=key_with("admin"),
                            refused=_Refused, record=functools.partial(record_admin_action, codec=codec))
    register_webhook_routes(app, settings=settings, subscriptions=lambda: subscriptions, key_with=key_with,
                            refused=_Refused)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict:
        return {"ok": True}

    return app


def _owned_by(key: ApiKey, owner: tuple[str, str | None] | None) -> bool:
    """Whether ``key`` speaks for the source that uploaded the document. A key speaks for
    its *source* (``apikeys``: ``source_ref`` is ``<source>/<key id>``), so every key of
    that source — a rotated one too — reads its documents; a key of another source does
    not. Documents of an unknown owner, or not captured over HTTP (hot folder, mail,
    FTP, CLI), are left to ``admin`` keys: fail closed."""
    if owner is None or not key.source:
        return False
    source, source_ref = owner
    return source == "http" and source_ref is not None and source_ref.rsplit("/", 1)[0] == key.source


def _key_checker(deps: dict, scope: str):
    """A FastAPI dependency: the caller's live key, allowed ``scope``; else 401/403.
    Async on purpose: a dict lookup and one hash are not worth a threadpool hop."""

    async def check(x_api_key: str | None = Depends(_api_key_header),
                    bearer: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> ApiKey:
        presented = x_api_key or (bearer.credentials if bearer else None)
        if not presented:
            raise _Refused(401, "unauthenticated", "send an API key in X-API-Key",
                           {"WWW-Authenticate": "Bearer"})
        entry = deps["keys"].verify(presented)
        if entry is None:
            raise _Refused(401, "unauthenticated", "unknown or revoked API key",
                           {"WWW-Authenticate": "Bearer"})
        if not entry.allows(scope):
            raise _Refused(403, "forbidden", f"this key may not {scope}")
        return entry

    return check


async def _store_upload(request: Request, key: ApiKey, deps: dict, settings: Settings, tmp_dir: Path, max_bytes: int):
    """Stream the form to a temp file, ingest it, and wait for Kafka's acknowledgement."""
    try:
        form = await read_form(request.headers.get("content-type"), request.stream(),
                               tmp_dir=tmp_dir, file_field="file", max_bytes=max_bytes)
    except CaptureError as exc:
        raise _Refused(HTTP_STATUS.get(exc.reason, 422), exc.reason, str(exc)) from exc
    try:
        doc = _document(form, key)
        result = await run_in_threadpool(ingest, doc, store=deps["store"], producer=deps["producer"],
                                         settings=settings, codec=deps["codec"], metrics=deps["metrics"],
                                         wait=False)
        # Answer only once Kafka acknowledged, without holding a worker thread meanwhile.
        assert result.delivered is not None  # ingest() sets it
        await asyncio.wait_for(asyncio.wrap_future(result.delivered), _DELIVERY_TIMEOUT_S)
        return result
    except CaptureError as exc:
        raise _Refused(HTTP_STATUS.get(exc.reason, 422), exc.reason, str(exc)) from exc
    except (ConnectorError, TimeoutError) as exc:
        raise _Refused(503, "unavailable", f"storage or Kafka unavailable, retry: {exc}",
                       {"Retry-After": "5"}) from exc
    finally:
        if form.file_path is not None:
            form.file_path.unlink(missing_ok=True)


def _document(form, key: ApiKey) -> CapturedDocument:
    if form.filename is None:
        raise CaptureError("the form has no 'file' part", reason="missing_file")
    raw_meta = form.fields.get("metadata")
    try:
        metadata = json.loads(raw_meta) if raw_meta else {}
    except ValueError as exc:
        raise CaptureError(f"metadata is not valid JSON: {exc}", reason="invalid_metadata") from exc
    if not isinstance(metadata, dict):
        raise CaptureError("metadata must be a JSON object", reason="invalid_metadata")
    return CapturedDocument(source="http", filename=form.filename or "upload", path=form.file_path,
                            data=form.file_data if form.file_path is None else None,
                            source_ref=key.source_ref, priority=form.fields.get("priority") or "normal",
                            crm_ref=form.fields.get("crm_ref") or None, metadata=metadata,
                            trace=None)


def _build_missing(settings: Settings, deps: dict) -> list:
    """Build the real clients for what the caller did not pass; return their closers."""
    closers: list[Callable[[], None]] = []
    if deps["store"] is None:
        from connectors.objectstore import open_store

        deps["store"] = open_store(settings)
    if deps["producer"] is None:
        from connectors.capture.sink import KafkaRecordSink

        producer = deps["producer"] = KafkaRecordSink.from_settings(settings, client_id="inkstream-capture-http",
                                                                    linger_ms=1)
        closers.append(producer.close)
    if deps["status"] is None:
        status = deps["status"] = StatusView.from_settings(settings, deps["codec"]).start()
        closers.append(status.stop)
    return closers

