"""The review web page: a FastAPI app factory, everything it needs passed in.

Reviewers log in with a password (a server-side session, streams/review/sessions.py: the
cookie is a random id, HttpOnly and SameSite=Strict; logout and a password change end it)
or present a bearer token set by an authenticating reverse proxy. Against cross-site
requests: every form carries a CSRF token (the login form too, bound to a pre-login
cookie), every state-changing request passes an Origin check, and the answers carry a CSP
with frame-ancestors 'none' (streams/review/guard.py). Every action is handed to ``record_action`` for the
audit trail; every decision is handed to ``publish`` as a new fields.validated record.
Reviewer management (``/review/admin/...``, ``streams.review.admin``) is for the ``admin``
role only (403 otherwise) and each admin action goes to ``admin.actions`` first.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from fastapi import Depends, FastAPI, Form, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
import hashlib
import hmac

from connectors.objectstore import ObjectRef, ObjectStore
from inkstream.admin_audit import AdminAudit
from inkstream.body_limit import BodyLimit
from inkstream.errors import ExtractionError, OcrError, RecordErased
from inkstream.settings import Settings
from streams.review.admin import register_admin_routes
from streams.review.decision import decide
from streams.review.pages import PixelBudget, render_page
from inkstream.secure_files import read_or_create_private
from streams.review.guard import UNSAFE_METHODS, ReviewGuard
from streams.review.queue import ReviewQueue
from streams.review.sessions import MemorySessionStore, Sessions, SessionStore
from streams.review.users import Reviewer, Reviewers

__all__ = ["create_app", "ReviewDeps"]

_COOKIE = "inkstream_review"
_LOGIN_COOKIE = "inkstream_login"   # pre-login nonce: binds the login form's CSRF token
_LOGIN_MAX_AGE_S = 3600
_TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


@dataclass(frozen=True)
class ReviewDeps:
    queue: ReviewQueue
    reviewers: Reviewers
    store: ObjectStore
    publish: Callable[[dict], None]                 # fields.validated decision records
    record_action: Callable[[Reviewer, str, str, dict], None]  # (who, action, doc_id, detail)
    reread_page: Callable[[bytes, str, int], list[dict]] | None = None  # re-run OCR on a page
    registry: object | None = None                  # prometheus CollectorRegistry for /metrics
    # (actor, action, target, detail) for admin actions; default: admin.actions on Kafka.
    record_admin: Callable[[str, str, str, dict], None] | None = None
    # Where sessions live (one process: memory; several hosts: a shared store).
    session_store: SessionStore = field(default_factory=MemorySessionStore)


def _session_key(settings: Settings) -> str:
    path = Path(settings.data_dir) / "review" / "session.key"
    # 0600 from the first byte (never a world-readable moment before a chmod).
    return read_or_create_private(path, lambda: secrets.token_urlsafe(48).encode()).decode().strip()


def admin_recorder(audit: AdminAudit) -> Callable[[str, str, str, dict], None]:
    """``ReviewDeps.record_admin`` publishing through the app's one :class:`AdminAudit`."""
    def record(actor: str, action: str, target: str, detail: dict) -> None:
        audit.record(actor=actor, action=action, target=target, detail=detail)
    return record


def _admin_audit(settings: Settings) -> Callable[[str, str, str, dict], None]:
    """An app built without ``record_admin`` (tests) publishes with a codec of its own."""
    from schemas.codec import Codec

    return admin_recorder(AdminAudit(settings, Codec.from_settings(settings)))


