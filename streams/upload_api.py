"""The upload API process, ``inkstream run api``: capture's HTTP routes
(``connectors.capture.http``) with the data-subject requests wired in. Those run
``streams.privacy`` (audit reader, export, erasure), a layer above capture, so the process
is put together here; ``create_app`` alone answers subject requests with "not wired".
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["build_app", "app_factory", "serve"]


def build_app(settings):
    """The app with every route live: capture's, and the subject requests' runners."""
    from connectors.capture.http import create_app
    from connectors.capture.subject_api import SubjectRequests
    from schemas.codec import Codec
    from streams.privacy.wiring import privacy_runners

    codec = Codec.from_settings(settings)  # the API process's one codec: uploads, status view, erasures
    subjects = SubjectRequests(Path(settings.data_dir) / "subject-requests", *privacy_runners(settings, codec))
    return create_app(settings, subject_requests=subjects, codec=codec)


def app_factory():
    """App factory for uvicorn's worker processes: each reads the same settings (env and
    inkstream.yaml) and builds its own producer, S3 client and status view."""
    from inkstream.redact import install_log_redaction
    from inkstream.settings import load_settings

    install_log_redaction()  # uvicorn spawns its workers: the CLI's hook is not inherited
    return build_app(load_settings())


def serve(settings, metrics_port: int | None = None) -> int:
    """The upload API; ``capture.api_workers`` processes share the port (0 = one per core).
    /metrics is served by the app itself (per process)."""
    import os

    import uvicorn

    from inkstream.tls import uvicorn_tls_options

    http = settings.http
    workers = settings.capture.api_workers or os.cpu_count() or 1
    ssl = uvicorn_tls_options(http)  # before the app: a bad TLS setting fails fast
    if workers == 1:
        app, extra = build_app(settings), {}
    else:
        app, extra = "streams.upload_api:app_factory", {"factory": True, "workers": workers}
    uvicorn.run(app, host=http.host, port=http.port, log_level="info", timeout_graceful_shutdown=10,
                **ssl, **extra)
    return 0
