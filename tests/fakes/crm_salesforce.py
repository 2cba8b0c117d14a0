"""A stateful fake of the Salesforce REST API, for httpx.MockTransport.

Follows, and validates each request against:
- Salesforce REST API Developer Guide: "Insert, Update, or Upsert a Record Using an
  External ID" (PATCH .../sobjects/{Obj}/{ExtField}/{value}: 201/200, 300 on several
  matches, 404 NOT_FOUND), "SObject Rows" (GET/PATCH .../sobjects/{Obj}/{Id}; ``IsClosed``
  of an Opportunity derived from its stage), "Insert or Update Blob Data" (ContentVersion multipart with
  parts ``entity_content`` + ``VersionData``), "Query", "Status Codes and Error Responses"
  (``[{"message", "errorCode"}]``), and the ``Sforce-Limit-Info`` response header;
- the CC0 request templates of forcedotcom/postman-salesforce-apis copied under
  ``tests/fakes/specs/salesforce`` (URL template, method, headers);
- OAuth 2.0 Refresh Token / Client Credentials flows (``POST /services/oauth2/token``);
- Tooling API Developer Guide: CustomField (``/tooling/sobjects/CustomField``, ``/tooling/query/``),
  CustomObject (``/tooling/sobjects/CustomObject``: label, pluralLabel, nameField,
  deploymentStatus, sharingModel); records of a custom object exist only once it and its
  fields were created (else 404 / INVALID_FIELD); a lookup takes the Id of its referenceTo;
- blob retrieve (``GET /sobjects/ContentVersion/{id}/VersionData``, template
  ``sobject_blob_retrieve.json``); outbound messages are built by the tests from the
  Outbound Messaging WSDL's ``notifications`` element;
- ContentVersion versions: a new ContentVersion with ``ContentDocumentId`` is the next
  VersionNumber of that document (``IsLatest`` moves; FirstPublishLocationId not allowed).
"""

from __future__ import annotations

import csv
import io
import json
import re
import secrets
from itertools import count
from pathlib import Path
from urllib.parse import parse_qs, unquote

import httpx

from fakes.crm_http import Script, SpecViolation, parse_multipart

__all__ = ["FakeSalesforce"]

SPEC_DIR = Path(__file__).parent / "specs" / "salesforce"
_PREFIX = {"PermissionSet": "0PS", "FieldPermissions": "01k", "PermissionSetAssignment": "0Pa",
           "Account": "001", "Contact": "003", "Opportunity": "006", "Contract": "800", "Task": "00T",
           "ContentVersion": "068", "ContentDocument": "069", "ContentDocumentLink": "06A", "CustomField": "00N"}


def _templates() -> list[tuple[re.Pattern, set[str], dict[str, str]]]:
    out = []
    for path in sorted(SPEC_DIR.glob("*.json")):
        t = json.loads(path.read_text())
        url = t["url"].split("?")[0].replace("{{_endpoint}}", "").replace("{{version}}", r"\d+\.\d")
        pattern = re.sub(r"<[A-Z_]+>", r"[^/]+", url)
        methods = {t["method"]}
        desc = (t.get("description") or "").strip().splitlines()
        if desc and re.fullmatch(r"[A-Z, ]+", desc[-1]):
            methods |= {m.strip() for m in desc[-1].split(",")}
        headers = {h["key"].lower(): h["value"] for h in t.get("headerData") or []}
        out.append((re.compile(pattern.rstrip("/") + "/?"), methods, headers))
    return out


_SIGNATURE = {"Inkstream_Document_Id__c", "Inkstream_Signature_Status__c", "Inkstream_Signed_At__c",
              "Inkstream_Signer__c", "Inkstream_Audit_Hash__c"}
