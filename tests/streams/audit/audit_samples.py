"""Complete, schema-valid records of every topic the audit sink reads, for tests.

Each builder takes the few values a test asserts on and fills the rest plausibly."""

from __future__ import annotations

import hashlib
import uuid

from schemas.records import envelope

DAY_MS = 86_400_000
T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z


def _env(doc_id: str, producer: str, at: int) -> dict:
    return {**envelope(doc_id, producer=producer, trace=f"trace-{doc_id}"), "occurred_at": at}


def obj(key: str, data: bytes, content_type: str = "application/pdf", version_id: str | None = None) -> dict:
    return {"bucket": "inkstream", "key": key, "version_id": version_id,
            "sha256": hashlib.sha256(data).hexdigest(), "size_bytes": len(data), "content_type": content_type}


def ingested(doc_id: str, *, at: int = T0, source: str = "email", original: dict | None = None) -> dict:
    original = original or obj(f"originals/{doc_id}", doc_id.encode())
    return {**_env(doc_id, "capture.email", at), "source": source, "source_ref": "inbox", "filename": f"{doc_id}.pdf",
            "original": original, "duplicate_of": None, "priority": "normal", "crm_ref": None, "email": None,
            "metadata": {}}


def ocr(doc_id: str, *, at: int = T0, confidences=(0.99, 0.7)) -> dict:
    box = {"x0": 0.0, "y0": 0.0, "x1": 10.0, "y1": 10.0}
    lines = [{"text": f"line {i}", "confidence": c, "box": box, "low_confidence": c < 0.8, "words": []}
             for i, c in enumerate(confidences)]
    return {**_env(doc_id, "ocr", at), "source": "email", "original": obj(f"originals/{doc_id}", doc_id.encode()),
            "priority": "normal", "crm_ref": None,
            "engine": {"name": "rapidocr", "version": "3.10", "models": ["det", "rec"], "device": "cpu"},
            "pages": [{"number": 1, "width": 1700, "height": 2200, "dpi": 200, "text_source": "ocr", "rotation": 0,
                       "skew": 0.0, "lines": lines}], "duration_ms": 1234}


def validated(doc_id: str, *, at: int = T0, source: str = "email", doc_type: str = "contract",
              status: str = "accepted", amount: str | None = "1000.00", currency: str = "EUR",
              review: dict | None = None) -> dict:
    fields = [{"name": "currency", "value": currency, "normalized": currency, "confidence": 0.99,
               "status": "accept", "page": 1, "box": None, "reason": None}]
    if amount is not None:
        fields.append({"name": "total_amount", "value": amount, "normalized": amount, "confidence": 0.95,
                       "status": "accept", "page": 1, "box": None, "reason": None})
    return {**_env(doc_id, "extract", at), "source": source, "original": obj(f"originals/{doc_id}", doc_id.encode()),
            "crm_ref": None, "doc_type": doc_type, "status": status, "extractor_version": "rules-1",
            "fields": fields, "line_items": [], "review": review}


def review(decision: str, at: int) -> dict:
    return {"reviewer": "alice", "decided_at": at, "decision": decision, "comment": None,
            "changes": [{"field": "total_amount", "old": "100.00", "new": "1000.00"}]}


def esign(doc_id: str, event_type: str, *, at: int = T0, signed: dict | None = None,
          signer_name: str = "Ada Lovelace") -> dict:
    signer = {"name": signer_name, "email": "ada@example.com", "ip": "203.0.113.7",
              "user_agent": "Mozilla/5.0 (X11; Linux x86_64)", "auth_method": "email",
              "signed_at": at if event_type in ("signed", "completed") else None}
    return {**_env(doc_id, "esign.gateway", at), "provider": "docusign", "envelope_id": f"env-{doc_id}",
            "event_type": event_type, "provider_event": f"envelope-{event_type}",
            "provider_event_id": str(uuid.uuid4()), "provider_time": at, "signer": signer, "signed": signed,
            "payload_sha256": hashlib.sha256(f"{doc_id}{event_type}".encode()).hexdigest()}


def command(doc_id: str, *, at: int = T0, target: str = "salesforce", operation: str = "upsert") -> dict:
    return {**_env(doc_id, "map", at), "target": target, "operation": operation, "object": "Opportunity",
            "external_id_field": "Inkstream_Id__c", "external_id": doc_id, "fields": {"Amount": 1000.0},
            "file": None, "match": {}, "idempotency_key": hashlib.sha256(doc_id.encode()).hexdigest(),
            "mapping_version": "salesforce-1", "depends_on": []}


def status(doc_id: str, stage: str, value: str = "done", *, at: int = T0, detail: str | None = None) -> dict:
    return {**_env(doc_id, stage, at), "stage": stage, "status": value, "detail": detail}


def dryrun(doc_id: str, *, at: int = T0) -> dict:
    return {**_env(doc_id, "crm", at), "command_event_id": str(uuid.uuid4()), "idempotency_key": "k",
            "mapping_version": "salesforce-1", "crm": "salesforce", "operation": "upsert", "object": "Opportunity",
            "sequence": 0, "method": "PATCH",
            "url": f"https://example.my.salesforce.com/services/data/v62.0/sobjects/Opportunity/Inkstream_Id__c/{doc_id}",
            "headers": {"Authorization": "<redacted>"}, "body": '{"Amount": 1000.0}', "body_sha256": None}


def dead(topic: str, value: bytes, *, at: int = T0, error: str = "boom", key: bytes | None = None) -> dict:
    return {"event_id": str(uuid.uuid4()), "occurred_at": at, "processor": "crm", "topic": topic, "partition": 0,
            "offset": 42, "key": key, "value": value, "error_type": "CrmPermanentError", "error": error,
            "attempts": 1}


def rejected(provider: str = "docusign", reason: str = "bad_signature", *, at: int = T0) -> dict:
    return {**_env("", "esign.gateway", at), "provider": provider, "reason": reason, "path": f"/webhooks/{provider}",
            "remote_addr": "198.51.100.9", "payload_sha256": "ab" * 32, "size_bytes": 321,
            "header_names": ["content-type", "x-docusign-signature-1"]}


def pipeline_records(docs: int) -> list[tuple[str, dict]]:
    """(topic, record) for ``docs`` new documents, each through ingest, OCR, extraction, CRM
    and its status: what the audit benches feed the sink."""
    out = []
    for i in range(docs):
        d = f"bench-{uuid.uuid4().hex[:8]}-{i}"
        out += [("documents.ingested", ingested(d)), ("ocr.results", ocr(d)), ("fields.validated", validated(d)),
                ("crm.commands", command(d)), ("documents.status", status(d, "crm"))]
    return out
