"""Salesforce REST API connector.

Follows the Salesforce REST API Developer Guide (request templates in
``shared/specs/salesforce/collection-2021-01``, forcedotcom/postman-salesforce-apis):
- upsert: ``PATCH /services/data/vXX.X/sobjects/{Obj}/{ExtIdField}/{value}`` — 201 created,
  200/204 updated, 300 several records match (permanent), relationships set by the
  parent's external id (``{"Account": {"Inkstream_Key__c": "acme.example"}}``);
- files: multipart ``POST /sobjects/ContentVersion`` (parts ``entity_content`` JSON and
  ``VersionData``) with ``FirstPublishLocationId``, then ``ContentDocumentLink`` per extra
  record; a signed PDF (``version_of``) is inserted with the original's ``ContentDocumentId``
  and ``IsMajorVersion=true``: version 2 of the same document, keeping its links;
- signatures: an ``Inkstream_Signature__c`` record (signer, e-mail, IP, user agent,
  signed-at, signed SHA-256, envelope id) upserted by external id, looked up to the deal; the idempotency key is stored in ``Inkstream_Idempotency_Key__c`` and looked up
  first, so a replayed attach uploads nothing;
- timeline: a completed Task upserted by the same key;
- custom fields: Tooling API ``POST /tooling/sobjects/CustomField``;
- ``Sforce-Limit-Info: api-usage=N/M`` paces requests (SalesforceGovernor).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from connectors.crm import ApplyResult, Attachment, CustomField, SetupResult
from connectors.crm.matching import (ACCOUNT_OBJECT, DEAL_RULES, NeedsReview, is_record_id, one_or_review,
                                     pick_open_deal)
from connectors.crm.soql import soql_literal  # also the name batching and inbound import
from connectors.crm.operations import dispatch
from connectors.crm.quota import salesforce_quota
from connectors.crm.ratelimit import SalesforceGovernor
from connectors.crm.setup import SIGNATURE_STATUS
from connectors.crm.signature import VERSION_OF, split_fields
from connectors.crm.vendor import CrmVendor, Wiring, token_extra
from connectors.crm.vendor_http import VendorHttp
from inkstream.errors import CrmPermanentError
from inkstream.settings import CrmVendorSettings

__all__ = ["SalesforceConnector", "IDEMPOTENCY_FIELD", "DOCUMENT_FIELD", "SIGNATURE_OBJECT", "SIGNATURE_KEY",
           "SIGNATURE_FIELDS", "soql_literal", "SALESFORCE"]

IDEMPOTENCY_FIELD = "Inkstream_Idempotency_Key__c"
DOCUMENT_FIELD = "Inkstream_Document_Id__c"   # on ContentVersion: whose document a file is
# The signature custom object `inkstream crm setup` creates, and its fields by signature key.
SIGNATURE_OBJECT = "Inkstream_Signature__c"
SIGNATURE_KEY = "Inkstream_Signature_Key__c"
SIGNATURE_FIELDS = {"name": "Signer_Name__c", "email": "Signer_Email__c", "ip": "Signer_IP__c",
                    "user_agent": "Signer_User_Agent__c", "auth_method": "Auth_Method__c",
                    "signed_at": "Signed_At__c", "sha256": "Signed_SHA256__c", "envelope_id": "Envelope_Id__c",
                    "provider": "Provider__c", "doc_id": "Document_Id__c"}


class SalesforceConnector:
    name = "salesforce"

    def __init__(self, http: VendorHttp, *, instance_url: str | Callable[[], str], api_version: str = "62.0") -> None:
        self.http = http
        self._instance_url = instance_url
        self.api_version = api_version.lstrip("v")

    @property
    def base(self) -> str:
        url = self._instance_url() if callable(self._instance_url) else self._instance_url
        return f"{url.rstrip('/')}/services/data/v{self.api_version}"

    # --- operations -----------------------------------------------------------------------

    def apply(self, command: dict, attachment: Attachment | None = None) -> ApplyResult:
        return dispatch(self.name, command, attachment, upsert=self.upsert, attach=self.attach,
                        timeline=self.timeline)

    def upsert(self, command: dict) -> ApplyResult:
        obj, field, value = command["object"], command["external_id_field"], command["external_id"]
        own, signature = split_fields(command.get("fields"))
        body: dict[str, Any] = {k: v for k, v in own.items() if k != field}
        for link in command.get("links", []):
            if link.get("relationship"):
                body[link["relationship"]] = {link["external_id_field"]: link["external_id"]}
        if is_record_id(self.name, field):
            target = value
        elif command["operation"] == "update_signature_status":
            target = self._parent_id(command)  # a status updates its record, never creates one
        else:
            target = self._resolve(obj, field, value, command)
        if target is not None:
            # A named (crm_ref) or matched record: updated by its Id, keeping its own key.
            self._record_id(obj, "Id", target)
            self.http.request("PATCH", f"{self.base}/sobjects/{obj}/{quote(target, safe='')}", json=body,
                              headers={"Content-Type": "application/json"})
            if signature:
                self._signature_record(command, signature, target)
            return ApplyResult("updated", target, "matched")
        resp = self.http.request("PATCH", self._ext_url(obj, field, value), json=body,
                                 headers={"Content-Type": "application/json"})
        if resp.status_code == 300:
            raise CrmPermanentError(f"{obj}.{field}={value!r} matches several records",
                                    status=300, body=resp.text[:4000])
        data = resp.json() if resp.content else {}
        created = resp.status_code == 201 or bool(data.get("created"))
        if signature:
            self._signature_record(command, signature, data.get("id") or self._record_id(obj, field, value))
        return ApplyResult("created" if created else "updated", data.get("id"))

    def attach(self, command: dict, attachment: Attachment) -> ApplyResult:
        marker = _marker(command, attachment)
        parent_id = self._parent_id(command)
        found = self.query(f"SELECT Id, ContentDocumentId FROM ContentVersion "
                           f"WHERE {IDEMPOTENCY_FIELD} = {soql_literal(marker)}")
        if found:
            version_id, document_id, status = found[0]["Id"], found[0]["ContentDocumentId"], "unchanged"
        else:
            entity = {"Title": command["fields"].get("title") or attachment.file_name,
                      "PathOnClient": attachment.file_name, IDEMPOTENCY_FIELD: marker,
                      DOCUMENT_FIELD: command["doc_id"]}
            original = self._document_of(command["fields"].get(VERSION_OF))
            if original:
                # The signed PDF is the next major version of the original's ContentDocument
                # (Salesforce: insert a ContentVersion with ContentDocumentId; the links stay).
                entity.update(ContentDocumentId=original, IsMajorVersion=True, ReasonForChange="signed")
            else:
                entity["FirstPublishLocationId"] = parent_id
            files = {"entity_content": (None, json.dumps(entity), "application/json"),
                     "VersionData": (attachment.file_name, attachment.data, "application/octet-stream")}
            resp = self.http.request("POST", f"{self.base}/sobjects/ContentVersion", files=files, idempotent=False)
            version_id, status = resp.json()["id"], "created"
            document_id = self.query(f"SELECT ContentDocumentId FROM ContentVersion "
                                     f"WHERE Id = {soql_literal(version_id)}")[0]["ContentDocumentId"]
        self._link(document_id, parent_id)  # a new version's document may live elsewhere first
        for link in command.get("links", []):
            linked = self._record_id(link["object"], link["external_id_field"], link["external_id"])
            self._link(document_id, linked)
        return ApplyResult(status, version_id, f"ContentDocument {document_id}")

    def _document_of(self, doc_id: str | None) -> str | None:
        """The ContentDocument holding ``doc_id``'s original (any of its versions names it)."""
        if not doc_id:
            return None
        found = self.query(f"SELECT ContentDocumentId FROM ContentVersion WHERE {DOCUMENT_FIELD} = "
                           f"{soql_literal(doc_id)} LIMIT 1")
        return found[0]["ContentDocumentId"] if found else None

    def _signature_record(self, command: dict, sig: dict, parent_id: str) -> None:
        """One ``Inkstream_Signature__c`` per signer and envelope (``inkstream crm setup``
        creates the object), upserted by a key derived from provider, envelope and signer,
        looked up to the signed record, with the signed document linked to it."""
        key = hashlib.sha256("|".join(str(sig.get(k) or "") for k in ("provider", "envelope_id", "email", "doc_id"))
                             .encode()).hexdigest()[:40]
        body = {SIGNATURE_FIELDS[k]: (str(v)[:255] if isinstance(v, str) else v)
                for k, v in sig.items() if k in SIGNATURE_FIELDS}
        body[f"{command['object']}__c"] = parent_id
        resp = self.http.request("PATCH", self._ext_url(SIGNATURE_OBJECT, SIGNATURE_KEY, key), json=body,
                                 headers={"Content-Type": "application/json"})
        record_id = (resp.json() if resp.content else {}).get("id") or self._record_id(SIGNATURE_OBJECT, SIGNATURE_KEY, key)
        document = self._document_of(sig.get("doc_id") or command["doc_id"])
        if document:
            self._link(document, record_id)

    def timeline(self, command: dict) -> ApplyResult:
        parent_id = self._parent_id(command)
        fields = command.get("fields", {})
        body = {"WhatId": parent_id, "Subject": (fields.get("title") or "inkstream")[:255],
                "Description": fields.get("body") or "", "Status": "Completed", "Priority": "Normal"}
        resp = self.http.request("PATCH", self._ext_url("Task", IDEMPOTENCY_FIELD, command["idempotency_key"]),
                                 json=body, headers={"Content-Type": "application/json"})
        data = resp.json() if resp.content else {}
        return ApplyResult("created" if resp.status_code == 201 else "updated", data.get("id"))

    # --- helpers --------------------------------------------------------------------------

    def query(self, soql: str) -> list[dict]:
        resp = self.http.request("GET", f"{self.base}/query/", params={"q": soql})
        return resp.json().get("records", [])

    def _ext_url(self, obj: str, field: str, value: str) -> str:
        return f"{self.base}/sobjects/{obj}/{field}/{quote(str(value), safe='')}"

    def _record_id(self, obj: str, field: str, value: str) -> str:
        url = f"{self.base}/sobjects/{obj}/{quote(value, safe='')}" if field == "Id" else self._ext_url(obj, field, value)
        try:
            resp = self.http.request("GET", url, params={"fields": "Id"})
        except CrmPermanentError as exc:
            if field == "Id" and exc.status == 404:  # a crm_ref naming nothing: a person decides
                raise NeedsReview(f"{obj} {value!r} (crm_ref) does not exist", candidates=0) from exc
            raise
        if resp.status_code == 300:
            raise CrmPermanentError(f"{obj}.{field}={value!r} matches several records", status=300,
                                    body=resp.text[:4000])
        return resp.json()["Id"]

    def _parent_id(self, command: dict) -> str:
        """The record a file/task/status goes on: by its key, else (a deal this document
        was matched to, which keeps the first document's key) by the same rules again."""
        obj, field, value = command["object"], command["external_id_field"], command["external_id"]
        try:
            return self._record_id(obj, field, value)
        except CrmPermanentError as exc:
            if exc.status != 404 or is_record_id(self.name, field):
                raise
            found = (self._open_deal(obj, command) if set(DEAL_RULES) & set(command.get("match") or {})
                     else self._where_filed(obj, command["doc_id"]))
            if found is None:
                raise
            return found

    def _where_filed(self, obj: str, doc_id: str) -> str | None:
        """The record this document's file was first published on: where a command born
        later (the e-sign status, with only the document's key) finds a deal the document
        was matched to."""
        rows = self.query(f"SELECT FirstPublishLocationId FROM ContentVersion WHERE {DOCUMENT_FIELD} = "
                          f"{soql_literal(doc_id)} LIMIT 1")
        location = rows[0].get("FirstPublishLocationId") if rows else None
        if location and self.query(f"SELECT Id FROM {obj} WHERE Id = {soql_literal(location)}"):
            return location
        return None

    def _has_key(self, obj: str, field: str, value: str) -> bool:
        return bool(self.query(f"SELECT Id FROM {obj} WHERE {field} = {soql_literal(value)} LIMIT 1"))

    def _resolve(self, obj: str, field: str, value: str, command: dict) -> str | None:
        """The Id of an existing deal this document belongs to (updated, not re-keyed);
        None to upsert by key. Accounts/contacts found by domain, name or e-mail are
        adopted: given our key, so this and later documents upsert onto them."""
        match = command.get("match") or {}
        if not match or self._has_key(obj, field, value):
            return None
        if set(DEAL_RULES) & set(match) and obj != ACCOUNT_OBJECT[self.name]:
            return self._open_deal(obj, command)
        rules = []
        if "email" in match and obj in ("Contact", "Lead"):
            rules.append(f"Email = {soql_literal(match['email'])}")
        if obj == "Account":
            if "domain" in match:
                rules.append(f"Website LIKE {soql_literal('%' + match['domain'])}")
            if "name" in match:
                rules.append(f"Name = {soql_literal(match['name'])}")
        for where in rules:
            found = [r["Id"] for r in self.query(f"SELECT Id FROM {obj} WHERE {where} AND {field} = null LIMIT 3")]
            if found:
                adopted = one_or_review(f"{obj} by {where.split()[0]}", found, match)
                self.http.request("PATCH", f"{self.base}/sobjects/{obj}/{adopted}", json={field: value},
                                  headers={"Content-Type": "application/json"})
                return None
        if rules:  # a miss: create, unless the mapping says on_miss: review
            one_or_review(f"{obj} by {', '.join(r.split()[0] for r in rules)}", [], match)
        return None

    def _open_deal(self, obj: str, command: dict) -> str | None:
        match = command["match"]
        if "account_id" not in match:
            return None
        account_id = self._record_id(match["account_object"], match["account_id_field"], match["account_id"])
        rows = self.query(f"SELECT Id, Name, Amount FROM {obj} WHERE AccountId = {soql_literal(account_id)} "
                          f"AND IsClosed = false")
        return pick_open_deal(f"open {obj} of the account", ((r["Id"], r.get("Name"), r.get("Amount")) for r in rows),
                              command["match"])

    def _link(self, document_id: str, entity_id: str) -> None:
        if self.query(f"SELECT Id FROM ContentDocumentLink WHERE ContentDocumentId = {soql_literal(document_id)}"
                      f" AND LinkedEntityId = {soql_literal(entity_id)}"):
            return
        self.http.request("POST", f"{self.base}/sobjects/ContentDocumentLink", idempotent=False,
                          json={"ContentDocumentId": document_id, "LinkedEntityId": entity_id,
                                "ShareType": "V", "Visibility": "AllUsers"},
                          headers={"Content-Type": "application/json"})

    # --- setup ----------------------------------------------------------------------------

    def ensure_custom_fields(self, fields: list[CustomField]) -> list[SetupResult]:
        from connectors.crm.salesforce_setup import ensure_fields
        return ensure_fields(self, fields)


