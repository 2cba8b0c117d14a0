"""Admin-only part of the review page: manage reviewers (``/review/admin/users``).

Only a reviewer with the ``admin`` role gets here; a plain reviewer gets 403. Every
admin action is recorded on ``admin.actions`` (``inkstream.admin_audit``) *before* it is
saved, as ``reviewer:<login>``; if it cannot be recorded the change is not made (503).
The ``inkstream reviewer`` commands (``app.commands.review``) do the same as the OS
user. Targets are reviewer logins (an e-mail login is written as its SHA-256).
"""

from __future__ import annotations

from typing import Callable

from fastapi import Depends, FastAPI, Form, HTTPException
from fastapi.responses import JSONResponse

from inkstream.admin_audit import AdminAuditError
from inkstream.errors import ConfigError
from streams.review.users import Reviewer, Reviewers

__all__ = ["register_admin_routes", "RecordAdmin"]

# (actor, action, target, detail): inkstream.admin_audit.record_admin_action, settings bound.
RecordAdmin = Callable[[str, str, str, dict], None]


def register_admin_routes(app: FastAPI, *, reviewers: Reviewers, record_admin: RecordAdmin,
                          reviewer: Callable[..., Reviewer]) -> None:
    def admin(who: Reviewer = Depends(reviewer)) -> Reviewer:
        if not who.is_admin:
            raise HTTPException(403, "only an admin may manage reviewers")
        return who

    def audited(who: Reviewer, action: str, target: str, detail: dict | None = None) -> Callable[[], None]:
        """The ``before_save`` hook: record first; a failure refuses the change with a 503."""
        def hook() -> None:
            try:
                record_admin(f"reviewer:{who.name}", action, target, detail or {})
            except AdminAuditError as exc:
                raise HTTPException(503, f"not done: {exc}") from exc
        return hook

    def invalid(exc: ConfigError) -> HTTPException:
        return HTTPException(422, str(exc))

    @app.get("/review/admin/users")
    def list_users(who: Reviewer = Depends(admin)) -> JSONResponse:
        audited(who, "reviewer.list", "reviewers")()
        return JSONResponse({"users": reviewers.list_users()})

    @app.post("/review/admin/users", status_code=201)
    def add_user(name: str = Form(...), password: str = Form(...), role: str = Form("reviewer"),
                 who: Reviewer = Depends(admin)) -> JSONResponse:
        try:
            reviewers.add_user(name, password, role=role,
                               before_save=audited(who, "reviewer.add", name, {"role": role}))
        except ConfigError as exc:
            raise invalid(exc) from exc
        return JSONResponse({"name": name, "role": role}, status_code=201)

    @app.post("/review/admin/users/{name}/tokens", status_code=201)
    def add_token(name: str, role: str = Form("reviewer"), who: Reviewer = Depends(admin)) -> JSONResponse:
        try:
            token = reviewers.add_token(name, role=role,
                                        before_save=audited(who, "reviewer.token", name, {"role": role}))
        except ConfigError as exc:
            raise invalid(exc) from exc
        return JSONResponse({"name": name, "role": role, "token": token}, status_code=201,
                            headers={"Cache-Control": "no-store"})

    @app.delete("/review/admin/users/{name}")
    def remove_user(name: str, who: Reviewer = Depends(admin)) -> JSONResponse:
        if not reviewers.remove_user(name, before_save=audited(who, "reviewer.remove", name)):
            raise HTTPException(404, f"no reviewer {name}")
        return JSONResponse({"removed": name})
