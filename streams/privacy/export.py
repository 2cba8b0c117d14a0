"""``inkstream subject export EMAIL --out DIR``: everything about a person, in one folder.

``DIR/manifest.json`` lists every document found (``streams.privacy.subject``) with its
ingestion rows, extracted fields, signatures and every chained event (decoded payloads),
and ``DIR/files/<doc_id>/`` holds its original and signed files, read through the
configured object store (so decrypted when sealed) and checked against their SHA-256.
The folder is made 0700: it is the subject's personal data. The request is audited as
admin action ``subject.export`` with an opaque request id as its target.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import mimetypes
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from connectors.objectstore import ObjectStore
from inkstream.errors import InkstreamError
from streams.audit.store import Reader
from streams.privacy.gather import DocumentData, gather
from streams.privacy.subject import find_documents, new_request_id, normalize_email

__all__ = ["ExportReport", "export_subject"]


@dataclass
class ExportReport:
    request_id: str
    documents: int = 0
    events: int = 0
    fields: int = 0
    files: int = 0
    files_unavailable: int = 0
    manifest: Path | None = None


def export_subject(email: str, out: Path, *, reader: Reader, objects: ObjectStore | None,
                   audit: Callable[..., Any], actor: str) -> ExportReport:
    """Write the export; ``audit(action=..., target=..., detail=...)`` records the request
    first (a request that cannot be audited does not run)."""
    address = normalize_email(email)
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise InkstreamError(f"{out} is not empty; give a new folder")
    report = ExportReport(new_request_id())
    found = find_documents(reader, address)
    audit(action="subject.export", target=f"subject-request:{report.request_id}",
          detail={"documents": str(len(found.doc_ids)), "actor": actor})
    out.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(out, 0o700)
    documents = []
    for doc_id in found.doc_ids:
        data = gather(reader, doc_id)
        files = _write_files(out, data, objects, report)
        documents.append({"doc_id": doc_id, "matched_by": found.matched_by[doc_id], "ingestion": data.documents,
                          "fields": data.fields, "signatures": data.signatures, "events": data.events,
                          "files": files})
        report.documents += 1
        report.events += len(data.events)
        report.fields += len(data.fields)
    manifest = {"request_id": report.request_id, "subject": {"email": address},
                "generated_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                "matching": "e-mail address, trimmed and case-insensitive, in every recorded event, extracted "
                            "field and e-sign signer; documents with the same original bytes included",
                "documents": documents}
    report.manifest = out / "manifest.json"
    fd = os.open(report.manifest, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(manifest, fh, indent=2, ensure_ascii=False, default=str)
    return report


def _write_files(out: Path, data: DocumentData, objects: ObjectStore | None, report: ExportReport) -> list[dict]:
    written = []
    folder = out / "files" / data.doc_id
    for role, ref in data.files.values():
        entry = {"role": role, "key": ref.key, "version_id": ref.version_id, "sha256": ref.sha256, "path": None}
        if objects is None or not ref.bucket or not ref.sha256:
            written.append({**entry, "unavailable": "not fetched" if objects is None else "no recorded version"})
            continue
        try:
            body = objects.get(ref)
        except InkstreamError as exc:
            report.files_unavailable += 1
            written.append({**entry, "unavailable": type(exc).__name__})
            continue
        if hashlib.sha256(body).hexdigest() != ref.sha256:
            report.files_unavailable += 1
            written.append({**entry, "unavailable": "bytes do not match the recorded sha256"})
            continue
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        ext = mimetypes.guess_extension(ref.content_type or "") or ".bin"
        path = folder / f"{role}-{ref.sha256[:16]}{ext}"
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(body)
            report.files += 1
        written.append({**entry, "path": str(path.relative_to(out))})
    return written
