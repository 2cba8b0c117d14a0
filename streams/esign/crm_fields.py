"""Names of the signature fields inkstream writes in each CRM (named by each CRM's vendor object, created by
``inkstream crm setup``), and the commands that carry them."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone

from connectors.crm.registry import CRMS
from connectors.registry import AttributeView
from connectors.crm.signature import SIGNATURE_PREFIX, VERSION_OF

from schemas.records import envelope

__all__ = ["SIGNATURE_FIELDS", "SIGNATURE_RECORD", "VERSION_OF", "signature_fields", "signature_record",
           "crm_command", "MAPPING_VERSION"]

# Commands born from e-sign events, not from a mapping file; the CRM side dedupes on the key.
MAPPING_VERSION = "esign-1"

# Each CRM names them in its own object (CrmVendor.signature_fields).
SIGNATURE_FIELDS = AttributeView(CRMS, "signature_fields")
# A target that is no registered CRM (esign.crm_target: dryrun) records Salesforce's names.
_RECORDED_AS = "salesforce"


def signature_fields(crm: str) -> dict[str, str]:
    """Field names for ``crm``; the dry-run target records Salesforce's names."""
    return dict(CRMS.get(crm if crm in CRMS else _RECORDED_AS).signature_fields)


# Keys of a command's ``fields`` that are not fields of the CRM record: "signature.*"
# describes the signature for the CRM's own signature record (Salesforce
# Inkstream_Signature__c, HubSpot timeline event, Zoho signature fields), ``VERSION_OF``
# asks for the file as a new version of the document's original. A dot never appears in a
# CRM field name, so they cannot collide with mapped fields.
SIGNATURE_RECORD = SIGNATURE_PREFIX


def signature_record(event: dict, sha256: str | None) -> dict:
    """The signature as the e-sign event tells it (esign.events ``signer``: name, e-mail,
    IP, user agent, signed-at; the provider's envelope id), flat for ``fields``."""
    signer = event.get("signer") or {}
    values = {"name": signer.get("name"), "email": signer.get("email"), "ip": signer.get("ip"),
              "user_agent": signer.get("user_agent"), "auth_method": signer.get("auth_method"),
              "signed_at": _iso(signer.get("signed_at") or event.get("provider_time")), "sha256": sha256,
              "envelope_id": event.get("envelope_id"), "provider": event.get("provider"),
              "doc_id": event.get("doc_id")}
    return {SIGNATURE_RECORD + k: v for k, v in values.items() if v is not None}


def crm_command(state: dict, event: dict, *, operation: str, crm: str, discriminator: str,
                fields: dict, file: dict | None = None, depends_on: list[str] | None = None) -> dict:
    """A ``crm.commands`` record about ``state``'s CRM record, idempotent on
    sha256(doc_id | operation | object | discriminator)."""
    doc_id = event["doc_id"]
    obj = state.get("crm_object") or "Opportunity"
    fields = dict(fields)
    if operation == "attach_file" and discriminator.startswith("signed:"):
        fields[VERSION_OF] = doc_id  # the signed PDF: a new version of this document's original
    elif operation == "update_signature_status" and discriminator == "completed":
        fields.update(signature_record(event, discriminator_hash(fields)))
    key = hashlib.sha256(f"{doc_id}|{operation}|{obj}|{discriminator}".encode()).hexdigest()
    return {
        **envelope(doc_id, producer="esign.complete", trace=event["trace"]),
        "target": crm, "operation": operation, "object": obj,
        "external_id_field": state.get("crm_external_id_field"), "external_id": state.get("crm_external_id"),
        "fields": fields, "file": file, "match": {}, "idempotency_key": key, "mapping_version": MAPPING_VERSION,
        "depends_on": depends_on or [], "links": [],
    }


def discriminator_hash(fields: dict) -> str | None:
    """The signed file's hash among the status fields, whatever the CRM calls the field."""
    names = {n["hash"] for n in SIGNATURE_FIELDS.values()}
    return next((v for k, v in fields.items() if k in names and v), None)


def _iso(ms: int | None) -> str | None:
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
