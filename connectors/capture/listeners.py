"""Long-running capture listeners, each ``serve(settings) -> exit code``, run until
SIGTERM/SIGINT: ``api`` (upload API), ``smtp``, ``imap``, ``folder``, ``ftp``.

``LISTENERS`` maps the name to ``"module:function"`` so ``inkstream run <name>`` can
start them beside the stream processors without importing their dependencies early.
"""

from __future__ import annotations

import functools
import logging
import signal
import threading

__all__ = ["LISTENERS", "Capture", "serve_folder", "serve_ftp", "serve_imap", "serve_metrics",
           "serve_smtp"]

log = logging.getLogger(__name__)

LISTENERS = {
    "smtp": "connectors.capture.listeners:serve_smtp",
    "imap": "connectors.capture.listeners:serve_imap",
    "folder": "connectors.capture.listeners:serve_folder",
    "ftp": "connectors.capture.listeners:serve_ftp",
}


class Capture:
    """The real store, producer and metrics of one listener process, and its
    ``ingest_one(doc)``; ``close()`` flushes the producer."""

    def __init__(self, settings, *, client_id: str, metrics_port: int | None = None) -> None:
        from prometheus_client import CollectorRegistry

        from connectors.capture.ingest import IngestMetrics, ingest
        from connectors.capture.sink import KafkaRecordSink
        from connectors.objectstore import open_store
        from schemas.codec import Codec

        self.registry = CollectorRegistry()
        self.metrics = IngestMetrics.create(self.registry)
        # First: a bad or required-but-missing certificate fails before Kafka and S3 are touched.
        self.metrics_server = None if metrics_port is None else serve_metrics(settings, self.registry, metrics_port)
        self.store = open_store(settings)
        self.producer = KafkaRecordSink.from_settings(settings, client_id=client_id)
        self.codec = Codec.from_settings(settings)  # the listener process's one codec and key store
        self.ingest_one = functools.partial(ingest, store=self.store, producer=self.producer,
                                            settings=settings, codec=self.codec, metrics=self.metrics)

    def close(self) -> None:
        self.producer.close()
        if self.metrics_server is not None:
            self.metrics_server.shutdown()
            self.metrics_server.server_close()


def serve_metrics(settings, registry, port: int):
    """``/metrics`` of ``registry`` on ``instance.bind`` (127.0.0.1 by default):``port`` in a daemon thread; HTTPS with
    ``http.tls_cert`` (TLS 1.2 floor), and ``http.require_tls`` without one refuses to start,
    like every other HTTP endpoint (inkstream/tls.py). Returns the server (``.scheme``,
    ``server_address``)."""
    from prometheus_client import MetricsHandler

    from inkstream.tls import HTTPSServer, http_server_context

    server = HTTPSServer((settings.instance.bind, port), MetricsHandler.factory(registry),
                         http_server_context(settings.http))
    threading.Thread(target=server.serve_forever, name="capture-metrics", daemon=True).start()
    return server


def _stop_event() -> threading.Event:
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    return stop


def serve_smtp(settings, metrics_port: int | None = None) -> int:
    from connectors.capture.smtp import CaptureHandler, start_smtp
    from inkstream.tls import capture_tls

    cap = settings.capture
    tls = capture_tls(settings)  # before Kafka/S3: a bad TLS setting fails fast
    capture = Capture(settings, client_id="inkstream-capture-smtp", metrics_port=metrics_port)
    controller = start_smtp(CaptureHandler(capture.ingest_one, inline_min_bytes=cap.inline_min_bytes),
                            host=cap.smtp_host, port=cap.smtp_port, max_bytes=cap.smtp_max_bytes, tls=tls)
    log.info("SMTP capture listening on %s:%s (%s)", cap.smtp_host, cap.smtp_port,
             "plaintext" if tls is None else "STARTTLS required" if tls.required else "STARTTLS offered")
    _stop_event().wait()
    controller.stop()
    capture.close()
    return 0


def serve_folder(settings, metrics_port: int | None = None) -> int:
    from pathlib import Path

    from connectors.capture.folder import HotFolder

    cap = settings.capture
    root = cap.folder or Path(settings.data_dir) / "hotfolder"
    capture = Capture(settings, client_id="inkstream-capture-folder", metrics_port=metrics_port)
    folder = HotFolder(root, capture.ingest_one, stable_s=cap.folder_stable_s)
    log.info("hot folder: watching %s", root)
    folder.run(_stop_event(), interval_s=cap.folder_interval_s)
    capture.close()
    return 0


def serve_imap(settings, metrics_port: int | None = None) -> int:
    from pathlib import Path

    from connectors.capture.imap import ImapPoller, imap_connector
    from inkstream.errors import ConfigError

    cap = settings.capture
    if not (cap.imap_host and cap.imap_user):
        raise ConfigError("set capture.imap_host and capture.imap_user (and imap_password) to poll a mailbox")
    capture = Capture(settings, client_id="inkstream-capture-imap", metrics_port=metrics_port)
    poller = ImapPoller(imap_connector(cap), capture.ingest_one, mailbox=cap.imap_mailbox,
                        state_path=Path(settings.data_dir) / "capture" / f"imap-{cap.imap_user}.json",
                        inline_min_bytes=cap.inline_min_bytes, source_ref=f"{cap.imap_user}/{cap.imap_mailbox}")
    poller.run(_stop_event(), interval_s=cap.imap_interval_s)
    capture.close()
    return 0


def serve_ftp(settings, metrics_port: int | None = None) -> int:
    from connectors.capture.ftp import serve_ftp as run_ftp
    from inkstream.tls import capture_tls

    capture_tls(settings)  # before Kafka/S3: a bad TLS setting fails fast
    capture = Capture(settings, client_id="inkstream-capture-ftp", metrics_port=metrics_port)
    try:
        return run_ftp(settings, capture.ingest_one)
    finally:
        capture.close()
