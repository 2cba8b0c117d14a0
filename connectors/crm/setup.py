"""``inkstream crm setup``: the custom fields/properties inkstream writes, per CRM.

Which fields: the external ids the shipped mappings upsert on, the document id, the
signature status, signed-at, signer and audit hash, and the idempotency-key field used
to find already-attached files and notes. Each connector creates them through its own
metadata API and reports existing ones as ``exists`` (safe to run twice).
"""

from __future__ import annotations

from connectors.crm import CrmConnector, CustomField, SetupResult

__all__ = ["custom_fields", "run_setup"]

_SIGNATURE = [("Signature_Status", "inkstream signature status", "text"),
              ("Signed_At", "inkstream signed at", "datetime"),
              ("Signer", "inkstream signer", "text"),
              ("Audit_Hash", "inkstream audit hash", "text")]


def _salesforce() -> list[CustomField]:
    fields = [CustomField("Account", "Inkstream_Key__c", "inkstream company key", unique=True),
              CustomField("Contact", "Inkstream_Email__c", "inkstream e-mail key", unique=True),
              CustomField("ContentVersion", "Inkstream_Idempotency_Key__c", "inkstream idempotency key", unique=True),
              CustomField("Activity", "Inkstream_Idempotency_Key__c", "inkstream idempotency key", unique=True)]
    for obj in ("Opportunity", "Contract"):
        fields.append(CustomField(obj, "Inkstream_Document_Id__c", "inkstream document id", unique=True))
        fields += [CustomField(obj, f"Inkstream_{n}__c", label, t) for n, label, t in _SIGNATURE]
    # Whose document a file is: the signed PDF becomes the next version of that document.
    fields.append(CustomField("ContentVersion", "Inkstream_Document_Id__c", "inkstream document id"))
    return fields + _salesforce_signature()


def _salesforce_signature() -> list[CustomField]:
    """The signature custom object (created with its first field), one record per signer."""
    from connectors.crm.salesforce import SIGNATURE_FIELDS, SIGNATURE_KEY, SIGNATURE_OBJECT
    labels = {"name": "Signer name", "email": "Signer e-mail", "ip": "Signer IP address",
              "user_agent": "Signer user agent", "auth_method": "Authentication", "signed_at": "Signed at",
              "sha256": "Signed SHA-256", "envelope_id": "Envelope id", "provider": "E-sign provider",
              "doc_id": "inkstream document id"}
    fields = [CustomField(SIGNATURE_OBJECT, SIGNATURE_KEY, "inkstream signature key", unique=True)]
    fields += [CustomField(SIGNATURE_OBJECT, name, labels[k], {"email": "email", "signed_at": "datetime"}.get(k, "text"))
               for k, name in SIGNATURE_FIELDS.items()]
    fields += [CustomField(SIGNATURE_OBJECT, f"{obj}__c", obj, "lookup", reference=obj)
               for obj in ("Opportunity", "Contract")]
    return fields


def _hubspot() -> list[CustomField]:
    fields = [CustomField("companies", "inkstream_company_key", "inkstream company key", unique=True),
              CustomField("deals", "inkstream_document_id", "inkstream document id", unique=True)]
    fields += [CustomField("deals", f"inkstream_{n.lower()}", label, t) for n, label, t in _SIGNATURE]
    return fields


def _zoho() -> list[CustomField]:
    fields = [CustomField("Accounts", "Inkstream_Key", "inkstream company key", unique=True),
              CustomField("Deals", "Inkstream_Document_Id", "inkstream document id", unique=True)]
    fields += [CustomField("Deals", f"Inkstream_{n}", label, t) for n, label, t in _SIGNATURE]
    from connectors.crm.zoho import SIGNATURE_FIELDS
    fields += [CustomField("Deals", name, f"inkstream {k.replace('_', ' ')}") for k, name in SIGNATURE_FIELDS.items()]
    fields.append(CustomField("Deals", "Inkstream_File_Link", "inkstream file link"))
    return fields


def custom_fields(crm: str) -> list[CustomField]:
    return {"salesforce": _salesforce, "hubspot": _hubspot, "zoho": _zoho}[crm]()


def run_setup(connector: CrmConnector) -> list[SetupResult]:
    return connector.ensure_custom_fields(custom_fields(connector.name))
