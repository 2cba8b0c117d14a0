"""What a command's ``fields`` may carry besides the CRM record's own fields.

The e-sign side (streams/esign/crm_fields.py) adds them to the commands it makes after a
signature:

- ``signature.<name>`` (name, email, ip, user_agent, auth_method, signed_at, sha256,
  envelope_id, provider, doc_id): the signature itself, for each CRM's signature record
  (Salesforce ``Inkstream_Signature__c``, HubSpot timeline event, Zoho signature fields);
- ``version_of`` (a doc id) on an ``attach_file``: store the file as a new version of that
  document's original (Salesforce ContentVersion of the same ContentDocument).

No CRM field name contains a dot, so ``signature.*`` never collides with a mapped field.
"""

from __future__ import annotations

from typing import Any

__all__ = ["SIGNATURE_PREFIX", "VERSION_OF", "split_fields"]

SIGNATURE_PREFIX = "signature."
VERSION_OF = "version_of"


def split_fields(fields: dict[str, Any] | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the record's own fields, the signature without its prefix)."""
    own, signature = {}, {}
    for key, value in (fields or {}).items():
        if key.startswith(SIGNATURE_PREFIX):
            signature[key[len(SIGNATURE_PREFIX):]] = value
        elif key != VERSION_OF:
            own[key] = value
    return own, signature
