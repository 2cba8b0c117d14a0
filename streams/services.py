"""Long-running services that are not Kafka processors but start the same way,
``inkstream run <name> [--port P]``: capture listeners, the webhook gateway, the review
page. ``name -> "module:function"``; imported only when asked.
"""

from __future__ import annotations

import importlib

from connectors.capture.listeners import LISTENERS

__all__ = ["CAPTURE", "SERVICES", "run_service"]

# Capture's listeners; the upload API is put together one layer up (streams.upload_api).
CAPTURE: dict[str, str] = {"api": "streams.upload_api:serve", **LISTENERS}  # api, smtp, imap, folder, ftp

SERVICES: dict[str, str] = {
    **CAPTURE,
    "webhooks": "connectors.esign.gateway:serve",
    "review": "streams.review.service:serve",
}


def run_service(name: str, settings, *, port: int | None = None, metrics_port: int | None = None) -> int:
    """Run service ``name`` until SIGTERM; returns its exit code."""
    module_name, _, attr = SERVICES[name].partition(":")
    serve = getattr(importlib.import_module(module_name), attr)
    if name in CAPTURE:  # their ports are capture settings; /metrics on its own port
        return serve(settings, metrics_port=metrics_port) or 0
    if name == "webhooks":
        serve(settings, port=port or settings.esign.webhooks_port)
        return 0
    if name == "review":
        # The review server renders and re-reads untrusted pages: the OCR workers' memory
        # ceiling, for the whole process. Set here, at the process's edge, not in serve(),
        # which tests and embedders call inside processes of their own.
        from streams.ocr.limits import apply_memory_limit

        apply_memory_limit(settings.ocr.memory_limit_mb)
    serve(settings, port=port)
    return 0
