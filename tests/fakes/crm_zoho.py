"""A stateful fake of Zoho CRM's REST API (v8), for httpx.MockTransport.

Built from Zoho CRM's API documentation (its OpenAPI files carry no licence to copy):
- OAuth 2.0 "Refresh Access Tokens": ``POST https://accounts.zoho.{dc}/oauth/v2/token``,
  response with ``access_token``, ``api_domain`` (www.zohoapis.{dc}), ``expires_in`` 3600,
  and ``{"error": "invalid_code"}`` with HTTP 200 for a bad refresh token; API calls use
  ``Authorization: Zoho-oauthtoken``, 401 ``INVALID_TOKEN``;
- "Upsert Records": ``POST /crm/v8/{module}/upsert`` with ``data`` (≤100) and
  ``duplicate_check_fields``; per-record ``code``/``status``/``details.id``/``action``;
  ``MANDATORY_NOT_FOUND``, ``INVALID_DATA``; lookups as ``{"id": ...}``;
- "Search Records" (``criteria=(Field:equals:value)``, 204 when none); "Get Records" by id
  (``GET /{module}/{id}``), "Update Records" (``PUT /{module}``, ``data[].id``), "Get Related
  Records" (``GET /{module}/{id}/{related}?fields=``, 204 when none);
- "Attachments" (multipart ``file``; "Download an Attachment" ``GET .../Attachments/{id}``), "Notes" (related list), "Fields Metadata" /
  "Create Custom Fields" (``/settings/fields?module=``, API name from the label).
"""

from __future__ import annotations

import json
import re
import secrets
from itertools import count
from urllib.parse import parse_qs

import httpx

from fakes.crm_http import Script, SpecViolation, parse_multipart

__all__ = ["FakeZoho"]

_FIELDS = {
    "Accounts": {"Account_Name", "Website"},
    "Contacts": {"First_Name", "Last_Name", "Email", "Account_Name"},
    "Deals": {"Deal_Name", "Amount", "Currency", "Closing_Date", "Stage", "Account_Name", "Contact_Name"},
}
_CUSTOM = {"Accounts": {"Inkstream_Key"},
           "Deals": {"Inkstream_Document_Id", "Inkstream_Signature_Status", "Inkstream_Signed_At",
                     "Inkstream_Signer", "Inkstream_Audit_Hash", "Inkstream_Signer_Name", "Inkstream_Signer_IP",
                     "Inkstream_Signer_User_Agent", "Inkstream_Envelope_Id", "Inkstream_Esign_Provider", "Inkstream_File_Link"}}
_MANDATORY = {"Accounts": {"Account_Name"}, "Contacts": {"Last_Name"}, "Deals": {"Deal_Name", "Stage"}}
_LOOKUPS = {"Contacts": {"Account_Name": "Accounts"},
            "Deals": {"Account_Name": "Accounts", "Contact_Name": "Contacts"}}
_CRITERIA = re.compile(r"\((\w+):equals:((?:[^\\()]|\\.)*)\)")


