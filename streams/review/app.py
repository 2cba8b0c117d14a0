"""The review web page: a FastAPI app factory, everything it needs passed in.

Reviewers log in with a password (session cookie signed with a per-install key,
SameSite=Strict so another site cannot post decisions) or present a bearer token set by
an authenticating reverse proxy. Every action is handed to ``record_action`` for the
audit trail; every decision is handed to ``publish`` as a new fields.validated record.
Reviewer management (``/review/admin/...``, ``streams.review.admin``) is for the ``admin``
role only (403 otherwise) and each admin action goes to ``admin.actions`` first.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from fastapi import Depends, FastAPI, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from itsdangerous import BadSignature, URLSafeTimedSerializer

from connectors.objectstore import ObjectRef, ObjectStore
from inkstream.admin_audit import record_admin_action
from inkstream.errors import ExtractionError, OcrError, RecordErased
from inkstream.settings import Settings
from streams.review.admin import register_admin_routes
from streams.review.decision import decide
from streams.review.pages import PixelBudget, render_page
from streams.review.queue import ReviewQueue
from streams.review.users import Reviewer, Reviewers

__all__ = ["create_app", "ReviewDeps"]

_COOKIE = "inkstream_review"
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


def _session_key(settings: Settings) -> str:
    path = Path(settings.data_dir) / "review" / "session.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def _admin_audit(settings: Settings) -> Callable[[str, str, str, dict], None]:
    def record(actor: str, action: str, target: str, detail: dict) -> None:
        record_admin_action(settings, actor=actor, action=action, target=target, detail=detail)
    return record


def create_app(settings: Settings, deps: ReviewDeps) -> FastAPI:
    app = FastAPI(title="inkstream review", docs_url=None, redoc_url=None)
    signer = URLSafeTimedSerializer(_session_key(settings), salt="review-session")
    max_age = settings.review.session_max_age_s

    def current(request: Request) -> Reviewer | None:
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            return deps.reviewers.check_token(auth[7:].strip())
        cookie = request.cookies.get(_COOKIE)
        if not cookie:
            return None
        try:
            name = signer.loads(cookie, max_age=max_age)
        except BadSignature:
            return None
        role = deps.reviewers.role_of(name)  # a removed user loses access at once
        return Reviewer(name, role) if role else None

    def reviewer(request: Request) -> Reviewer:
        who = current(request)
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

    @app.get("/review/login", response_class=HTMLResponse)
    def login_form(request: Request, error: str | None = None):
        return _TEMPLATES.TemplateResponse(request, "login.html", {"error": error})

    @app.post("/review/login")
    def login(request: Request, username: str = Form(...), password: str = Form(...)):
        who = deps.reviewers.check_password(username, password)
        if who is None:
            # Audited without the typed name: people type passwords into the user field.
            deps.record_action(Reviewer("-", "none"), "login_failed", "", {})
            return _TEMPLATES.TemplateResponse(request, "login.html", {"error": "Wrong user name or password."},
                                               status_code=401)
        deps.record_action(who, "login", "", {})
        response = RedirectResponse("/review", status_code=303)
        response.set_cookie(_COOKIE, signer.dumps(who.name), max_age=max_age, httponly=True,
                            samesite="strict", secure=settings.http.tls_cert is not None)
        return response

    @app.post("/review/logout")
    def logout():
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
            raise HTTPException(404, f"page {page} does not exist")
        except OcrError as exc:  # over the pixel budget or undecodable: say why, never a 500
            raise HTTPException(422, str(exc))
        return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=300"})

    @app.post("/review/docs/{doc_id}/pages/{page}/ocr")
    def reread(doc_id: str, page: int, who: Reviewer = Depends(reviewer)):
        if deps.reread_page is None:
            raise HTTPException(501, "no OCR engine configured for this review server")
        ref = ObjectRef.from_record(record_or_404(doc_id)["original"])
        try:
            lines = deps.reread_page(deps.store.get(ref), ref.content_type, page)
        except IndexError:
            raise HTTPException(404, f"page {page} does not exist")
        except OcrError as exc:
            raise HTTPException(422, str(exc))
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
            raise HTTPException(422, str(exc))
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
