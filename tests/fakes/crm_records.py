"""Sample ``fields.validated`` records (schemas/fields.validated.avsc) for CRM tests."""

from __future__ import annotations

from schemas.records import envelope

__all__ = ["validated_contract", "validated_invoice", "ORIGINAL"]

ORIGINAL = {"bucket": "inkstream", "key": "originals/ab/" + "ab" * 32, "version_id": "v1",
            "sha256": "ab" * 32, "size_bytes": 2048, "content_type": "application/pdf"}


def _field(name: str, normalized: str, status: str = "accept") -> dict:
    return {"name": name, "value": normalized, "normalized": normalized, "confidence": 0.97,
            "status": status, "page": 1, "box": None, "reason": None}


def _record(doc_id: str, doc_type: str, status: str, fields: list[dict]) -> dict:
    return {**envelope(doc_id, producer="extract", trace=f"trace-{doc_id}"), "source": "http",
            "original": dict(ORIGINAL), "crm_ref": None, "doc_type": doc_type, "status": status,
            "extractor_version": "rules-1", "fields": fields, "line_items": [], "review": None}


def validated_contract(doc_id: str = "doc-c1", status: str = "accepted", **overrides: str) -> dict:
    values = {"effective_date": "2026-03-01", "term_months": "24", "total_amount": "125000.50",
              "currency": "EUR", "counterparty": "Acme GmbH", "signer_name": "Ada Lovelace",
              "signer_email": "ada@acme.example", **overrides}
    return _record(doc_id, "contract", status, [_field(k, v) for k, v in values.items() if v is not None])


def validated_invoice(doc_id: str = "doc-i1", status: str = "approved", **overrides: str) -> dict:
    values = {"invoice_number": "INV-42", "invoice_date": "2026-02-10", "due_date": "2026-03-12",
              "total_amount": "990.00", "currency": "usd", "customer": "Globex Corporation", **overrides}
    return _record(doc_id, "invoice", status, [_field(k, v) for k, v in values.items() if v is not None])
