"""``inkstream crm setup --crm salesforce``: custom fields through the Tooling API, and
the field-level security that lets the integration user write them.

A field created through the Tooling API (``POST /tooling/sobjects/CustomField``) is
invisible to every profile until field-level security grants it, so setup also keeps a
permission set ``Inkstream_Integration`` with ``FieldPermissions`` (read + edit) on each
field, assigned to the user the OAuth token belongs to (the ``id`` URL of the token
response ends in the user id). Each step looks before it creates: safe to run twice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from connectors.crm import CustomField, SetupResult
from connectors.crm.soql import soql_literal

if TYPE_CHECKING:
    from connectors.crm.salesforce import SalesforceConnector

__all__ = ["ensure_fields", "PERMISSION_SET"]

PERMISSION_SET = "Inkstream_Integration"
_TYPES = {"text": "Text", "email": "Email", "datetime": "DateTime"}
# A custom object's records are secured by object permissions too.
_OBJECT_PERMISSIONS = ("PermissionsRead", "PermissionsCreate", "PermissionsEdit")
# Activity fields are secured per activity object.
_FLS_OBJECTS = {"Activity": ("Task", "Event")}


def _metadata(f: CustomField) -> dict[str, Any]:
    if f.type == "lookup":
        # A lookup that empties itself when the record it points at is deleted.
        return {"label": f.label, "type": "Lookup", "referenceTo": f.reference, "deleteConstraint": "SetNull",
                "relationshipName": f"Inkstream_Signatures_{f.reference}",
                "relationshipLabel": "inkstream signatures"}
    metadata: dict[str, Any] = {"label": f.label, "type": _TYPES[f.type]}
    if f.type == "text":
        metadata["length"] = 255
    if f.unique:
        metadata.update(externalId=True, unique=True, caseSensitive=False)
    return metadata


def _create(sf: "SalesforceConnector", obj: str, body: dict) -> str:
    resp = sf.http.request("POST", f"{sf.base}/sobjects/{obj}", json=body,
                           headers={"Content-Type": "application/json"})
    return resp.json()["id"]


def _permission_set(sf: "SalesforceConnector") -> str:
    found = sf.query(f"SELECT Id FROM PermissionSet WHERE Name = {soql_literal(PERMISSION_SET)}")
    if found:
        return found[0]["Id"]
    return _create(sf, "PermissionSet", {"Name": PERMISSION_SET, "Label": "inkstream integration"})


def _grant(sf: "SalesforceConnector", ps_id: str, f: CustomField) -> None:
    for obj in _FLS_OBJECTS.get(f.object, (f.object,)):
        field = f"{obj}.{f.name}"
        if sf.query(f"SELECT Id FROM FieldPermissions WHERE ParentId = {soql_literal(ps_id)} "
                    f"AND Field = {soql_literal(field)}"):
            continue
        _create(sf, "FieldPermissions", {"ParentId": ps_id, "SobjectType": obj, "Field": field,
                                         "PermissionsRead": True, "PermissionsEdit": True})


def _assign(sf: "SalesforceConnector", ps_id: str) -> str:
    identity = (getattr(sf.http.auth, "extra", {}) or {}).get("id", "")
    user_id = identity.rstrip("/").rsplit("/", 1)[-1] if identity else ""
    if not user_id.startswith("005"):
        return "skipped (no user id in the token response)"
    if sf.query(f"SELECT Id FROM PermissionSetAssignment WHERE PermissionSetId = {soql_literal(ps_id)} "
                f"AND AssigneeId = {soql_literal(user_id)}"):
        return "exists"
    _create(sf, "PermissionSetAssignment", {"PermissionSetId": ps_id, "AssigneeId": user_id})
    return "created"


def _ensure_object(sf: "SalesforceConnector", obj: str) -> SetupResult:
    """A custom object (Tooling API ``CustomObject``), deployed, with an auto-number name."""
    developer = obj.removesuffix("__c")
    query = f"SELECT Id FROM CustomObject WHERE DeveloperName = {soql_literal(developer)}"
    if sf.http.request("GET", f"{sf.base}/tooling/query/", params={"q": query}).json().get("records"):
        return SetupResult(obj, "(object)", "exists")
    label = developer.replace("_", " ")
    sf.http.request("POST", f"{sf.base}/tooling/sobjects/CustomObject", headers={"Content-Type": "application/json"},
                    json={"FullName": obj, "Metadata": {
                        "label": label, "pluralLabel": f"{label}s", "deploymentStatus": "Deployed",
                        "sharingModel": "ReadWrite",
                        "nameField": {"type": "AutoNumber", "label": "Signature", "displayFormat": "SIG-{000000}"}}})
    return SetupResult(obj, "(object)", "created")


def ensure_fields(sf: "SalesforceConnector", fields: list[CustomField]) -> list[SetupResult]:
    results = [_ensure_object(sf, obj) for obj in dict.fromkeys(f.object for f in fields if f.object.endswith("__c"))]
    for f in fields:
        query = (f"SELECT Id FROM CustomField WHERE TableEnumOrId = {soql_literal(f.object)} "
                 f"AND DeveloperName = {soql_literal(f.name.removesuffix('__c'))}")
        if sf.http.request("GET", f"{sf.base}/tooling/query/", params={"q": query}).json().get("records"):
            results.append(SetupResult(f.object, f.name, "exists"))
            continue
        sf.http.request("POST", f"{sf.base}/tooling/sobjects/CustomField",
                        json={"FullName": f"{f.object}.{f.name}", "Metadata": _metadata(f)},
                        headers={"Content-Type": "application/json"})
        results.append(SetupResult(f.object, f.name, "created"))
    ps_id = _permission_set(sf)
    for obj in dict.fromkeys(f.object for f in fields if f.object.endswith("__c")):
        if not sf.query(f"SELECT Id FROM ObjectPermissions WHERE ParentId = {soql_literal(ps_id)} "
                        f"AND SobjectType = {soql_literal(obj)}"):
            _create(sf, "ObjectPermissions", {"ParentId": ps_id, "SobjectType": obj,
                                              **dict.fromkeys(_OBJECT_PERMISSIONS, True)})
    for f in fields:
        _grant(sf, ps_id, f)
    results.append(SetupResult("PermissionSetAssignment", PERMISSION_SET, _assign(sf, ps_id)))
    return results
