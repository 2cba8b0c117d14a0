"""The one value every capture source builds: ``CapturedDocument``.

>>> doc = CapturedDocument(source="cli", filename="../../etc/scan 1.pdf", data=b"%PDF-1.7")
>>> doc.filename
'scan 1.pdf'
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import TYPE_CHECKING, BinaryIO

from inkstream.errors import CaptureError

if TYPE_CHECKING:
    from connectors.objectstore import ObjectRef

__all__ = ["CapturedDocument", "EmailOrigin", "IngestResult", "PRIORITIES", "SOURCES", "sanitize_filename"]

PRIORITIES = ("high", "normal", "bulk")
SOURCES = ("http", "email", "imap", "folder", "ftp", "cli")
_UNSAFE = re.compile(r"[\x00-\x1f\x7f]")


def sanitize_filename(name: str | None) -> str:
    """Base name only (either path flavour), no control characters, at most 255 chars."""
    base = PureWindowsPath(PurePosixPath(name or "").name).name
    base = _UNSAFE.sub("", base).strip().strip(".") or "unnamed"
    return base[-255:]


@dataclass(frozen=True)
class EmailOrigin:
    """Where an e-mailed document came from (kept in the ``email`` field of the record)."""

    sender: str
    subject: str
    message_id: str

    def to_record(self) -> dict:
        return {"sender": self.sender, "subject": self.subject, "message_id": self.message_id}


@dataclass(frozen=True)
class CapturedDocument:
    """A received file plus what its source knows about it. Exactly one of ``path``
    (a file on disk, streamed: large uploads never sit in memory) or ``data`` (small
    in-memory payloads such as a mail attachment) is set."""

    source: str
    filename: str
    path: Path | None = None
    data: bytes | None = None
    source_ref: str | None = None
    priority: str = "normal"
    crm_ref: str | None = None
    email: EmailOrigin | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)
    trace: str | None = None

    def __post_init__(self) -> None:
        if (self.path is None) == (self.data is None):
            raise ValueError("CapturedDocument needs exactly one of path or data")
        if self.source not in SOURCES:
            raise ValueError(f"unknown capture source {self.source!r}; one of {SOURCES}")
        if self.priority not in PRIORITIES:
            raise CaptureError(f"priority must be one of {', '.join(PRIORITIES)}, not {self.priority!r}",
                               reason="invalid_priority")
        bad = [k for k, v in self.metadata.items() if not isinstance(k, str) or not isinstance(v, str)]
        if bad:
            raise CaptureError("metadata must map strings to strings", reason="invalid_metadata")
        object.__setattr__(self, "filename", sanitize_filename(self.filename))
        object.__setattr__(self, "metadata", dict(self.metadata))

    def open(self) -> BinaryIO:
        """A fresh binary stream positioned at the start of the content."""
        return open(self.path, "rb") if self.path is not None else io.BytesIO(self.data or b"")

    def size(self) -> int:
        return self.path.stat().st_size if self.path is not None else len(self.data or b"")


@dataclass(frozen=True)
class IngestResult:
    """What ``ingest`` did. ``delivered`` resolves once Kafka acknowledged both records."""

    doc_id: str
    sha256: str
    duplicate: bool
    duplicate_of: str | None
    original: ObjectRef
    topic: str
    delivered: Future[None] | None = None
    # Set when the original already at the address did not open or match and this document
    # was stored again over it: the reason code (``ingest.STORED_AGAIN``), else None.
    stored_again: str | None = None