# Fields of the objects inkstream writes (standard ones + what `crm setup` creates), so a
# mapping with a typo gets Salesforce's INVALID_FIELD, and creates check required fields.
_FIELDS = {
    "Account": {"Name", "Website", "Inkstream_Key__c"},
    "Contact": {"FirstName", "LastName", "Email", "AccountId", "Inkstream_Email__c"},
    "Opportunity": {"Name", "CloseDate", "Amount", "CurrencyIsoCode", "StageName", "Type", "AccountId"} | _SIGNATURE,
    "Contract": {"StartDate", "ContractTerm", "Status", "AccountId"} | _SIGNATURE,
    "Task": {"WhatId", "Subject", "Description", "Status", "Priority", "Inkstream_Idempotency_Key__c"},
}
_REQUIRED = {"Account": {"Name"}, "Contact": {"LastName"}, "Opportunity": {"Name", "StageName", "CloseDate"},
             "Contract": {"AccountId", "StartDate"}, "Task": set()}

# Resources whose requests are checked against the developer guides (no CC0 template):
# Bulk API 2.0 ingest jobs and sObject Collections upsert/update.
_DOC_ONLY = re.compile(r"/jobs/ingest/?(?:[^/]+/?(?:batches|successfulResults/?|failedResults/?)?)?|"
                       r"/composite/sobjects(?:/\w+/\w+)?/?")
# ContentVersion fields inkstream sets (standard + what `crm setup` creates).
_CONTENT_VERSION_FIELDS = {"Title", "PathOnClient", "FirstPublishLocationId", "ContentDocumentId", "IsMajorVersion",
                           "ReasonForChange", "Inkstream_Idempotency_Key__c", "Inkstream_Document_Id__c"}
_SOQL = re.compile(r"SELECT (?P<fields>.+?) FROM (?P<obj>\w+)(?: WHERE (?P<where>.+?))?(?: LIMIT (?P<limit>\d+))?$")
_COND = re.compile(r"(\w+) (=|LIKE|IN) (null|true|false|'(?:[^'\\]|\\.)*'|\((?:'(?:[^'\\]|\\.)*'(?:, )?)+\))")
_IN_ITEM = re.compile(r"'((?:[^'\\]|\\.)*)'")