def _marker(command: dict, attachment: Attachment) -> str:
    # The file's hash is part of the marker: a signed PDF attached later under a key
    # computed the same way is a different file and must not be taken for a replay.
    return f"{command['idempotency_key'][:40]}:{attachment.sha256[:16]}"



# --- the vendor, as inkstream's registry sees it (connectors/crm/registry.py) ---------------

def _token_url(section: CrmVendorSettings) -> str:
    return (section.auth_url or "https://login.salesforce.com").rstrip("/") + "/services/oauth2/token"


def _scopes(objects: list[str], setup: bool) -> tuple[str, ...]:
    # Salesforce scopes are not per object: `api` (REST API as the integration user,
    # whose permission set limits the objects) and `refresh_token` (offline access).
    return ("api",) if setup else ("api", "refresh_token")


def _authorize_url(section: CrmVendorSettings, params: dict[str, str], scopes: tuple[str, ...]) -> str:
    host = (section.auth_url or "https://login.salesforce.com").rstrip("/")
    return f"{host}/services/oauth2/authorize?" + urlencode({**params, "scope": " ".join(scopes)})


def _custom_fields() -> list[CustomField]:
    fields = [CustomField("Account", "Inkstream_Key__c", "inkstream company key", unique=True),
              CustomField("Contact", "Inkstream_Email__c", "inkstream e-mail key", unique=True),
              CustomField("ContentVersion", IDEMPOTENCY_FIELD, "inkstream idempotency key", unique=True),
              CustomField("Activity", IDEMPOTENCY_FIELD, "inkstream idempotency key", unique=True)]
    for obj in ("Opportunity", "Contract"):
        fields.append(CustomField(obj, DOCUMENT_FIELD, "inkstream document id", unique=True))
        fields += [CustomField(obj, f"Inkstream_{n}__c", label, t) for n, label, t in SIGNATURE_STATUS]
    # Whose document a file is: the signed PDF becomes the next version of that document.
    fields.append(CustomField("ContentVersion", DOCUMENT_FIELD, "inkstream document id"))
    # The signature custom object (created with its first field), one record per signer.
    labels = {"name": "Signer name", "email": "Signer e-mail", "ip": "Signer IP address",
              "user_agent": "Signer user agent", "auth_method": "Authentication", "signed_at": "Signed at",
              "sha256": "Signed SHA-256", "envelope_id": "Envelope id", "provider": "E-sign provider",
              "doc_id": "inkstream document id"}
    fields.append(CustomField(SIGNATURE_OBJECT, SIGNATURE_KEY, "inkstream signature key", unique=True))
    fields += [CustomField(SIGNATURE_OBJECT, name, labels[k], {"email": "email", "signed_at": "datetime"}.get(k, "text"))
               for k, name in SIGNATURE_FIELDS.items()]
    fields += [CustomField(SIGNATURE_OBJECT, f"{obj}__c", obj, "lookup", reference=obj)
               for obj in ("Opportunity", "Contract")]
    return fields


