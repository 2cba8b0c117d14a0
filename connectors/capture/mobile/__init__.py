"""Mobile capture: an installable web page (PWA) for phones, served by the upload API at
``/capture/``. It takes photos of a multi-page document, finds each page's edges,
corrects the perspective (which also deskews), stretches the contrast and compresses
on the phone (``page.js``), joins the pages into one PDF (``pdf.js``), keeps it in an
IndexedDB outbox while offline (``outbox.js``; the shell is cached by ``sw.js``) and
uploads it through ``POST /v1/documents`` with the user's own API key, on the same origin
(no CORS to open). Only an ``ingest`` key is needed: give phones a key of their own
source (``inkstream apikey create phones``).
"""

from __future__ import annotations

from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.staticfiles import StaticFiles

__all__ = ["mount_mobile_capture", "PAGE_DIR"]

PAGE_DIR = Path(__file__).parent
# Camera and blobs for the photos, nothing from elsewhere, never framed.
_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob: mediastream:; "
                               "connect-src 'self'; worker-src 'self'; style-src 'self'; script-src 'self'; "
                               "object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
    "Permissions-Policy": "camera=(self), microphone=(), geolocation=()",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",  # the service worker decides what is kept offline
}


_SERVED = {".html", ".js", ".css", ".json", ".png"}  # not this module's own source


class _Page(StaticFiles):
    async def get_response(self, path, scope):
        if Path(path).suffix not in _SERVED and path not in ("", "."):
            raise HTTPException(status_code=404)
        response = await super().get_response(path, scope)
        response.headers.update(_HEADERS)
        if path.endswith(".js"):
            response.headers["Content-Type"] = "text/javascript; charset=utf-8"
        return response


def mount_mobile_capture(app) -> None:
    """Serve the page at ``/capture/`` on ``app`` (the upload API)."""
    app.mount("/capture", _Page(directory=PAGE_DIR, html=True), name="mobile-capture")
