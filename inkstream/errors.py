"""The one error tree of inkstream.

    InkstreamError
    ├── ConfigError                 bad or missing settings; says which and how to fix it
    ├── StackError                  a local stack component cannot be provisioned or started
    ├── SchemaError                 a record does not match its Avro schema / cannot be decoded
    │   └── IncompatibleSchema      a schema change breaks the previous released version
    ├── RecordErased                a record of an erased document (its key was destroyed): not a
    │                               fault, readers skip it; ``doc_id`` says which document
    ├── KeyUnavailable              a wrapped key cannot be unwrapped (unknown KEK, altered wrapping)
    ├── KeyDestroyed                the document's key was destroyed: its data is gone
    ├── AdminAuditError             an admin action could not be audited: it must not proceed
    ├── ReadOnlyViolation           an analyst's statement is not a plain read (400 with the reason)
    ├── CaptureError                a captured file is refused (empty, wrong type, too big, encrypted...)
    ├── OcrError                    a document cannot be rasterised or read
    │   ├── PageLimitExceeded       more pages than ``ocr.max_pages``
    │   └── ImageTooLarge           an image declares more pixels than ``ocr.max_image_pixels``
    ├── ExtractionError
    │   └── EInvoiceError           XML that is not an invoice we can read
    ├── MappingError                a mapping file is invalid or cannot be applied
    └── ConnectorError              something outside inkstream failed
        ├── ObjectStoreError
        │   └── ObjectUnreadable    a stored object does not open with this deployment's keys
        │                           (its KEK is gone, or it was altered): the bytes are there, unusable
        ├── CrmError
        │   ├── CrmAuthError        401 after a token refresh: permanent
        │   ├── CrmPermanentError   400/404/...: permanent, goes to the DLQ with the vendor's body
        │   │   └── NeedsReview     no single CRM record fits: the document goes to review
        │   └── CrmRateLimited      429 or a quota close to its limit: retry after `retry_after`
        ├── EsignError              a provider refused a request (body = vendor's error)
        │   ├── EsignTransient      5xx / transport / not ready: retry
        │   │   └── EsignRateLimited  429: retry after `retry_after`
        │   └── WebhookVerificationError
        └── WebhookError            an outbound webhook subscription or delivery that cannot be done
            └── DeliveryFailed      out of attempts: to ``webhooks.deliveries.dlq``

Foreign errors are converted where they enter inkstream (``raise CrmError(...) from exc``).
Control flow that is not failure lives in ``streams.runtime`` (SkipRecord, Backpressure).
"""

from __future__ import annotations

__all__ = [
    "AdminAuditError",
    "NeedsReview",
    "DeliveryFailed",
    "WebhookError",
    "ImageTooLarge",
    "PageLimitExceeded",
    "ReadOnlyViolation",
    "EInvoiceError",
    "IncompatibleSchema",
    "KeyDestroyed",
    "KeyUnavailable",
    "ObjectUnreadable",
    "InkstreamError", "ConfigError", "StackError", "SchemaError", "RecordErased", "CaptureError", "OcrError",
    "ExtractionError", "MappingError", "ConnectorError", "ObjectStoreError", "CrmError",
    "CrmAuthError", "CrmPermanentError", "CrmRateLimited", "EsignError", "EsignTransient", "EsignRateLimited", "WebhookVerificationError",
]


class InkstreamError(Exception):
    """Root of every error inkstream raises on purpose."""


class ConfigError(InkstreamError):
    pass


class StackError(InkstreamError):
    pass


class SchemaError(InkstreamError):
    pass


class RecordErased(InkstreamError):
    """A record sealed with a document key that was destroyed (crypto-shredding): the
    bytes stay on the topic, their content is gone. Not a fault: readers skip it."""

    def __init__(self, doc_id: str, message: str | None = None) -> None:
        super().__init__(message or f"record of document {doc_id} was erased (its key was destroyed)")
        self.doc_id = doc_id


class CaptureError(InkstreamError):
    """A captured file is refused; ``reason`` is a short machine-readable code."""

    def __init__(self, message: str, *, reason: str = "refused") -> None:
        super().__init__(message)
        self.reason = reason


class OcrError(InkstreamError):
    pass


class ExtractionError(InkstreamError):
    pass


class MappingError(InkstreamError):
    pass


class ConnectorError(InkstreamError):
    pass


class ObjectStoreError(ConnectorError):
    pass


class ObjectUnreadable(ObjectStoreError):
    """A stored (sealed) object does not open with this deployment's keys: its KEK is not in
    the key store (lost, replaced, retired) or the envelope was altered. Not transient: a
    retry reads the same bytes. Capture stores a document again over such an original."""


class CrmError(ConnectorError):
    """``body`` holds the vendor's error body (never credentials)."""

    def __init__(self, message: str, *, status: int | None = None, body: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = body


class CrmAuthError(CrmError):
    pass


class CrmPermanentError(CrmError):
    pass


class CrmRateLimited(CrmError):
    def __init__(self, message: str, *, retry_after: float, status: int | None = 429, body: str | None = None) -> None:
        super().__init__(message, status=status, body=body)
        self.retry_after = retry_after


class EsignError(ConnectorError):
    pass


class EsignTransient(EsignError):
    """5xx, a transport error or a file not ready yet: worth retrying."""


class EsignRateLimited(EsignTransient):
    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class WebhookVerificationError(EsignError):
    """A webhook that fails verification; ``reason`` goes to metrics and the audit trail."""

    def __init__(self, message: str, *, provider: str, reason: str) -> None:
        super().__init__(message)
        self.provider = provider
        self.reason = reason


class KeyUnavailable(InkstreamError):
    """A wrapped key cannot be unwrapped: its KEK is unknown or the wrapping was altered."""


class KeyDestroyed(InkstreamError):
    """The document's key was destroyed (its subject was erased): its data is gone."""


class IncompatibleSchema(SchemaError):
    pass


class EInvoiceError(ExtractionError):
    """The XML is not an invoice we can read (reason in the message); goes to review / DLQ."""


class ReadOnlyViolation(InkstreamError):
    """The statement is not a plain read; refused before it runs (HTTP 400 with this reason)."""


class PageLimitExceeded(OcrError):
    """The document has more pages than ``ocr.max_pages``; goes to the DLQ with this reason."""


class ImageTooLarge(OcrError):
    """An image frame declares more pixels than ``ocr.max_image_pixels``; refused undecoded."""


class WebhookError(ConnectorError):
    """A subscription request or a delivery that cannot be done as asked."""


class DeliveryFailed(WebhookError):
    """A job that ran out of attempts: the runtime routes it to ``webhooks.deliveries.dlq``."""


class NeedsReview(CrmPermanentError):
    """No single record fits (a tie, or a miss where the mapping says ``on_miss: review``).
    Not written anywhere: the sink routes the document to review instead."""

    def __init__(self, message: str, *, candidates: int) -> None:
        super().__init__(message, status=300 if candidates > 1 else 404)
        self.candidates = candidates


class AdminAuditError(InkstreamError):
    """The audit record of an admin action could not be delivered; the action must not proceed."""
