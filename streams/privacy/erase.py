"""``inkstream subject erase EMAIL``: make a person's data unreadable everywhere.

For the documents that carry the address (``streams.privacy.subject``), in this order:

0. the request is audited first (admin action ``subject.erase``, target an opaque
   request id): a request that cannot be audited does not run;
1. **Kafka** (crypto-shredding): ``DocumentKeys.destroy(doc_id)``. Records of
   personal-data topics are sealed with the document's key (``schemas/codec.py``), so
   every copy of them, on every topic and replica, becomes ciphertext nobody can open,
   without rewriting a log. Running processes stop reading them within
   ``crypto.key_cache_seconds`` (their key cache);
2. **S3**: every version (and delete marker) of the document's originals and signed
   files is deleted. Originals are content-addressed: documents with the same bytes were
   found too and are erased with it;
3. **ClickHouse**: one ``privacy.erasures`` record per document (key doc_id). The audit
   sink chains it into the document's chain (the erasure is audited) and blanks the
   personal columns and earlier payloads (``streams/audit/erasure.py``);
4. the command waits until the sink reports every record applied (table ``erasures``,
   polled through the query endpoint) and returns counts, never personal data.

Idempotent: every step can run again; a second request finds nothing left to erase.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

from connectors.objectstore import ObjectRef
from inkstream.errors import ConnectorError, InkstreamError
from streams.audit.store import Reader
from streams.privacy.gather import gather
from streams.privacy.subject import find_documents, new_request_id, normalize_email
from schemas.records import envelope

__all__ = ["EraseReport", "erase_subject", "delete_all_versions", "sink_wait_s", "TOPIC"]

TOPIC = "privacy.erasures"


@dataclass
class EraseReport:
    request_id: str
    documents: int = 0
    keys_destroyed: int = 0
    object_versions_deleted: int = 0
    records_sent: int = 0
    applied: int = 0
    payloads_blanked: int = 0
    pending: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.pending

    def to_dict(self) -> dict:
        return {"request_id": self.request_id, "documents": self.documents, "keys_destroyed": self.keys_destroyed,
                "object_versions_deleted": self.object_versions_deleted, "records_sent": self.records_sent,
                "applied_by_audit_sink": self.applied, "audit_payloads_blanked": self.payloads_blanked,
                "pending": self.pending, "complete": self.complete}


def sink_wait_s(settings: Any, reader: Reader, wait_s: float) -> float:
    """How long an erasure waits for the audit sink to apply its records: ``wait_s`` when a
    running sink (its query endpoint) or a ClickHouse server will; 0 when the reader is this
    process's own chDB, which no sink writes now (the records wait on the topic for it).
    One rule for ``inkstream subject erase`` and ``POST /v1/subjects/erase``."""
    from streams.audit.query import QueryClient

    return wait_s if isinstance(reader, QueryClient) or settings.clickhouse.url else 0.0


def erase_subject(email: str, *, reader: Reader, keys, s3, send: Callable[[str, dict], None],
                  flush: Callable[[], None], audit: Callable[..., Any], actor: str,
                  wait_s: float = 120.0, poll_s: float = 1.0) -> EraseReport:
    """``keys``: ``inkstream.crypto.DocumentKeys``; ``s3``: the raw ``S3ObjectStore`` (no
    sealing needed to delete); ``send(doc_id, record)`` queues one ``privacy.erasures``
    record, ``flush()`` waits for the broker's acknowledgement of all (raises if not);
    ``audit(action=, target=, detail=)`` records the admin action."""
    address = normalize_email(email)
    report = EraseReport(new_request_id())
    found = find_documents(reader, address)
    report.documents = len(found.doc_ids)
    audit(action="subject.erase", target=f"subject-request:{report.request_id}",
          detail={"documents": str(report.documents)})
    records = []
    for doc_id in found.doc_ids:
        data = gather(reader, doc_id)  # before the sink blanks the payloads that name the files
        kid = _key_id(doc_id)
        keys_before = keys.is_destroyed(kid)
        destroyed = keys.destroy(kid)
        report.keys_destroyed += int(destroyed)
        objects = []
        for key in sorted(data.object_keys | _signed_keys(s3, doc_id)):
            deleted = delete_all_versions(s3, key)
            report.object_versions_deleted += deleted
            objects.append({"key": key, "versions_deleted": deleted})
        record = {**envelope(doc_id, producer="privacy"), "request_id": report.request_id, "actor": actor,
                  "key_destroyed": destroyed and not keys_before, "objects": objects}
        send(doc_id, record)
        records.append(record)
    if records:
        flush()
        report.records_sent = len(records)
    _wait_applied(reader, records, report, wait_s, poll_s)
    return report


def _key_id(doc_id: str) -> str:
    """The DocumentKeys id the codec sealed this document's records with."""
    try:
        from schemas.sealing import key_id
    except ImportError:  # record sealing not installed: keys are named by doc_id
        return doc_id
    return key_id(doc_id)


def delete_all_versions(s3, key: str) -> int:
    """Remove every version and delete marker of ``key``; returns how many."""
    versions = s3.versions(key)
    for version_id in versions:
        s3.discard(ObjectRef(s3.bucket, key, version_id or "null", "", 0, ""))
    return len(versions)


def _signed_keys(s3, doc_id: str) -> set[str]:
    """Signed files are stored under ``signed/<doc_id>/``: list them, so a file whose
    event was lost is erased too."""
    try:
        client = s3._client  # S3ObjectStore's minio client: listing a prefix with versions
    except AttributeError:
        return set()
    try:
        return {o.object_name for o in client.list_objects(s3.bucket, prefix=f"signed/{doc_id}/", recursive=True,
                                                           include_version=True)}
    except Exception as exc:  # noqa: BLE001 - minio/urllib3 errors
        raise ConnectorError(f"listing signed/{doc_id}/ failed: {type(exc).__name__}") from exc


def _wait_applied(reader: Reader, records: list[dict], report: EraseReport, wait_s: float, poll_s: float) -> None:
    wanted = {r["event_id"]: r["doc_id"] for r in records}
    deadline = time.monotonic() + wait_s
    while True:
        done: dict[str, int] = {}
        if wanted:
            try:
                _, rows = reader.query("SELECT event_id, max(rows_blanked) FROM erasures "
                                       "WHERE event_id IN {ids:Array(String)} GROUP BY event_id",
                                       {"ids": sorted(wanted)})
                done = {e: int(n) for e, n in rows}
            except InkstreamError:
                done = {}  # the sink may be restarting: keep polling until the deadline
        report.applied, report.payloads_blanked = len(done), sum(done.values())
        report.pending = sorted(d for e, d in wanted.items() if e not in done)
        if not report.pending or time.monotonic() >= deadline:
            return
        time.sleep(poll_s)
