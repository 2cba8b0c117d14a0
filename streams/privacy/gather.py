"""Everything the audit store holds about one document: its ingestion rows, extracted
fields, signatures, every chained event (decoded payload) and the files those events
name. Read through the read-only ``Reader``; the chain, not the analytics tables, is
trusted to name files (as ``audit verify`` does)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from connectors.objectstore import ObjectRef
from streams.audit.store import Reader
from streams.audit.verify import read_chain

__all__ = ["DocumentData", "gather", "FILE_ROLES"]

# Topic -> the payload field that names a stored file, and the file's role.
FILE_ROLES = {"documents.ingested": "original", "documents.ingested.priority": "original",
              "ocr.results": "original", "esign.events": "signed"}


@dataclass
class DocumentData:
    doc_id: str
    documents: list[dict] = field(default_factory=list)
    fields: list[dict] = field(default_factory=list)
    signatures: list[dict] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)
    files: dict[tuple[str, str, str | None], tuple[str, ObjectRef]] = field(default_factory=dict)

    @property
    def object_keys(self) -> set[str]:
        return {ref.key for _, ref in self.files.values()}


def gather(reader: Reader, doc_id: str) -> DocumentData:
    data = DocumentData(doc_id)
    data.documents = _rows(reader, "SELECT doc_id, event_id, ingested_at, source, source_ref, filename, object_key, "
                                   "version_id, sha256, size_bytes, content_type, duplicate_of, priority "
                                   "FROM documents FINAL WHERE doc_id = {d:String} ORDER BY ingested_at", doc_id)
    data.fields = _rows(reader, "SELECT event_id, occurred_at, doc_type, doc_status, name, value, normalized, "
                                "confidence, status, page FROM fields FINAL WHERE doc_id = {d:String} "
                                "ORDER BY occurred_at, event_id, name", doc_id)
    data.signatures = _rows(reader, "SELECT event_id, occurred_at, provider, envelope_id, event_type, signer_name, "
                                    "signer_email, signer_ip, signer_user_agent, signed_at, signed_key "
                                    "FROM signatures FINAL WHERE doc_id = {d:String} ORDER BY occurred_at", doc_id)
    for row in read_chain(reader, doc_id):
        try:
            payload = json.loads(row["payload"])
        except ValueError:
            payload = row["payload"]
        data.events.append({"seq": row["seq"], "topic": row["topic"], "event_id": row["event_id"],
                            "occurred_at": _iso(row["occurred_at_ms"]), "producer": row["producer"],
                            "payload": payload})
        role = FILE_ROLES.get(row["topic"])
        ref = payload.get(role) if role and isinstance(payload, dict) else None
        if role and isinstance(ref, dict) and ref.get("key"):
            try:
                obj = ObjectRef.from_record(ref)
            except (KeyError, TypeError):
                continue
            data.files.setdefault((obj.key, obj.version_id or "", obj.sha256), (role, obj))
    for sig in data.signatures:  # a signed file whose event payload is gone still has its key here
        if sig.get("signed_key") and sig["signed_key"] not in data.object_keys:
            data.files.setdefault((sig["signed_key"], "", ""), ("signed", ObjectRef(
                "", sig["signed_key"], None, "", 0, "application/pdf")))
    return data


def _rows(reader: Reader, sql: str, doc_id: str) -> list[dict]:
    cols, rows = reader.query(sql, {"d": doc_id})
    return [{c: _plain(v) for c, v in zip(cols, r)} for r in rows]


def _plain(value):
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return value


def _iso(ms: int) -> str:
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.timezone.utc).isoformat(timespec="milliseconds")
