"""Build the review server from settings: Kafka follower and publisher, the object
store, the OCR engine for page re-reads. ``inkstream run review`` calls :func:`serve`."""

from __future__ import annotations


from inkstream.settings import Settings

__all__ = ["build", "serve"]


def _reread(settings: Settings):
    """Re-run OCR on one page with the configured engine, ignoring any text layer (the
    reviewer asks because the first reading is in doubt). Models load on first use."""
    reader = None

    def reread(data: bytes, content_type: str, page: int) -> list[dict]:
        nonlocal reader
        from streams.ocr.raster import PixelBudget, iter_pages  # heavy: onnxruntime, OpenCV
        from streams.ocr.reader import DocumentReader

        reader = reader or DocumentReader.from_settings(settings.ocr)
        for raster in iter_pages(data, dpi=settings.ocr.dpi, max_pages=settings.ocr.max_pages,
                                 use_text_layer=False, budget=PixelBudget.from_settings(settings.ocr)):
            if raster.number == page:
                lines = reader.read_page(raster)["lines"]
                return [{"text": ln["text"], "confidence": ln["confidence"], "box": ln["box"]} for ln in lines]
        raise IndexError(page)

    return reread


def build(settings: Settings):
    """Return (app, follower) wired to the real stack."""
    from connectors.objectstore import open_store
    from schemas.codec import Codec
    from inkstream.admin_audit import AdminAudit
    from streams.review.app import ReviewDeps, admin_recorder, create_app
    from streams.review.follower import KafkaPublisher, QueueFollower
    from streams.review.queue import ReviewQueue
    from streams.review.shared import open_reviewers, open_session_store

    from prometheus_client import CollectorRegistry, Counter

    codec = Codec.from_settings(settings)
    queue = ReviewQueue()
    follower = QueueFollower(settings, queue, codec)
    publisher = KafkaPublisher(settings, codec)
    registry = CollectorRegistry()
    actions = Counter("inkstream_review_actions_total", "Reviewer actions by kind (login, login_failed, "
                      "approved, rejected, reread_page).", ["action"], registry=registry)

    def record_action(who, action: str, doc_id: str, detail: dict) -> None:
        actions.labels(action).inc()
        publisher.record_action(who, action, doc_id, detail)

    # One host: the reviewers file and in-memory sessions; N hosts: both on Kafka (shared.py).
    deps = ReviewDeps(queue=queue, reviewers=open_reviewers(settings), session_store=open_session_store(settings),
                      store=open_store(settings), publish=publisher.publish,
                      record_action=record_action, reread_page=_reread(settings), registry=registry,
                      record_admin=admin_recorder(AdminAudit(settings, codec)))
    return create_app(settings, deps), follower


def serve(settings: Settings, *, port: int | None = None) -> None:
    import uvicorn

    from inkstream.tls import uvicorn_tls_options

    tls = uvicorn_tls_options(settings.http)  # before the follower starts: fail fast
    app, follower = build(settings)
    follower.start()
    try:
        uvicorn.run(app, host=settings.review.host, port=port or settings.review.port, log_level="info", **tls)
    finally:
        follower.stop()
