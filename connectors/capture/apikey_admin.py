"""Audited API-key management: the ``inkstream apikey`` commands and the upload API's
``/v1/admin/apikeys`` endpoints (an ``admin``-scoped key) both go through here.

Every change is recorded on ``admin.actions`` (``inkstream.admin_audit``) *before* it is
saved: a new key is audited with its id before it is written, a revocation before it is
written. If the record cannot be delivered the change does not happen
(``AdminAuditError``; the API answers 503). Listing keys over HTTP is audited too (who
looked at the key inventory); the CLI's ``list`` reads a file its user can read anyway.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from fastapi import Depends, FastAPI
from pydantic import BaseModel, Field

from connectors.capture.apikeys import DEFAULT_SCOPES, ApiKey, ApiKeyStore
from inkstream.admin_audit import AdminAuditError, record_admin_action
from inkstream.errors import ConfigError

if TYPE_CHECKING:
    from inkstream.settings import Settings
    from schemas.codec import Codec

__all__ = ["create_key", "revoke_key", "register_admin_routes"]


def create_key(settings: Settings, store: ApiKeyStore, *, actor: str, source: str,
               scopes: tuple[str, ...], codec: Codec | None = None) -> tuple[ApiKey, str]:
    """A new key, audited as ``apikey.create`` before it is saved (with ``codec``, the
    caller's edge's; None: a CLI command's own)."""
    def audit(entry: ApiKey) -> None:
        record_admin_action(settings, actor=actor, action="apikey.create", target=entry.id,
                            detail={"source": entry.source, "scopes": ",".join(entry.scopes)}, codec=codec)

    return store.create(source, scopes=scopes, before_save=audit)


def revoke_key(settings: Settings, store: ApiKeyStore, *, actor: str, key_id: str, codec: Codec | None = None) -> bool:
    """Revoke a live key, audited as ``apikey.revoke`` first. False: no such live key
    (nothing audited: nothing happened)."""
    entry = store.get(key_id)
    if entry is None or entry.revoked_at is not None:
        return False
    record_admin_action(settings, actor=actor, action="apikey.revoke", target=key_id,
                        detail={"source": entry.source, "scopes": ",".join(entry.scopes)}, codec=codec)
    # A concurrent revoke may have won meanwhile: the key is revoked either way.
    store.revoke(key_id)
    return True


class KeyInfo(BaseModel):
    id: str
    source: str
    scopes: list[str]
    created_at: float
    revoked_at: float | None
    last_used_at: float | None

    @classmethod
    def of(cls, k: ApiKey) -> "KeyInfo":
        return cls(id=k.id, source=k.source, scopes=list(k.scopes), created_at=k.created_at,
                   revoked_at=k.revoked_at, last_used_at=k.last_used_at)


class KeyList(BaseModel):
    keys: list[KeyInfo]


class NewKey(BaseModel):
    source: str = Field(..., description="Who the key speaks for, e.g. crm-button.")
    scopes: list[str] = Field(list(DEFAULT_SCOPES), description="Some of ingest, read, admin.")


class CreatedKey(KeyInfo):
    key: str = Field(..., description="The secret, shown this once; only its hash is kept.")


def register_admin_routes(app: FastAPI, *, settings: Settings, keys: Callable[[], ApiKeyStore],
                          admin_key: Callable, refused: Callable[[int, str, str], Exception],
                          codec: Codec | None = None) -> None:
    """Add ``/v1/admin/apikeys`` to the upload API. ``admin_key`` is the dependency that
    yields the caller's key when it has the ``admin`` scope (401/403 otherwise); ``codec``:
    the app's, which its admin-action records are written with."""
    errors: dict[int | str, dict[str, Any]] = {c: {"description": "refused; body {reason, detail}"} for c in (401, 403, 404, 422, 503)}

    def audited(fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except AdminAuditError as exc:
            raise refused(503, "audit_unavailable", f"not done: {exc}") from exc

    # Plain ``def``: the audit waits for Kafka's ack, in the threadpool, not the event loop.
    @app.get("/v1/admin/apikeys", response_model=KeyList, responses=errors, tags=["admin"])
    def list_keys(caller: ApiKey = Depends(admin_key)) -> KeyList:
        """Every key with its source, scopes, state and last use (never a secret or hash)."""
        audited(lambda: record_admin_action(settings, actor=f"apikey:{caller.id}", action="apikey.list",
                                            target="apikeys", codec=codec))
        return KeyList(keys=[KeyInfo.of(k) for k in keys().list()])

    @app.post("/v1/admin/apikeys", status_code=201, response_model=CreatedKey, responses=errors, tags=["admin"])
    def create(body: NewKey, caller: ApiKey = Depends(admin_key)) -> CreatedKey:
        """Create a key; the secret is in this answer only."""
        try:
            entry, secret = audited(lambda: create_key(settings, keys(), actor=f"apikey:{caller.id}",
                                                       source=body.source, scopes=tuple(body.scopes), codec=codec))
        except ConfigError as exc:
            raise refused(422, "invalid_key_request", str(exc)) from exc
        return CreatedKey(**KeyInfo.of(entry).model_dump(), key=secret)

    @app.delete("/v1/admin/apikeys/{key_id}", response_model=KeyInfo, responses=errors, tags=["admin"])
    def revoke(key_id: str, caller: ApiKey = Depends(admin_key)) -> KeyInfo:
        """Revoke a key; it is refused from its next request on."""
        if not audited(lambda: revoke_key(settings, keys(), actor=f"apikey:{caller.id}", key_id=key_id,
                                          codec=codec)):
            raise refused(404, "not_found", f"no live key {key_id}")
        revoked = keys().get(key_id)
        if revoked is None:  # revoked keys are kept: only a concurrent purge removes one
            raise refused(404, "not_found", f"no live key {key_id}")
        return KeyInfo.of(revoked)
