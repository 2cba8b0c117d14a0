"""Capture: every way a document arrives (HTTP upload, SMTP, IMAP, hot folder, FTP, CLI).

Each source only *packages* what it received as a ``CapturedDocument`` and hands it to
the one ``connectors.capture.ingest.ingest`` function, which validates it
(``intake``), stores the original content-addressed in the object store, detects
duplicates and produces one ``documents.ingested`` record. Sources never talk to S3
or Kafka themselves.

This module stays light (no FastAPI, minio or Kafka imports) so the CLI starts fast.
"""

from connectors.capture.document import PRIORITIES, SOURCES, CapturedDocument, EmailOrigin, IngestResult

__all__ = ["CapturedDocument", "EmailOrigin", "IngestResult", "PRIORITIES", "SOURCES"]