def create_app(settings: Settings, deps: ReviewDeps) -> FastAPI:
    app = FastAPI(title="inkstream review", docs_url=None, redoc_url=None)
    # Counted while reading, chunked or not (inkstream/body_limit.py).
    app.add_middleware(ReviewGuard)  # Origin check, CSP and the other headers
    app.add_middleware(BodyLimit, limit=settings.review.max_body_bytes)
    login_key = _session_key(settings).encode()
    max_age = settings.review.session_max_age_s
    sessions = Sessions(deps.session_store, max_age_s=max_age, credential_of=deps.reviewers.credential_of)
    secure = settings.http.tls_cert is not None

    def login_token(nonce: str) -> str:
        return hmac.new(login_key, nonce.encode(), hashlib.sha256).hexdigest()

    async def presented_csrf(request: Request) -> str:
        header = request.headers.get("x-csrf-token")
        if header:
            return header
        if request.headers.get("content-type", "").startswith(("application/x-www-form-urlencoded",
                                                                "multipart/form-data")):
            return str((await request.form()).get("csrf_token") or "")
        return ""

    async def reviewer(request: Request) -> Reviewer:
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("bearer "):  # not ambient: a browser never adds it by itself
            who = deps.reviewers.check_token(auth[7:].strip())
        else:
            # In the threadpool: a shared session store may wait briefly for Kafka (shared.py).
            session = await run_in_threadpool(sessions.get, request.cookies.get(_COOKIE))
            role = deps.reviewers.role_of(session.name) if session else None
            who = Reviewer(session.name, role) if role else None
            if who is not None:
                request.state.csrf_token = session.csrf
                if request.method in UNSAFE_METHODS and \
                        not hmac.compare_digest(await presented_csrf(request), session.csrf):
                    raise HTTPException(403, "missing or wrong CSRF token")
        if who is None:
            if "text/html" in request.headers.get("accept", ""):
                raise HTTPException(303, headers={"Location": "/review/login"})
            raise HTTPException(401, "log in or present a reviewer bearer token")
        return who

    def record_or_404(doc_id: str) -> dict:
        record = deps.queue.get(doc_id)
        if record is None:
            raise HTTPException(404, f"no document {doc_id} in review")
        return record

    register_admin_routes(app, reviewers=deps.reviewers, record_admin=deps.record_admin or _admin_audit(settings),
                          reviewer=reviewer)

    if deps.registry is not None:
        from prometheus_client import make_asgi_app

        app.mount("/metrics", make_asgi_app(registry=deps.registry))

    @app.get("/healthz")
    def healthz() -> dict:
        return {"status": "ok", "pending": len(deps.queue.pending())}

    def login_page(request: Request, error: str | None, status_code: int = 200):
        # Login CSRF: the form's token is bound to a fresh pre-login cookie, so another site
        # cannot log a victim's browser into the attacker's account.
        nonce = secrets.token_urlsafe(24)
        response = _TEMPLATES.TemplateResponse(request, "login.html",
                                               {"error": error, "csrf_token": login_token(nonce)},
                                               status_code=status_code)
        response.set_cookie(_LOGIN_COOKIE, nonce, max_age=_LOGIN_MAX_AGE_S, httponly=True, samesite="strict",
                            secure=secure, path="/review/login")
        return response

    @app.get("/review/login", response_class=HTMLResponse)
    def login_form(request: Request, error: str | None = None):
        return login_page(request, error)

    @app.post("/review/login")
    def login(request: Request, username: str = Form(...), password: str = Form(...),
              csrf_token: str = Form("")):
        nonce = request.cookies.get(_LOGIN_COOKIE) or ""
        if not nonce or not hmac.compare_digest(csrf_token, login_token(nonce)):
            return login_page(request, "The log-in form expired: please try again.", 403)
        who = deps.reviewers.check_password(username, password)
        if who is None:
            # Audited without the typed name: people type passwords into the user field.
            deps.record_action(Reviewer("-", "none"), "login_failed", "", {})
            return login_page(request, "Wrong user name or password.", 401)
        deps.record_action(who, "login", "", {})
        session_id, _session = sessions.open(who.name)  # a new id at each login: no fixation
        response = RedirectResponse("/review", status_code=303)
        response.set_cookie(_COOKIE, session_id, max_age=max_age, httponly=True, samesite="strict", secure=secure)
        response.delete_cookie(_LOGIN_COOKIE, path="/review/login")
        return response

    @app.post("/review/logout")
    def logout(request: Request, who: Reviewer = Depends(reviewer)):
        sessions.end(request.cookies.get(_COOKIE))  # over on the server, not only in this browser
        deps.record_action(who, "logout", "", {})
        response = RedirectResponse("/review/login", status_code=303)
        response.delete_cookie(_COOKIE)
        return response

    @app.get("/review", response_class=HTMLResponse)
    def pending(request: Request, who: Reviewer = Depends(reviewer)):
        return _TEMPLATES.TemplateResponse(request, "list.html", {"who": who, "docs": deps.queue.pending()})

    @app.get("/review/docs/{doc_id}", response_class=HTMLResponse)
    def document(request: Request, doc_id: str, who: Reviewer = Depends(reviewer)):
        record = record_or_404(doc_id)
        pages = sorted({f["page"] for f in record["fields"] if f["page"]} | {1})
        return _TEMPLATES.TemplateResponse(request, "doc.html", {"who": who, "doc": record, "pages": pages,
                                                                 "can_reread": deps.reread_page is not None})

    @app.get("/review/docs/{doc_id}/pages/{page}.png")
    def page_image(doc_id: str, page: int, who: Reviewer = Depends(reviewer)):
        ref = ObjectRef.from_record(record_or_404(doc_id)["original"])
        try:
            png = render_page(deps.store.get(ref), ref.content_type, page, settings.ocr.dpi,
                              PixelBudget.from_settings(settings.ocr))
        except IndexError:
            raise HTTPException(404, f"page {page} does not exist") from None
        except OcrError as exc:  # over the pixel budget or undecodable: say why, never a 500
            raise HTTPException(422, str(exc)) from exc
        return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=300"})

    @app.post("/review/docs/{doc_id}/pages/{page}/ocr")
    def reread(doc_id: str, page: int, who: Reviewer = Depends(reviewer)):
        if deps.reread_page is None:
            raise HTTPException(501, "no OCR engine configured for this review server")
        ref = ObjectRef.from_record(record_or_404(doc_id)["original"])
        try:
            lines = deps.reread_page(deps.store.get(ref), ref.content_type, page)
        except IndexError:
            raise HTTPException(404, f"page {page} does not exist") from None
        except OcrError as exc:
            raise HTTPException(422, str(exc)) from exc
        deps.record_action(who, "reread_page", doc_id, {"page": str(page)})
        return JSONResponse({"page": page, "lines": lines})

    @app.post("/review/docs/{doc_id}/decision")
    async def decision(request: Request, doc_id: str, who: Reviewer = Depends(reviewer)):
        record = record_or_404(doc_id)
        if record["status"] != "review":
            raise HTTPException(409, f"document {doc_id} is already {record['status']}")
        form = await request.form()
        corrections = {k[6:]: str(v) for k, v in form.items() if k.startswith("field.")}
        try:
            out = decide(record, reviewer=who.name, decision=str(form.get("decision", "")),
                         corrections=corrections, comment=str(form.get("comment", "")) or None)
        except ExtractionError as exc:
            raise HTTPException(422, str(exc)) from exc
        try:
            deps.publish(out)
        except RecordErased:  # erased since the queue read it: nothing more is written about it
            deps.queue.forget(doc_id)
            raise HTTPException(410, f"document {doc_id} was erased") from None
        deps.queue.apply(out)  # leave the queue now; the follower reads the same record back
        deps.record_action(who, out["status"], doc_id,
                           {"changed": ",".join(c["field"] for c in out["review"]["changes"])})
        return RedirectResponse(f"/review?done={doc_id}", status_code=303)

    return app