def _connect(section: CrmVendorSettings, wiring: Wiring) -> SalesforceConnector:
    auth = wiring.token(section, _token_url(section))
    instance: str | Callable[[], str] = section.base_url or (
        "https://your-domain.my.salesforce.com" if wiring.dry_run else (lambda: token_extra(auth, "instance_url")))
    return SalesforceConnector(wiring.http(auth, lambda sleep: SalesforceGovernor(sleep=sleep)),
                               instance_url=instance, api_version=section.api_version or "62.0")


def _dry_run_answer(request: httpx.Request, rid: str) -> httpx.Response:
    if request.url.path.endswith("/query/"):
        q = request.url.params.get("q", "")
        if " WHERE Id = " in q:  # reading back what we "created"
            fields = [f.strip() for f in q[len("SELECT "):q.index(" FROM ")].split(",")]
            return httpx.Response(200, json={"records": [{f: f"DRYRUN-{f}" for f in fields}]})
        return httpx.Response(200, json={"totalSize": 0, "done": True, "records": []})
    if request.method == "GET":
        return httpx.Response(200, json={"Id": rid})
    return httpx.Response(201, json={"id": rid, "success": True, "errors": [], "created": True})


SALESFORCE = CrmVendor(
    name="salesforce", label="Salesforce", token_url=_token_url, scopes=_scopes, authorize_url=_authorize_url,
    custom_fields=_custom_fields,
    signature_fields={"status": "Inkstream_Signature_Status__c", "signed_at": "Inkstream_Signed_At__c",
                      "signer": "Inkstream_Signer__c", "hash": "Inkstream_Audit_Hash__c"},
    account_object="Account", record_id_field="Id",
    # Salesforce upserts only on Id or a field marked External ID, which are custom (__c).
    external_id_ok=lambda f: f == "Id" or f.endswith("__c"),
    connect=_connect, dry_run_answer=_dry_run_answer, daily_quota=salesforce_quota)
