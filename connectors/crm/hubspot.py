"""HubSpot CRM connector (CRM API v3/v4, Files API v3, Properties API v3).

Follows HubSpot's developer documentation:
- objects: ``POST /crm/v3/objects/{type}/batch/upsert`` with ``idProperty`` (a unique-value
  property: ``email`` for contacts, the inkstream properties for companies and deals);
  read by unique property ``GET /crm/v3/objects/{type}/{value}?idProperty=...``; search
  ``POST /crm/v3/objects/{type}/search``;
- associations v4: ``PUT /crm/v4/objects/{from}/{id}/associations/default/{to}/{id}``
  (idempotent);
- files v3: multipart ``POST /files/v3/files`` (``file``, ``options`` JSON with ``access``,
  ``folderPath``), then a note (``hs_attachment_ids``) associated to the deal;
- properties: ``POST /crm/v3/properties/{objectType}`` (409 = exists);
- limits: a per-10-second burst limit per app (client-side TokenBucket) and 429 with or
  without ``Retry-After``.

Timeline events (Timeline API v3, ``POST /crm/v3/timeline/events`` from the app's event
templates, ``crm.hubspot.timeline_templates``) tell sent, viewed, signed, completed and
declined on the deal; their ``id`` comes from the command's key, so a replay is a 409.

Notes are not idempotent in HubSpot, so the note body carries ``inkstream ref: <key>`` and
the deal's associated notes are read before one is created.
"""

from __future__ import annotations

import json
import time
from html import escape
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from connectors.crm import ApplyResult, Attachment, CustomField, SetupResult
from connectors.crm.matching import DEAL_RULES, NeedsReview, is_record_id, one_or_review, pick_open_deal
from connectors.crm.operations import dispatch
from connectors.crm.quota import limit_and_remaining
from connectors.crm.ratelimit import TokenBucket
from connectors.crm.setup import SIGNATURE_STATUS
from connectors.crm.vendor import CrmVendor, Wiring
from inkstream.settings import CrmVendorSettings
from connectors.crm.signature import split_fields
from connectors.crm.vendor_http import VendorHttp
from inkstream.errors import CrmError, CrmPermanentError

__all__ = ["HubSpotConnector", "NOTE_TO", "HUBSPOT"]

# HUBSPOT_DEFINED association type ids from a note to a record (Associations v4 docs).
NOTE_TO = {"deals": 214, "contacts": 202, "companies": 190}
_GROUP = {"deals": "dealinformation", "contacts": "contactinformation", "companies": "companyinformation"}
# The default pipeline's closed stages (HubSpot "Pipelines" docs: dealstage internal values).
_CLOSED_STAGES = {"closedwon", "closedlost"}
_TYPES = {"text": ("string", "text"), "email": ("string", "text"), "datetime": ("datetime", "date")}


