"""Names of the signature fields inkstream writes in each CRM (created by
``inkstream crm setup``), and the commands that carry them."""

from __future__ import annotations

import hashlib

from streams.records import envelope

__all__ = ["SIGNATURE_FIELDS", "signature_fields", "crm_command", "MAPPING_VERSION"]

# Commands born from e-sign events, not from a mapping file; the CRM side dedupes on the key.
MAPPING_VERSION = "esign-1"

SIGNATURE_FIELDS = {
    "salesforce": {"status": "Inkstream_Signature_Status__c", "signed_at": "Inkstream_Signed_At__c",
                   "signer": "Inkstream_Signer__c", "hash": "Inkstream_Audit_Hash__c"},
    "hubspot": {"status": "inkstream_signature_status", "signed_at": "inkstream_signed_at",
                "signer": "inkstream_signer", "hash": "inkstream_audit_hash"},
    "zoho": {"status": "Inkstream_Signature_Status", "signed_at": "Inkstream_Signed_At",
             "signer": "Inkstream_Signer", "hash": "Inkstream_Audit_Hash"},
}


def signature_fields(crm: str) -> dict[str, str]:
    """Field names for ``crm``; the dry-run target records Salesforce's names."""
    return SIGNATURE_FIELDS.get(crm, SIGNATURE_FIELDS["salesforce"])


def crm_command(state: dict, event: dict, *, operation: str, crm: str, discriminator: str,
                fields: dict, file: dict | None = None, depends_on: list[str] | None = None) -> dict:
    """A ``crm.commands`` record about ``state``'s CRM record, idempotent on
    sha256(doc_id | operation | object | discriminator)."""
    doc_id = event["doc_id"]
    obj = state.get("crm_object") or "Opportunity"
    key = hashlib.sha256(f"{doc_id}|{operation}|{obj}|{discriminator}".encode()).hexdigest()
    return {
        **envelope(doc_id, producer="esign.complete", trace=event["trace"]),
        "target": crm, "operation": operation, "object": obj,
        "external_id_field": state.get("crm_external_id_field"), "external_id": state.get("crm_external_id"),
        "fields": fields, "file": file, "match": {}, "idempotency_key": key, "mapping_version": MAPPING_VERSION,
        "depends_on": depends_on or [], "links": [],
    }