class FakeZoho:
    def __init__(self, *, dc: str = "eu", client_id: str = "1000.ZOHOCLIENT", client_secret: str = "zoho-secret-value",
                 refresh_token: str = "1000.zoho-refresh-value", with_inkstream_fields: bool = True) -> None:
        self.accounts = f"https://accounts.zoho.{dc}"
        self.api_domain = f"https://www.zohoapis.{dc}"
        self.client_id, self.client_secret, self.refresh_token = client_id, client_secret, refresh_token
        self.fields = {m: set(f) | (_CUSTOM.get(m, set()) if with_inkstream_fields else set()) for m, f in _FIELDS.items()}
        self.records: dict[str, dict[str, dict]] = {m: {} for m in _FIELDS}
        self.attachments: dict[str, list[dict]] = {}
        self.attachment_data: dict[str, bytes] = {}
        self.notes: dict[str, list[dict]] = {}
        self.requests: list[httpx.Request] = []
        self.tokens: set[str] = set()
        self.token_requests = 0
        self.script = Script()
        self._ids = count(5725767000000400001)
        self._edits = 0

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def expire_tokens(self) -> None:
        self.tokens.clear()

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        url = str(request.url)
        if url.startswith(self.accounts + "/oauth/v2/token"):
            return self._token(request)
        if not url.startswith(self.api_domain + "/crm/v8/"):
            raise SpecViolation(f"API call outside this data centre's api_domain: {url}")
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Zoho-oauthtoken ") or auth.split(" ", 1)[1] not in self.tokens:
            return httpx.Response(401, json={"code": "INVALID_TOKEN", "details": {}, "message": "invalid oauth token",
                                             "status": "error"})
        return self.script.next(request, self._route) or self._route(request)

    def _token(self, request: httpx.Request) -> httpx.Response:
        self.token_requests += 1
        if request.method != "POST" or request.url.query:
            raise SpecViolation("refresh with a POST whose credentials are in the form body, not the URL")
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        if (form.get("grant_type"), form.get("client_id"), form.get("client_secret"), form.get("refresh_token")) != (
                "refresh_token", self.client_id, self.client_secret, self.refresh_token):
            return httpx.Response(200, json={"error": "invalid_code"})
        token = "1000." + secrets.token_hex(16)
        self.tokens.add(token)
        return httpx.Response(200, json={"access_token": token, "scope": "ZohoCRM.modules.ALL ZohoCRM.settings.fields.ALL",
                                         "api_domain": self.api_domain, "token_type": "Bearer", "expires_in": 3600})

    @staticmethod
    def _record_error(status: int, code: str, message: str, details: dict | None = None) -> httpx.Response:
        return httpx.Response(status, json={"data": [{"code": code, "details": details or {}, "message": message,
                                                      "status": "error"}]})

    def _route(self, request: httpx.Request) -> httpx.Response:
        parts = request.url.path.split("/crm/v8/", 1)[1].strip("/").split("/")
        m = request.method
        if parts == ["settings", "fields"]:
            return self._settings_fields(request)
        module = parts[0]
        if module not in self.records:
            return httpx.Response(400, json={"code": "INVALID_MODULE", "details": {}, "message": "the module name given seems to be invalid", "status": "error"})
        if parts[1:] == ["upsert"] and m == "POST":
            return self._upsert(module, json.loads(request.content))
        if parts[1:] == ["search"] and m == "GET":
            return self._search(module, request.url.params.get("criteria", ""))
        if parts[1:] == [] and m == "PUT":
            return self._update(module, json.loads(request.content))
        if len(parts) == 2 and m == "GET":
            record = self.records[module].get(parts[1])
            return httpx.Response(200, json={"data": [record]}) if record else httpx.Response(204)
        if len(parts) == 3 and parts[1] in self.records[module] and parts[2] in self.records and m == "GET":
            return self._related(module, parts[1], parts[2], request)
        if len(parts) == 3 and parts[1] in self.records[module]:
            if parts[2] == "Attachments":
                return self._attachments(module, parts[1], request)
            if parts[2] == "Notes":
                return self._notes(module, parts[1], request)
        if len(parts) == 4 and parts[2] == "Attachments" and m == "GET":  # "Download an Attachment"
            data = self.attachment_data.get(parts[3])
            if data is None or not any(a["id"] == parts[3] for a in self.attachments.get(parts[1], [])):
                return httpx.Response(400, json={"code": "INVALID_DATA", "details": {"id": parts[3]},
                                                 "message": "the related id given seems to be invalid", "status": "error"})
            return httpx.Response(200, content=data, headers={"Content-Type": "application/octet-stream"})
        if len(parts) == 3:
            return httpx.Response(400, json={"code": "INVALID_DATA", "details": {"id": parts[1]}, "message": "the related id given seems to be invalid", "status": "error"})
        raise SpecViolation(f"not a documented Zoho endpoint: {m} {request.url.path}")

    def _upsert(self, module: str, body: dict) -> httpx.Response:
        data, checks = body.get("data"), body.get("duplicate_check_fields")
        if not isinstance(data, list) or not 1 <= len(data) <= 100:
            raise SpecViolation("upsert takes 1..100 records in data")
        results = []
        for record in data:
            unknown = [k for k in record if k not in self.fields[module]]
            if unknown:
                return self._record_error(400, "INVALID_DATA", "invalid data", {"api_name": unknown[0]})
            for field, target in _LOOKUPS.get(module, {}).items():
                if field in record and (not isinstance(record[field], dict) or record[field].get("id") not in self.records[target]):
                    return self._record_error(400, "INVALID_DATA", "invalid data", {"api_name": field})
            found = None
            for field in checks or []:
                found = next((r for r in self.records[module].values() if field in record and r.get(field) == record[field]), None)
                if found:
                    break
            if found is None:
                missing = _MANDATORY[module] - set(record)
                if missing:
                    return self._record_error(400, "MANDATORY_NOT_FOUND", "required field not found",
                                              {"api_name": sorted(missing)[0]})
                found = {"id": str(next(self._ids))}
                self.records[module][found["id"]] = found
                action = "insert"
            else:
                action = "update"
            self._apply(found, record)
            results.append({"code": "SUCCESS", "duplicate_field": checks[0] if action == "update" else None,
                            "action": action, "details": {"id": found["id"], "Modified_Time": "2026-11-25T10:00:00+01:00"},
                            "message": "record added" if action == "insert" else "record updated", "status": "success"})
        return httpx.Response(200 if all(r["action"] == "update" for r in results) else 201, json={"data": results})

    def _apply(self, found: dict, record: dict) -> None:
        # Modified_Time moves when a value changes (an identical replay leaves the record as it was).
        if any(found.get(k) != v for k, v in record.items()):
            found.update(record)
            found["Modified_Time"] = self._modified()

    def _modified(self) -> str:
        self._edits += 1
        return f"2026-11-25T{10 + self._edits // 3600:02d}:{self._edits // 60 % 60:02d}:{self._edits % 60:02d}+01:00"

    def _update(self, module: str, body: dict) -> httpx.Response:
        """"Update Records": PUT /{module} with data[] (≤100), each with its record ``id``."""
        data = body.get("data")
        if not isinstance(data, list) or not 1 <= len(data) <= 100:
            raise SpecViolation("update takes 1..100 records in data")
        results = []
        for record in data:
            found = self.records[module].get(record.get("id"))
            if found is None:
                results.append({"code": "INVALID_DATA", "details": {"api_name": "id"}, "message": "the id given seems to be invalid",
                                "status": "error"})
                continue
            unknown = [k for k in record if k != "id" and k not in self.fields[module]]
            if unknown:
                return self._record_error(400, "INVALID_DATA", "invalid data", {"api_name": unknown[0]})
            self._apply(found, record)
            results.append({"code": "SUCCESS", "details": {"id": found["id"]}, "message": "record updated",
                            "status": "success"})
        return httpx.Response(200, json={"data": results})

    def _related(self, module: str, rid: str, related: str, request: httpx.Request) -> httpx.Response:
        """"Get Related Records": records of ``related`` whose lookup points at ``rid``."""
        self._require_fields_param(request)
        rows = [r for r in self.records[related].values()
                if any(isinstance(v, dict) and v.get("id") == rid for v in r.values())]
        return httpx.Response(200, json={"data": rows, "info": {"count": len(rows)}}) if rows else httpx.Response(204)

    def _search(self, module: str, criteria: str) -> httpx.Response:
        c = _CRITERIA.fullmatch(criteria)
        if not c:
            return httpx.Response(400, json={"code": "INVALID_QUERY", "details": {}, "message": "invalid query formed", "status": "error"})
        field, value = c.group(1), re.sub(r"\\(.)", r"\1", c.group(2))
        rows = [r for r in self.records[module].values() if str(r.get(field)) == value]
        if not rows:
            return httpx.Response(204)
        return httpx.Response(200, json={"data": rows, "info": {"count": len(rows), "more_records": False}})

    def _require_fields_param(self, request: httpx.Request) -> None:
        if request.method == "GET" and not request.url.params.get("fields"):
            raise SpecViolation("v8 GET on a related list needs the 'fields' parameter")

    def _attachments(self, module: str, rid: str, request: httpx.Request) -> httpx.Response:
        self._require_fields_param(request)
        items = self.attachments.setdefault(rid, [])
        if request.method == "GET":
            return httpx.Response(200, json={"data": items, "info": {"count": len(items)}}) if items else httpx.Response(204)
        parts = parse_multipart(request)
        if list(parts) != ["file"] or not parts["file"][0]:
            raise SpecViolation("attachments upload one multipart part named 'file' with a filename")
        item = {"id": str(next(self._ids)), "File_Name": parts["file"][0], "Size": str(len(parts["file"][2])),
                "Created_Time": f"2026-11-25T10:{len(items):02d}:00+01:00"}
        self.attachment_data[item["id"]] = parts["file"][2]
        items.append(item)
        return httpx.Response(200, json={"data": [{"code": "SUCCESS", "details": {"id": item["id"]},
                                                   "message": "attachment uploaded successfully", "status": "success"}]})

    def _notes(self, module: str, rid: str, request: httpx.Request) -> httpx.Response:
        self._require_fields_param(request)
        items = self.notes.setdefault(rid, [])
        if request.method == "GET":
            return httpx.Response(200, json={"data": items, "info": {"count": len(items)}}) if items else httpx.Response(204)
        (note,) = json.loads(request.content)["data"]
        if not note.get("Note_Content"):
            return self._record_error(400, "MANDATORY_NOT_FOUND", "required field not found", {"api_name": "Note_Content"})
        item = {"id": str(next(self._ids)), **note}
        items.append(item)
        return httpx.Response(201, json={"data": [{"code": "SUCCESS", "details": {"id": item["id"]},
                                                   "message": "record added", "status": "success"}]})

    def _settings_fields(self, request: httpx.Request) -> httpx.Response:
        module = request.url.params.get("module")
        if module not in self.fields:
            raise SpecViolation("settings/fields needs ?module=")
        if request.method == "GET":
            return httpx.Response(200, json={"fields": [{"api_name": f, "field_label": f.replace("_", " ")}
                                                        for f in sorted(self.fields[module])]})
        (spec,) = json.loads(request.content)["fields"]
        if "field_label" not in spec or "data_type" not in spec:
            raise SpecViolation("a custom field needs field_label and data_type")
        api_name = re.sub(r"\W+", "_", spec["field_label"].strip())
        if api_name in self.fields[module]:
            return httpx.Response(400, json={"fields": [{"code": "DUPLICATE_DATA", "details": {"api_name": api_name},
                                                         "message": "duplicate data", "status": "error"}]})
        self.fields[module].add(api_name)
        return httpx.Response(201, json={"fields": [{"code": "SUCCESS", "details": {"id": str(next(self._ids))},
                                                     "message": "field created", "status": "success"}]})