def _prop(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class HubSpotConnector:
    name = "hubspot"

    def __init__(self, http: VendorHttp, *, base_url: str = "https://api.hubapi.com",
                 clock: Callable[[], float] = time.time, timeline_templates: dict[str, str] | None = None) -> None:
        self.http, self.base, self._clock = http, base_url.rstrip("/"), clock
        self.templates = dict(timeline_templates or {})

    def apply(self, command: dict, attachment: Attachment | None = None) -> ApplyResult:
        # A file is a note with the file attached; a timeline event is an app timeline event
        # when the app has a template for it, else a note.
        return dispatch(self.name, command, attachment, upsert=self.upsert, attach=self.note,
                        timeline=self.timeline)

    def timeline(self, command: dict) -> ApplyResult:
        event = (command.get("fields") or {}).get("event")
        if event in self.templates:
            parent = self._parent_id(command)
            _, signature = split_fields(command.get("fields"))
            return self._timeline_event(command, event, parent, signature)
        return self.note(command, None)

    def _timeline_event(self, command: dict, event: str, object_id: str, signature: dict) -> ApplyResult:
        """Timeline API v3 ``POST /crm/v3/timeline/events`` from the app's event template;
        the event ``id`` is derived from the command's key, so a replay is refused (409) and
        counted as already done."""
        tokens = {k: str(v) for k, v in signature.items()
                  if k in ("name", "email", "ip", "user_agent", "envelope_id", "provider", "sha256") and v}
        body: dict[str, Any] = {"eventTemplateId": self.templates[event], "objectId": object_id,
                                "id": f"inkstream-{event}-{command['idempotency_key'][:32]}", "tokens": tokens}
        if signature.get("signed_at"):
            body["timestamp"] = signature["signed_at"]
        try:
            resp = self.http.request("POST", f"{self.base}/crm/v3/timeline/events", json=body)
        except CrmPermanentError as exc:
            if exc.status == 409:
                return ApplyResult("unchanged", body["id"], f"timeline {event}")
            raise
        return ApplyResult("created", resp.json().get("id", body["id"]), f"timeline {event}")

    def upsert(self, command: dict) -> ApplyResult:
        obj, field, value = command["object"], command["external_id_field"], command["external_id"]
        match = command.get("match") or {}
        own, signature = split_fields(command.get("fields"))
        properties = {k: _prop(v) for k, v in own.items() if v is not None}
        if is_record_id(self.name, field):
            target: str | None = self._id_of(obj, field, value)
        elif command["operation"] == "update_signature_status":
            target = self._parent_id(command)  # a status updates its deal, never creates one
        elif obj == "companies":
            self._adopt_company(field, value, match)
            target = None
        else:
            target = self._open_deal(obj, command) if set(DEAL_RULES) & set(match) and not self._has_key(
                obj, field, value) else None
        if target is not None:
            # A named (crm_ref) or matched record: updated by its id, keeping its own key.
            self.http.request("PATCH", f"{self.base}/crm/v3/objects/{obj}/{target}", json={"properties": properties})
            self._associate_links(obj, target, command)
            self._signature_events(command, target, own, signature)
            return ApplyResult("updated", target, "matched")
        resp = self.http.request("POST", f"{self.base}/crm/v3/objects/{obj}/batch/upsert", json={
            "inputs": [{"idProperty": field, "id": value, "properties": properties}]})
        data = resp.json()
        if data.get("errors") or resp.status_code == 207 or not data.get("results"):
            raise CrmPermanentError(f"hubspot upsert {obj} {field}={value!r} failed", status=resp.status_code,
                                    body=resp.text[:4000])
        result = data["results"][0]
        self._associate_links(obj, result["id"], command)
        self._signature_events(command, result["id"], own, signature)
        return ApplyResult("created" if result.get("new") else "updated", result["id"])

    def _signature_events(self, command: dict, object_id: str, own: dict, signature: dict) -> None:
        """A signature status on a deal is also told on its timeline: ``signed`` (per signer,
        with IP, user agent and hash) and ``completed``, or ``declined``."""
        if command["operation"] != "update_signature_status":
            return
        status = own.get("inkstream_signature_status")
        events = {"signed": ["signed", "completed"], "declined": ["declined"]}.get(status, [])
        for event in events:
            if event in self.templates:
                self._timeline_event(command, event, object_id, signature)

    def _associate_links(self, obj: str, record_id: str, command: dict) -> None:
        for link in command.get("links", []):
            other = self._id_of(link["object"], link["external_id_field"], link["external_id"])
            self._associate(obj, record_id, link["object"], other)

    def upsert_many(self, commands: list[dict]) -> dict[str, ApplyResult | CrmError]:
        """Commands of one object and idProperty in one ``batch/upsert`` (≤100 inputs), their
        links in one v4 ``batch/associate/default`` per linked type (bulk lane)."""
        obj, field = commands[0]["object"], commands[0]["external_id_field"]
        last = {c["external_id"]: c for c in commands}  # one input per key: HubSpot refuses duplicates
        resp = self.http.request("POST", f"{self.base}/crm/v3/objects/{obj}/batch/upsert", json={"inputs": [
            {"idProperty": field, "id": key, "properties": {k: _prop(v) for k, v in split_fields(c.get("fields"))[0].items()
                                                             if v is not None}} for key, c in last.items()]})
        data = resp.json()
        ids = {r["properties"].get(field): (r["id"], bool(r.get("new"))) for r in data.get("results", [])}
        out: dict[str, ApplyResult | CrmError] = {}
        for c in commands:
            got = ids.get(c["external_id"])
            out[c["idempotency_key"]] = (ApplyResult("created" if got[1] else "updated", got[0]) if got else
                                         CrmPermanentError(f"hubspot batch upsert {obj}: no result for a record",
                                                           status=resp.status_code, body=resp.text[:4000]))
        pairs: dict[tuple[str, str], dict[str, set[str]]] = {}
        for c in commands:
            for link in c.get("links", []):
                pairs.setdefault((link["object"], link["external_id_field"]), {}).setdefault(
                    link["external_id"], set()).add(c["external_id"])
        for (to_obj, to_field), wanted in pairs.items():
            found = self.http.request("POST", f"{self.base}/crm/v3/objects/{to_obj}/batch/read", json={
                "idProperty": to_field, "properties": [to_field], "inputs": [{"id": k} for k in wanted]}).json()
            to_ids = {r["properties"].get(to_field): r["id"] for r in found.get("results", [])}
            inputs = [{"from": {"id": ids[key][0]}, "to": {"id": to_ids[to_key]}}
                      for to_key, keys in wanted.items() if to_key in to_ids for key in keys if key in ids]
            if inputs:
                self.http.request("POST", f"{self.base}/crm/v4/associations/{obj}/{to_obj}/batch/associate/default",
                                  json={"inputs": inputs})
        return out

    def note(self, command: dict, attachment: Attachment | None) -> ApplyResult:
        obj = command["object"]
        parent = self._parent_id(command)
        marker = command["idempotency_key"] + (f":{attachment.sha256[:16]}" if attachment else "")
        existing = self._note_with(obj, parent, marker)
        if existing:
            return ApplyResult("unchanged", existing)
        fields = command.get("fields", {})
        # hs_note_body is HTML; document text (a counterparty's name) must not become markup.
        body = (f"<p>{escape(fields.get('title') or '')}</p><p>{escape(fields.get('body') or '')}</p>"
                f"<p>inkstream ref: {marker}</p>")
        properties = {"hs_timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self._clock())),
                      "hs_note_body": body}
        if attachment is not None:
            properties["hs_attachment_ids"] = self._upload(attachment)
        associations = [{"to": {"id": parent}, "types": [
            {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": NOTE_TO.get(obj, 214)}]}]
        for link in command.get("links", []):
            if link["object"] in NOTE_TO:
                other = self._id_of(link["object"], link["external_id_field"], link["external_id"])
                associations.append({"to": {"id": other}, "types": [
                    {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": NOTE_TO[link["object"]]}]})
        resp = self.http.request("POST", f"{self.base}/crm/v3/objects/notes", idempotent=False,
                                 json={"properties": properties, "associations": associations})
        return ApplyResult("created", resp.json()["id"])

    # --- helpers --------------------------------------------------------------------------

    def _id_of(self, obj: str, field: str, value: str) -> str:
        # hs_object_id is the record id itself: read without idProperty.
        params = {} if is_record_id(self.name, field) else {"idProperty": field}
        try:
            resp = self.http.request("GET", f"{self.base}/crm/v3/objects/{obj}/{quote(str(value), safe='')}",
                                     params=params)
        except CrmPermanentError as exc:
            if exc.status == 404 and is_record_id(self.name, field):  # a crm_ref naming nothing
                raise NeedsReview(f"{obj} {value!r} (crm_ref) does not exist", candidates=0) from exc
            raise
        return resp.json()["id"]

    def _has_key(self, obj: str, field: str, value: str) -> bool:
        try:
            self._id_of(obj, field, value)
        except CrmPermanentError as exc:
            if exc.status == 404:
                return False
            raise
        return True

    def _parent_id(self, command: dict) -> str:
        """By its key, else (a deal matched to another document's) by the same rules again."""
        obj, field, value = command["object"], command["external_id_field"], command["external_id"]
        try:
            return self._id_of(obj, field, value)
        except CrmPermanentError as exc:
            if exc.status != 404 or is_record_id(self.name, field) or not set(DEAL_RULES) & set(command["match"]):
                raise
            found = self._open_deal(obj, command)
            if found is None:
                raise
            return found

    def _open_deal(self, obj: str, command: dict) -> str | None:
        """The one open deal of the document's company with the same amount (else name):
        the company's deal associations (v4), then a batch read of their properties."""
        match = command["match"]
        if "account_id" not in match:
            return None
        company = self._id_of(match["account_object"], match["account_id_field"], match["account_id"])
        assoc = self.http.request("GET", f"{self.base}/crm/v4/objects/companies/{company}/associations/{obj}").json()
        ids = [str(r["toObjectId"]) for r in assoc.get("results", [])]
        rows = self.http.request("POST", f"{self.base}/crm/v3/objects/{obj}/batch/read", json={
            "properties": ["dealname", "amount", "dealstage"], "inputs": [{"id": i} for i in ids]}).json() if ids else {}
        open_deals = [(r["id"], r["properties"].get("dealname"), r["properties"].get("amount"))
                      for r in rows.get("results", []) if r["properties"].get("dealstage") not in _CLOSED_STAGES]
        return pick_open_deal(f"open {obj} of the company", open_deals, match)

    def _associate(self, from_obj: str, from_id: str, to_obj: str, to_id: str) -> None:
        self.http.request("PUT", f"{self.base}/crm/v4/objects/{from_obj}/{from_id}/associations/default/{to_obj}/{to_id}")

    def _adopt_company(self, field: str, value: str, match: dict) -> None:
        """An existing company with the same domain (else name) gets our key, instead of a
        duplicate; several candidates go to review."""
        if not match or self._has_key("companies", field, value):
            return
        for kind, prop in (("domain", "domain"), ("name", "name")):
            if kind not in match:
                continue
            search = self.http.request("POST", f"{self.base}/crm/v3/objects/companies/search", json={
                "filterGroups": [{"filters": [{"propertyName": prop, "operator": "EQ", "value": match[kind]}]}],
                "properties": [prop, field], "limit": 3}).json()
            free = [r["id"] for r in search.get("results", []) if not r.get("properties", {}).get(field)]
            if free:
                adopted = one_or_review(f"companies by {kind}", free, match)
                self.http.request("PATCH", f"{self.base}/crm/v3/objects/companies/{adopted}",
                                  json={"properties": {field: value}})
                return
        one_or_review("companies", [], match)

    def _note_with(self, obj: str, parent: str, marker: str) -> str | None:
        assoc = self.http.request("GET", f"{self.base}/crm/v4/objects/{obj}/{parent}/associations/notes").json()
        ids = [str(r["toObjectId"]) for r in assoc.get("results", [])]
        if not ids:
            return None
        notes = self.http.request("POST", f"{self.base}/crm/v3/objects/notes/batch/read", json={
            "properties": ["hs_note_body"], "inputs": [{"id": i} for i in ids]}).json()
        for note in notes.get("results", []):
            if f"inkstream ref: {marker}" in (note.get("properties", {}).get("hs_note_body") or ""):
                return note["id"]
        return None

    def _upload(self, attachment: Attachment) -> str:
        options = json.dumps({"access": "PRIVATE", "overwrite": False})
        resp = self.http.request("POST", f"{self.base}/files/v3/files", idempotent=False, files={
            "file": (attachment.file_name, attachment.data, attachment.content_type),
            "options": (None, options, "application/json"),
            "folderPath": (None, "/inkstream"),
            "fileName": (None, attachment.file_name)})
        return str(resp.json()["id"])

    def ensure_custom_fields(self, fields: list[CustomField]) -> list[SetupResult]:
        results = []
        for f in fields:
            kind, field_type = _TYPES[f.type]
            body = {"name": f.name, "label": f.label, "type": kind, "fieldType": field_type,
                    "groupName": _GROUP.get(f.object, f"{f.object}information"), "hasUniqueValue": f.unique}
            try:
                self.http.request("POST", f"{self.base}/crm/v3/properties/{f.object}", json=body)
                results.append(SetupResult(f.object, f.name, "created"))
            except CrmPermanentError as exc:
                if exc.status != 409:
                    raise
                results.append(SetupResult(f.object, f.name, "exists"))
        return results


# --- the vendor, as inkstream's registry sees it (connectors/crm/registry.py) ---------------

def _token_url(section: CrmVendorSettings) -> str:
    return (section.auth_url or "https://api.hubapi.com").rstrip("/") + "/oauth/v1/token"


def _scopes(objects: list[str], setup: bool) -> tuple[str, ...]:
    objs = sorted({o.lower() for o in objects})
    if setup:  # POST /crm/v3/properties/{objectType}
        return tuple(f"crm.schemas.{o}.write" for o in objs)
    # Notes need the contacts scopes (HubSpot's notes API), files v3 needs `files`,
    # the signature's timeline events (Timeline API v3) need `timeline`.
    out = {f"crm.objects.{o}.{op}" for o in objs + ["contacts"] for op in ("read", "write")}
    return tuple(sorted(out | {"files", "timeline"}))


def _authorize_url(section: CrmVendorSettings, params: dict[str, str], scopes: tuple[str, ...]) -> str:
    return "https://app.hubspot.com/oauth/authorize?" + urlencode({**params, "scope": " ".join(scopes)})


def _custom_fields() -> list[CustomField]:
    fields = [CustomField("companies", "inkstream_company_key", "inkstream company key", unique=True),
              CustomField("deals", "inkstream_document_id", "inkstream document id", unique=True)]
    fields += [CustomField("deals", f"inkstream_{n.lower()}", label, t) for n, label, t in SIGNATURE_STATUS]
    return fields


def _connect(section: CrmVendorSettings, wiring: Wiring) -> HubSpotConnector:
    auth = wiring.token(section, _token_url(section), default_ttl_s=1800, static=section.secret("access_token"))
    http = wiring.http(auth, lambda sleep: TokenBucket(section.requests_per_10s or 100, 10.0, sleep=sleep))
    return HubSpotConnector(http, base_url=section.base_url or "https://api.hubapi.com",
                            timeline_templates=section.timeline_templates)


def _dry_run_answer(request: httpx.Request, rid: str) -> httpx.Response:
    path, method = request.url.path, request.method
    if path.endswith("/batch/upsert"):
        return httpx.Response(200, json={"status": "COMPLETE", "results": [{"id": rid, "new": True}]})
    if path.endswith("/search") or "/associations/" in path and method == "GET":
        return httpx.Response(200, json={"total": 0, "results": []})
    return httpx.Response(200 if method in ("GET", "PUT") else 201, json={"id": rid})


HUBSPOT = CrmVendor(
    name="hubspot", label="HubSpot", token_url=_token_url, scopes=_scopes, authorize_url=_authorize_url,
    custom_fields=_custom_fields,
    signature_fields={"status": "inkstream_signature_status", "signed_at": "inkstream_signed_at",
                      "signer": "inkstream_signer", "hash": "inkstream_audit_hash"},
    account_object="companies", record_id_field="hs_object_id",
    external_id_ok=lambda f: f.islower() and " " not in f,
    connect=_connect, dry_run_answer=_dry_run_answer,
    # Private-app tokens only; OAuth calls have no daily limit and carry neither header.
    daily_quota=limit_and_remaining("X-HubSpot-RateLimit-Daily", "X-HubSpot-RateLimit-Daily-Remaining"))
