"""``inkstream crm setup``: the custom fields/properties inkstream writes, per CRM.

Which fields: the external ids the shipped mappings upsert on, the document id, the
signature status, signed-at, signer and audit hash, and the idempotency-key field used
to find already-attached files and notes. Each vendor lists them (``CrmVendor.custom_fields``);
each connector creates them through its own metadata API and reports existing ones as
``exists`` (safe to run twice).
"""

from __future__ import annotations

from connectors.crm import CrmConnector, CustomField, SetupResult

__all__ = ["SIGNATURE_STATUS", "custom_fields", "run_setup"]

# The signature status fields every CRM's deal carries: (name stem, label, type).
SIGNATURE_STATUS = [("Signature_Status", "inkstream signature status", "text"),
                    ("Signed_At", "inkstream signed at", "datetime"),
                    ("Signer", "inkstream signer", "text"),
                    ("Audit_Hash", "inkstream audit hash", "text")]


def custom_fields(crm: str) -> list[CustomField]:
    from connectors.crm.registry import CRMS

    return CRMS.get(crm).custom_fields()


def run_setup(connector: CrmConnector) -> list[SetupResult]:
    return connector.ensure_custom_fields(custom_fields(connector.name))
