"""CRM connectors: one Protocol, one module per vendor (registry.py lists them) and a dry run.

Kept free of heavy imports: the CLI imports this package at start.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

__all__ = ["CrmConnector", "Attachment", "ApplyResult", "CustomField", "SetupResult"]

# Which CRMs exist: connectors/crm/registry.py (one line per vendor module).


@dataclass(frozen=True)
class Attachment:
    """The bytes of a command's ``file`` (fetched from the object store by the sink)."""

    data: bytes
    file_name: str
    content_type: str
    sha256: str


@dataclass(frozen=True)
class ApplyResult:
    """``status``: created, updated or unchanged (already applied: the idempotent replay)."""

    status: str
    crm_id: str | None = None
    detail: str = ""


@dataclass(frozen=True)
class CustomField:
    """A field inkstream writes; ``unique`` makes it usable as an upsert key."""

    object: str
    name: str
    label: str
    type: str = "text"          # text, datetime, email, lookup
    unique: bool = False
    reference: str | None = None  # lookup: the object it points at


@dataclass(frozen=True)
class SetupResult:
    object: str
    field: str
    result: str                 # created or exists


@runtime_checkable
class CrmConnector(Protocol):
    """Contract every CRM connector MUST keep.

    - ``apply(command, attachment)`` performs one ``crm.commands`` record (operations
      ``upsert``, ``update_signature_status``, ``attach_file``, ``timeline_event``) through
      the vendor's published REST API, with the ``httpx.Client`` given at construction.
    - It is idempotent: applying the same command twice changes nothing the second time.
      Upserts go by external id; operations that are not idempotent in the vendor API
      (file upload, notes) first look for a record carrying the command's idempotency
      key and return ``ApplyResult("unchanged")`` when one exists.
    - Failures are raised as ``inkstream.errors``: ``CrmRateLimited(retry_after)`` for
      429/quota (the caller pauses), ``CrmAuthError`` for 401 after one token refresh,
      ``CrmPermanentError`` for 400/404/300 and per-record errors (with the vendor's error
      body), plain ``CrmError`` for transient failures left after bounded retries.
    - Secrets never appear in log records, exception messages or error bodies it raises.
    - ``ensure_custom_fields(fields)`` creates the fields inkstream writes through the
      vendor's metadata API; fields that exist are reported as ``exists`` (safe to rerun).
    """

    name: str

    def apply(self, command: dict, attachment: Attachment | None = None) -> ApplyResult: ...

    def ensure_custom_fields(self, fields: list[CustomField]) -> list[SetupResult]: ...