class FakeSalesforce:
    def __init__(self, *, instance_url: str = "https://acme.my.salesforce.com",
                 login_url: str = "https://login.salesforce.com", api_version: str = "62.0",
                 client_id: str = "sf-client", client_secret: str = "sf-secret-value",
                 refresh_token: str = "sf-refresh-value", daily_limit: int = 15000) -> None:
        self.instance_url, self.login_url, self.api_version = instance_url, login_url, api_version
        self.client_id, self.client_secret, self.refresh_token = client_id, client_secret, refresh_token
        self.records: dict[str, dict[str, dict]] = {}
        self.tooling: dict[str, dict] = {}
        self.tooling_objects: dict[str, dict] = {}   # CustomObject (Tooling API)
        self.requests: list[httpx.Request] = []
        self.tokens: set[str] = set()
        self.token_requests = 0
        self.api_used, self.daily_limit = 0, daily_limit
        self.script = Script()
        self._ids = count(1)
        self._templates = _templates()
        self.jobs: dict[str, dict] = {}
        self.polls_before_complete = 1   # a job answers InProgress this many times first

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def expire_tokens(self) -> None:
        self.tokens.clear()

    def new_id(self, obj: str) -> str:
        return f"{_PREFIX.get(obj, 'a00')}{next(self._ids):012d}AAA"

    # --- dispatch ---------------------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        url = str(request.url)
        if url.startswith(self.login_url) and request.url.path == "/services/oauth2/token":
            return self._token(request)
        if not url.startswith(self.instance_url):
            raise SpecViolation(f"request to unknown host: {url}")
        self._validate(request)
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.tokens:
            return self._error(401, "INVALID_SESSION_ID", "Session expired or invalid")
        self.api_used += 1
        scripted = self.script.next(request, self._route)
        resp = scripted or self._route(request)
        resp.headers["Sforce-Limit-Info"] = f"api-usage={self.api_used}/{self.daily_limit}"
        return resp

    def _validate(self, request: httpx.Request) -> None:
        path = request.url.path
        base = f"/services/data/v{self.api_version}"
        if not path.startswith(base + "/"):
            raise SpecViolation(f"path {path} is not under {base}")
        if _DOC_ONLY.fullmatch(path[len(base):]):
            return self._validate_documented(request, path[len(base):])
        checked = path.replace("/tooling/", "/", 1)  # Tooling API mirrors the REST resources
        for pattern, methods, headers in self._templates:
            if pattern.fullmatch(checked):
                if request.method not in methods:
                    continue
                if request.method in ("PATCH", "POST"):
                    ctype = request.headers.get("content-type", "")
                    wanted = headers.get("content-type", "application/json")
                    blob = path.endswith("/sobjects/ContentVersion") and ctype.startswith("multipart/form-data")
                    if not blob and not ctype.startswith(wanted):
                        raise SpecViolation(f"{request.method} {path}: Content-Type {ctype!r}, template wants {wanted!r}")
                return
        raise SpecViolation(f"{request.method} {path} matches no Salesforce request template")

    def _validate_documented(self, request: httpx.Request, path: str) -> None:
        """Bulk API 2.0 and collection upserts have no request template in the CC0 set:
        checked against the developer guides' documented methods and content types."""
        wanted = {("POST", "jobs"): "application/json", ("PUT", "batches"): "text/csv",
                  ("PATCH", "jobs"): "application/json", ("PATCH", "composite"): "application/json"}
        kind = "batches" if path.endswith("/batches") else path.strip("/").split("/")[0]
        ctype = wanted.get((request.method, kind))
        if request.method in ("POST", "PUT", "PATCH"):
            if ctype is None:
                raise SpecViolation(f"{request.method} {path}: not a documented Bulk API 2.0 / collections request")
            if not request.headers.get("content-type", "").startswith(ctype):
                raise SpecViolation(f"{request.method} {path}: Content-Type must be {ctype}")
        elif request.method != "GET":
            raise SpecViolation(f"{request.method} {path}: not documented")

    def _route(self, request: httpx.Request) -> httpx.Response:
        parts = request.url.path.split(f"/services/data/v{self.api_version}/", 1)[1].strip("/").split("/")
        if parts[:2] == ["jobs", "ingest"]:
            return self._ingest(request, parts[2:])
        if parts[:2] == ["composite", "sobjects"]:
            return self._collection(request, parts[2:])
        tooling = parts[0] == "tooling"
        if tooling:
            parts = parts[1:]
        if parts == ["query"]:
            return self._query(request.url.params["q"], tooling)
        if parts[0] == "sobjects":
            if tooling:
                return self._custom_object(request) if parts[1] == "CustomObject" else self._custom_field(request)
            if len(parts) == 2 and request.method == "POST":
                return self._create(parts[1], request)
            if len(parts) == 3 and request.method == "PATCH":
                return self._update(parts[1], parts[2], request)
            if len(parts) == 3 and request.method == "GET":
                return self._get(parts[1], parts[2])
            if len(parts) == 4 and request.method == "GET" and parts[1] == "ContentVersion" and parts[3] == "VersionData":
                version = self.records.get("ContentVersion", {}).get(parts[2])
                if version is None:
                    return self._error(404, "NOT_FOUND", "The requested resource does not exist")
                return httpx.Response(200, content=version["VersionData"],
                                      headers={"Content-Type": "application/octetstream"})
            if len(parts) == 4:
                return self._by_external_id(request, parts[1], parts[2], unquote(parts[3]))
        raise SpecViolation(f"fake does not implement {request.method} {request.url.path}")

    # --- auth -----------------------------------------------------------------------------

    def _token(self, request: httpx.Request) -> httpx.Response:
        self.token_requests += 1
        if request.method != "POST" or not request.headers.get("content-type", "").startswith(
                "application/x-www-form-urlencoded"):
            raise SpecViolation("token requests are form-encoded POSTs")
        if request.url.query:
            raise SpecViolation("credentials must not travel in the token URL's query string")
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        grant = form.get("grant_type")
        if grant not in ("refresh_token", "client_credentials"):
            return httpx.Response(400, json={"error": "unsupported_grant_type", "error_description": "grant type not supported"})
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return httpx.Response(400, json={"error": "invalid_client", "error_description": "invalid client credentials"})
        if grant == "refresh_token" and form.get("refresh_token") != self.refresh_token:
            return httpx.Response(400, json={"error": "invalid_grant", "error_description": "expired access/refresh token"})
        token = "00DXX0000001gPL!" + secrets.token_urlsafe(24)
        self.tokens.add(token)
        return httpx.Response(200, json={"access_token": token, "instance_url": self.instance_url,
                                         "id": f"{self.login_url}/id/00DXX/005XX", "token_type": "Bearer",
                                         "issued_at": "1764000000000", "signature": "c2lnbmF0dXJl"})

    @staticmethod
    def _error(status: int, code: str, message: str) -> httpx.Response:
        return httpx.Response(status, json=[{"message": message, "errorCode": code}])

    # --- records --------------------------------------------------------------------------

    def _matching(self, obj: str, field: str, value: object) -> list[dict]:
        return [r for r in self.records.get(obj, {}).values() if r.get(field) == value]

    def _resolve_relationships(self, body: dict) -> dict | httpx.Response:
        out = {}
        for key, value in body.items():
            if isinstance(value, dict):  # {"Account": {"Inkstream_Key__c": "acme.example"}}
                (ext_field, ext_value), = value.items()
                parents = self._matching(key, ext_field, ext_value)
                if len(parents) != 1:
                    return self._error(400, "INVALID_FIELD", f"Foreign key external ID: {ext_value} not found for "
                                                             f"field {ext_field} in entity {key}")
                out[f"{key}Id"] = parents[0]["Id"]
            else:
                out[key] = value
        return out

    def _by_external_id(self, request: httpx.Request, obj: str, field: str, value: str) -> httpx.Response:
        found = self._matching(obj, field, value)
        if request.method == "GET":
            if not found:
                return self._error(404, "NOT_FOUND", "The requested resource does not exist")
            if len(found) > 1:
                return httpx.Response(300, json=[f"/services/data/v{self.api_version}/sobjects/{obj}/{r['Id']}" for r in found])
            return httpx.Response(200, json={"attributes": {"type": obj}, **found[0]})
        body = self._resolve_relationships(json.loads(request.content or b"{}"))
        if isinstance(body, httpx.Response):
            return body
        if len(found) > 1:
            return httpx.Response(300, json=[f"/services/data/v{self.api_version}/sobjects/{obj}/{r['Id']}" for r in found])
        invalid = self._invalid(obj, {**body, field: value}, creating=not found)
        if invalid is not None:
            return invalid
        if found:
            found[0].update(body)
            return httpx.Response(200, json={"id": found[0]["Id"], "success": True, "errors": [], "created": False})
        record = {"Id": self.new_id(obj), field: value, **body}
        self.records.setdefault(obj, {})[record["Id"]] = record
        return httpx.Response(201, json={"id": record["Id"], "success": True, "errors": [], "created": True})

    def _custom_fields_of(self, obj: str) -> dict[str, dict]:
        return {f"{r['DeveloperName']}__c": r["Metadata"] for r in self.tooling.values() if r["TableEnumOrId"] == obj}

    def _invalid(self, obj: str, body: dict, *, creating: bool) -> httpx.Response | None:
        if obj.endswith("__c"):  # a custom object: exists only once created, with its fields
            if obj.removesuffix("__c") not in {o["DeveloperName"] for o in self.tooling_objects.values()}:
                return self._error(404, "NOT_FOUND", f"sObject type '{obj}' is not supported.")
            fields = self._custom_fields_of(obj)
            for name, value in body.items():
                if name not in fields:
                    return self._error(400, "INVALID_FIELD", f"No such column '{name}' on sobject of type {obj}")
                target = fields[name].get("referenceTo")
                if target and value not in self.records.get(target, {}):
                    return self._error(400, "FIELD_INTEGRITY_EXCEPTION", f"{name}: id value of incorrect type")
            return None
        known = _FIELDS.get(obj)
        if known is None:
            return None
        unknown = sorted(set(body) - known)
        if unknown:
            return self._error(400, "INVALID_FIELD", f"No such column '{unknown[0]}' on sobject of type {obj}")
        missing = sorted(_REQUIRED[obj] - set(body)) if creating else []
        if missing:
            return self._error(400, "REQUIRED_FIELD_MISSING", f"Required fields are missing: [{', '.join(missing)}]")
        return None

    def _update(self, obj: str, record_id: str, request: httpx.Request) -> httpx.Response:
        record = self.records.get(obj, {}).get(record_id)
        if record is None:
            return self._error(404, "NOT_FOUND", "The requested resource does not exist")
        body = self._resolve_relationships(json.loads(request.content))
        if isinstance(body, httpx.Response):
            return body
        invalid = self._invalid(obj, body, creating=False)
        if invalid is not None:
            return invalid
        record.update(body)
        return httpx.Response(204)

    def _get(self, obj: str, record_id: str) -> httpx.Response:
        """SObject Rows GET: the record (or 404 NOT_FOUND)."""
        record = self.records.get(obj, {}).get(record_id)
        if record is None:
            return self._error(404, "NOT_FOUND", "The requested resource does not exist")
        return httpx.Response(200, json={"attributes": {"type": obj}, **self._view(obj, record)})

    @staticmethod
    def _view(obj: str, record: dict) -> dict:
        # Opportunity.IsClosed is derived by Salesforce from the stage (Closed Won / Closed Lost).
        if obj == "Opportunity":
            return {**record, "IsClosed": str(record.get("StageName", "")).startswith("Closed")}
        return record

    def _create(self, obj: str, request: httpx.Request) -> httpx.Response:
        if obj == "ContentVersion":
            return self._content_version(request)
        body = json.loads(request.content)
        if obj == "ContentDocumentLink":
            if self._links(body["ContentDocumentId"], body["LinkedEntityId"]):
                return self._error(400, "DUPLICATE_VALUE", "Document is already linked with the entity")
        record = {"Id": self.new_id(obj), **body}
        self.records.setdefault(obj, {})[record["Id"]] = record
        return httpx.Response(201, json={"id": record["Id"], "success": True, "errors": []})

    def _links(self, document_id: str, entity_id: str) -> list[dict]:
        return [r for r in self.records.get("ContentDocumentLink", {}).values()
                if r["ContentDocumentId"] == document_id and r["LinkedEntityId"] == entity_id]

    def _content_version(self, request: httpx.Request) -> httpx.Response:
        parts = parse_multipart(request)
        if set(parts) != {"entity_content", "VersionData"}:
            raise SpecViolation(f"ContentVersion multipart needs entity_content + VersionData, got {sorted(parts)}")
        _, ctype, raw = parts["entity_content"]
        if ctype != "application/json":
            raise SpecViolation("entity_content must be application/json")
        entity = json.loads(raw)
        filename, _, data = parts["VersionData"]
        if not filename or not entity.get("PathOnClient"):
            raise SpecViolation("VersionData needs a filename and entity_content a PathOnClient")
        unknown = sorted(set(entity) - _CONTENT_VERSION_FIELDS)
        if unknown:
            return self._error(400, "INVALID_FIELD", f"No such column '{unknown[0]}' on sobject of type ContentVersion")
        parent = entity.get("FirstPublishLocationId")
        if parent and not any(parent in recs for recs in self.records.values()):
            return self._error(400, "FIELD_INTEGRITY_EXCEPTION", "First Publish Location ID: id value of incorrect type")
        versions = self.records.setdefault("ContentVersion", {})
        doc_id = entity.get("ContentDocumentId")
        if doc_id:  # a new version of an existing document ("Insert or Update Blob Data")
            if parent:
                return self._error(400, "FIELD_INTEGRITY_EXCEPTION",
                                   "FirstPublishLocationId cannot be set on a new version of an existing document")
            previous = [v for v in versions.values() if v["ContentDocumentId"] == doc_id]
            if not previous:
                return self._error(400, "FIELD_INTEGRITY_EXCEPTION", "Content Document ID: id value of incorrect type")
            for v in previous:
                v["IsLatest"] = False
            number = len(previous) + 1
        else:
            doc_id, number = self.new_id("ContentDocument"), 1
        version = {"Id": self.new_id("ContentVersion"), "VersionData": data, "VersionNumber": str(number),
                   "IsLatest": True, "IsMajorVersion": False, **entity, "ContentDocumentId": doc_id}
        versions[version["Id"]] = version
        if parent:  # Salesforce links the document to its first publish location itself
            link = {"Id": self.new_id("ContentDocumentLink"), "ContentDocumentId": doc_id, "LinkedEntityId": parent}
            self.records.setdefault("ContentDocumentLink", {})[link["Id"]] = link
        return httpx.Response(201, json={"id": version["Id"], "success": True, "errors": []})

    # --- SOQL (the subset the connector uses) ------------------------------------------------

    def _query(self, soql: str, tooling: bool) -> httpx.Response:
        m = _SOQL.match(soql.strip())
        if not m:
            return self._error(400, "MALFORMED_QUERY", f"unexpected token in {soql!r}")
        fields = [f.strip() for f in m["fields"].split(",")]
        source = ((self.tooling_objects if m["obj"] == "CustomObject" else self.tooling) if tooling
                  else self.records.get(m["obj"], {}))
        rows = [self._view(m["obj"], r) for r in source.values()]
        for cond in (m["where"] or "").split(" AND ") if m["where"] else []:
            c = _COND.fullmatch(cond.strip())
            if not c:
                return self._error(400, "MALFORMED_QUERY", f"cannot parse condition {cond!r}")
            name, op, raw = c.groups()
            if op == "IN":
                wanted = {re.sub(r"\\(.)", r"\1", v) for v in _IN_ITEM.findall(raw)}
                rows = [r for r in rows if r.get(name) in wanted]
                continue
            literal = {"null": None, "true": True, "false": False}.get(raw) if raw[0] != "'" else re.sub(
                r"\\(.)", r"\1", raw[1:-1])
            if op == "=":
                rows = [r for r in rows if r.get(name) == literal]
            else:
                suffix = (literal or "").lstrip("%")
                rows = [r for r in rows if str(r.get(name) or "").endswith(suffix)]
        if m["limit"]:
            rows = rows[: int(m["limit"])]
        records = [{"attributes": {"type": m["obj"]}, **{f: r.get(f) for f in fields}} for r in rows]
        return httpx.Response(200, json={"totalSize": len(records), "done": True, "records": records})

    def _custom_field(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        full = body.get("FullName", "")
        obj, _, name = full.partition(".")
        if not name.endswith("__c") or "Metadata" not in body or "type" not in body["Metadata"]:
            raise SpecViolation(f"CustomField needs FullName Object.Name__c and Metadata.type: {body}")
        developer = name.removesuffix("__c")
        if any(r["TableEnumOrId"] == obj and r["DeveloperName"] == developer for r in self.tooling.values()):
            return self._error(400, "DUPLICATE_DEVELOPER_NAME", f"There is already a field named {developer} on {obj}.")
        fid = self.new_id("CustomField")
        self.tooling[fid] = {"Id": fid, "TableEnumOrId": obj, "DeveloperName": developer, "Metadata": body["Metadata"]}
        return httpx.Response(201, json={"id": fid, "success": True, "errors": []})

    # --- Bulk API 2.0 ingest jobs -----------------------------------------------------------

    def _ingest(self, request: httpx.Request, parts: list[str]) -> httpx.Response:
        m = request.method
        if not parts and m == "POST":
            spec = json.loads(request.content)
            if spec.get("contentType", "CSV") != "CSV" or spec.get("operation") not in ("insert", "upsert", "update"):
                raise SpecViolation(f"ingest job spec: {spec}")
            if spec["operation"] == "upsert" and not spec.get("externalIdFieldName"):
                raise SpecViolation("an upsert job names its externalIdFieldName")
            job_id = f"750{next(self._ids):012d}AAA"
            self.jobs[job_id] = {"id": job_id, "state": "Open", "object": spec["object"], "operation": spec["operation"],
                                 "externalIdFieldName": spec.get("externalIdFieldName"), "csv": [], "polls": 0,
                                 "lineEnding": spec.get("lineEnding", "LF"), "ok": [], "failed": []}
            return httpx.Response(200, json=self._job_info(self.jobs[job_id]))
        job = self.jobs.get(parts[0]) if parts else None
        if job is None:
            return self._error(404, "NOT_FOUND", "The requested resource does not exist")
        rest = parts[1:]
        if rest == ["batches"] and m == "PUT":
            if job["state"] != "Open":
                return self._error(409, "INVALIDJOBSTATE", f"Job is in {job['state']} state")
            job["csv"].append(request.content.decode())
            return httpx.Response(201)
        if not rest and m == "PATCH":
            state = json.loads(request.content).get("state")
            if state == "UploadComplete" and job["state"] == "Open":
                job["state"] = "UploadComplete"
            elif state == "Aborted":
                job["state"] = "Aborted"
            else:
                return self._error(400, "INVALIDJOBSTATE", f"cannot go from {job['state']} to {state}")
            return httpx.Response(200, json=self._job_info(job))
        if not rest and m == "GET":
            if job["state"] in ("UploadComplete", "InProgress"):
                job["polls"] += 1
                if job["polls"] > self.polls_before_complete:
                    self._run_job(job)
                else:
                    job["state"] = "InProgress"
            return httpx.Response(200, json=self._job_info(job))
        if rest in (["successfulResults"], ["failedResults"]) and m == "GET":
            if job["state"] != "JobComplete":
                return self._error(400, "INVALIDJOBSTATE", "results are available when the job is complete")
            rows = job["ok"] if rest == ["successfulResults"] else job["failed"]
            head = ["sf__Id", "sf__Created"] if rest == ["successfulResults"] else ["sf__Id", "sf__Error"]
            buf = io.StringIO()
            w = csv.writer(buf, lineterminator="\n")
            w.writerow(head + job["columns"])
            for extra, rec in rows:
                w.writerow(extra + [rec.get(c, "") for c in job["columns"]])
            return httpx.Response(200, text=buf.getvalue(), headers={"Content-Type": "text/csv"})
        raise SpecViolation(f"not a Bulk API 2.0 request: {m} {request.url.path}")

    def _job_info(self, job: dict) -> dict:
        return {"id": job["id"], "operation": job["operation"], "object": job["object"], "state": job["state"],
                "externalIdFieldName": job["externalIdFieldName"], "contentType": "CSV", "apiVersion": float(self.api_version),
                "lineEnding": job["lineEnding"], "numberRecordsProcessed": len(job["ok"]) + len(job["failed"]),
                "numberRecordsFailed": len(job["failed"]),
                "contentUrl": f"services/data/v{self.api_version}/jobs/ingest/{job['id']}/batches"}

    def _run_job(self, job: dict) -> None:
        job["columns"] = []
        for text in job["csv"]:
            reader = csv.DictReader(io.StringIO(text))
            job["columns"] = job["columns"] or list(reader.fieldnames or [])
            seen = set()
            key = job["externalIdFieldName"] if job["operation"] == "upsert" else "Id"
            for rec in reader:
                if rec.get(key) in seen:
                    job["failed"].append((["", f"DUPLICATE_VALUE:Duplicate external id specified: {rec.get(key)}"], rec))
                    continue
                seen.add(rec.get(key))
                body: dict = {}
                for col, value in rec.items():
                    if col == key or value == "":
                        continue
                    value = None if value == "#N/A" else value
                    if "." in col:  # relationship by the parent's external id
                        rel, field = col.split(".", 1)
                        body[rel] = {field: value}
                    else:
                        body[col] = value
                url = (f"{self.instance_url}/services/data/v{self.api_version}/sobjects/{job['object']}/{key}/{rec[key]}"
                       if job["operation"] == "upsert" else
                       f"{self.instance_url}/services/data/v{self.api_version}/sobjects/{job['object']}/{rec['Id']}")
                sub = httpx.Request("PATCH", url, json=body)
                resp = (self._by_external_id(sub, job["object"], key, rec[key]) if job["operation"] == "upsert"
                        else self._update(job["object"], rec["Id"], sub))
                if resp.status_code < 300:
                    rid = resp.json()["id"] if resp.content else rec["Id"]
                    job["ok"].append(([rid, "true" if resp.status_code == 201 else "false"], rec))
                else:
                    err = resp.json()[0] if resp.content else {"errorCode": str(resp.status_code), "message": ""}
                    job["failed"].append((["", f"{err['errorCode']}:{err['message']}"], rec))
        job["state"] = "JobComplete"

    # --- sObject Collections -----------------------------------------------------------------

    def _collection(self, request: httpx.Request, parts: list[str]) -> httpx.Response:
        body = json.loads(request.content)
        records = body.get("records")
        if request.method != "PATCH" or not isinstance(records, list) or not 1 <= len(records) <= 200:
            raise SpecViolation("sObject Collections upsert/update: PATCH with 1..200 records")
        results = []
        for rec in records:
            obj = (rec.get("attributes") or {}).get("type")
            if not obj or (parts and obj != parts[0]):
                raise SpecViolation("each collection record names its attributes.type (the URL's object)")
            fields = {k: v for k, v in rec.items() if k != "attributes"}
            if parts:  # upsert by external id
                field = parts[1]
                value = fields.pop(field)
                sub = httpx.Request("PATCH", f"{self.instance_url}/x", json=fields)
                resp = self._by_external_id(sub, obj, field, value)
            else:
                rid = fields.pop("Id")
                resp = self._update(obj, rid, httpx.Request("PATCH", f"{self.instance_url}/x", json=fields))
            if resp.status_code < 300:
                results.append({"id": resp.json()["id"] if resp.content else rid, "success": True, "errors": [],
                                "created": resp.status_code == 201})
            else:
                err = resp.json()[0]
                results.append({"id": None, "success": False, "errors": [
                    {"statusCode": err["errorCode"], "message": err["message"], "fields": []}]})
        return httpx.Response(200, json=results)

    # --- Tooling API: CustomObject ------------------------------------------------------------

    def _custom_object(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        name, meta = body.get("FullName", ""), body.get("Metadata") or {}
        if not name.endswith("__c") or not {"label", "pluralLabel", "nameField", "deploymentStatus",
                                             "sharingModel"} <= set(meta):
            raise SpecViolation(f"CustomObject needs FullName Name__c and Metadata label, pluralLabel, nameField, "
                                f"deploymentStatus, sharingModel: {body}")
        developer = name.removesuffix("__c")
        if any(o["DeveloperName"] == developer for o in self.tooling_objects.values()):
            return self._error(400, "DUPLICATE_DEVELOPER_NAME", f"There is already an object named {developer}.")
        oid = f"01I{next(self._ids):012d}AAA"
        self.tooling_objects[oid] = {"Id": oid, "DeveloperName": developer, "Metadata": meta}
        return httpx.Response(201, json={"id": oid, "success": True, "errors": []})
