"""Data-subject requests over the upload API (``admin`` keys): ``POST /v1/subjects/export``
and ``POST /v1/subjects/erase`` start a request and answer ``202`` with its status
resource, ``GET /v1/subjects/requests/{id}``; an export's manifest is at
``GET /v1/subjects/requests/{id}/manifest``.

The work is ``streams.privacy`` unchanged (``export_subject``, ``erase_subject``), run on
one background thread (a lookup, S3 deletes and the audit sink's acknowledgement take
seconds). Audited like the CLI: the privacy functions record ``subject.export`` /
``subject.erase`` on ``admin.actions`` before they touch anything, here with the actor
``apikey:<id>``; reading a manifest (personal data) is recorded as
``subject.export.read``. The status resource and its file (``<data_dir>/subject-requests``,
0600) hold counts and ids, never the e-mail address.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable

from fastapi import Depends, FastAPI
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from inkstream.errors import ConfigError

__all__ = ["SubjectRequests", "register_subject_routes", "not_wired"]

# run_export(email, out_dir, audit, actor) -> report dict; run_erase(email, audit, actor) -> report dict
Runner = Callable[..., dict]


class SubjectRequest(BaseModel):
    email: str = Field(..., min_length=3, max_length=320, description="The person's e-mail address.")


class EraseRequest(SubjectRequest):
    confirm: bool = Field(False, description="Must be true: erasure is irreversible.")


class RequestStatus(BaseModel):
    id: str
    kind: str
    state: str = Field(..., description="queued, running, done or failed")
    created_at: float
    finished_at: float | None = None
    result: dict | None = None
    error: str | None = None


def not_wired(*_args: Any, **_kwargs: Any) -> dict:
    """The runner of an app built without ``streams.privacy`` (``create_app`` in tests and
    embedders): the request ends ``failed`` with this reason. ``inkstream run api``
    (``streams.upload_api``) passes the real runners."""
    raise ConfigError("subject requests are not wired into this app; they run in `inkstream run api`")


class SubjectRequests:
    """The requests of this process, mirrored to 0600 files so a restart still answers."""

    def __init__(self, folder: Path, run_export: Runner, run_erase: Runner) -> None:
        self.folder, self.run_export, self.run_erase = folder, run_export, run_erase
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="subject-requests")
        self._lock = threading.Lock()

    def _path(self, req_id: str) -> Path:
        return self.folder / f"{req_id}.json"

    def _write(self, status: RequestStatus) -> None:
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = self._path(status.id).with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(status.model_dump_json())
        os.replace(tmp, self._path(status.id))

    def get(self, req_id: str) -> RequestStatus | None:
        if not req_id.startswith("sr_") or not req_id[3:].isalnum():
            return None
        try:
            return RequestStatus.model_validate_json(self._path(req_id).read_text())
        except FileNotFoundError:
            return None

    def export_dir(self, req_id: str) -> Path:
        return self.folder / "exports" / req_id

    def start(self, kind: str, email: str, audit: Callable[..., Any], actor: str) -> RequestStatus:
        status = RequestStatus(id=f"sr_{secrets.token_hex(10)}", kind=kind, state="queued", created_at=time.time())
        self._write(status)
        self._pool.submit(self._run, status, email, audit, actor)
        return status

    def _run(self, status: RequestStatus, email: str, audit: Callable[..., Any], actor: str) -> None:
        self._write(status.model_copy(update={"state": "running"}))
        try:
            if status.kind == "export":
                result = self.run_export(email, self.export_dir(status.id), audit, actor)
            else:
                result = self.run_erase(email, audit, actor)
            done = status.model_copy(update={"state": "done", "result": result, "finished_at": time.time()})
        except Exception as exc:  # noqa: BLE001 - the request failed: say why on its status resource
            done = status.model_copy(update={"state": "failed", "error": f"{type(exc).__name__}: {exc}"[:500],
                                             "finished_at": time.time()})
        self._write(done)

    def close(self) -> None:
        self._pool.shutdown(wait=True)


def register_subject_routes(app: FastAPI, *, settings: Any, requests: Callable[[], SubjectRequests],
                            admin_key: Callable, refused: Callable[..., Exception],
                            record: Callable[..., None] | None = None) -> None:
    """``record(settings, actor=, action=, target=, detail=)``: ``inkstream.admin_audit.record_admin_action``."""
    if record is None:
        from inkstream.admin_audit import record_admin_action as record
    errors = {c: {"description": "refused; body {reason, detail}"} for c in (401, 403, 404, 409, 422, 503)}

    def auditor(actor: str) -> Callable[..., None]:
        return lambda *, action, target, detail=None: record(settings, actor=actor, action=action, target=target,
                                                              detail=detail)

    @app.post("/v1/subjects/export", status_code=202, response_model=RequestStatus, responses=errors,
              tags=["admin"])
    def export(body: SubjectRequest, caller=Depends(admin_key)) -> RequestStatus:
        """Start an export of everything about a person; poll the status resource."""
        return requests().start("export", body.email, auditor(f"apikey:{caller.id}"), f"apikey:{caller.id}")

    @app.post("/v1/subjects/erase", status_code=202, response_model=RequestStatus, responses=errors,
              tags=["admin"])
    def erase(body: EraseRequest, caller=Depends(admin_key)) -> RequestStatus:
        """Start crypto-shredding every document carrying the address (irreversible)."""
        if not body.confirm:
            raise refused(422, "confirm_required", "erasure is irreversible: send \"confirm\": true")
        return requests().start("erase", body.email, auditor(f"apikey:{caller.id}"), f"apikey:{caller.id}")

    @app.get("/v1/subjects/requests/{req_id}", response_model=RequestStatus, responses=errors, tags=["admin"])
    def status(req_id: str, caller=Depends(admin_key)) -> RequestStatus:
        """A request's state and, when done, its counts (never the e-mail address)."""
        found = requests().get(req_id)
        if found is None:
            raise refused(404, "not_found", f"no subject request {req_id}")
        return found

    @app.get("/v1/subjects/requests/{req_id}/manifest", responses=errors, tags=["admin"])
    def manifest(req_id: str, caller=Depends(admin_key)):
        """The export's manifest.json (personal data; reading it is audited)."""
        found = requests().get(req_id)
        if found is None or found.kind != "export":
            raise refused(404, "not_found", f"no export {req_id}")
        if found.state != "done":
            raise refused(409, "not_ready", f"the export is {found.state}")
        from inkstream.admin_audit import AdminAuditError

        try:
            auditor(f"apikey:{caller.id}")(action="subject.export.read", target=f"subject-request:{req_id}")
        except AdminAuditError as exc:
            raise refused(503, "audit_unavailable", f"not done: {exc}") from exc
        return FileResponse(requests().export_dir(req_id) / "manifest.json", media_type="application/json")
