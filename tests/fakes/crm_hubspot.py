"""A stateful fake of HubSpot's APIs, for httpx.MockTransport.

Built from HubSpot's developer documentation (its OpenAPI files may not be copied):
- CRM API v3 objects: "Create or update a batch of objects by unique property values"
  (``POST /crm/v3/objects/{type}/batch/upsert``, ``inputs[].idProperty/id/properties``,
  results with ``new``), read by ``idProperty``, search, batch read, 404 ``OBJECT_NOT_FOUND``,
  400 ``VALIDATION_ERROR`` / ``PROPERTY_DOESNT_EXIST``;
- Associations v4: "Associate records (default)" ``PUT .../associations/default/{to}/{id}``,
  and in batch ``POST /crm/v4/associations/{from}/{to}/batch/associate/default``; batch read
  by ``idProperty`` (``POST /crm/v3/objects/{type}/batch/read``, ≤100 inputs),
  list ``GET /crm/v4/objects/{type}/{id}/associations/{toType}``;
- Files v3: "Upload file" (multipart ``file``, ``options`` JSON with ``access``, ``folderPath``
  or ``folderId``); Engagements: notes (``hs_timestamp`` required, ``hs_attachment_ids``);
- Timeline API v3: "Create a single event" (``POST /crm/v3/timeline/events``: eventTemplateId,
  objectId, tokens of the template, id unique per template -> 409 on reuse);
- Files v3 "Get signed URL" (``GET /files/v3/files/{id}/signed-url``: url on the file CDN,
  fetched without the API token);
- Properties v3: create (409 ``OBJECT_ALREADY_EXISTS`` when it exists);
- OAuth ``POST /oauth/v1/token`` (refresh_token grant) and private-app bearer tokens;
- API usage guidelines: per-10-second limit, 429 ``RATE_LIMIT`` / ``TEN_SECONDLY_ROLLING``.
"""

from __future__ import annotations

import json
import secrets
import time
from collections import deque
from collections.abc import Callable
from itertools import count
from urllib.parse import parse_qs, unquote

import httpx

from fakes.crm_http import Script, SpecViolation, parse_multipart

__all__ = ["FakeHubSpot"]

_STANDARD = {
    "contacts": {"email": True, "firstname": False, "lastname": False},
    "companies": {"name": False, "domain": False},
    "deals": {"dealname": False, "amount": False, "deal_currency_code": False, "closedate": False,
              "pipeline": False, "dealstage": False},
    "notes": {"hs_timestamp": False, "hs_note_body": False, "hs_attachment_ids": False},
}
_CUSTOM = {"companies": {"inkstream_company_key": True},
           "deals": {"inkstream_document_id": True, "inkstream_signature_status": False,
                     "inkstream_signed_at": False, "inkstream_signer": False, "inkstream_audit_hash": False}}
_NOTE_TYPES = {214: "deals", 202: "contacts", 190: "companies"}


class FakeHubSpot:
    def __init__(self, *, private_app_token: str = "pat-na1-11111111-2222-3333-4444-555555555555",
                 client_id: str = "hs-client", client_secret: str = "hs-secret-value",
                 refresh_token: str = "hs-refresh-value", with_inkstream_properties: bool = True,
                 limit_per_10s: int | None = None, daily_limit: int | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.base = "https://api.hubapi.com"
        self.private_app_token = private_app_token
        self.client_id, self.client_secret, self.refresh_token = client_id, client_secret, refresh_token
        self.properties = {t: dict(p) for t, p in _STANDARD.items()}
        if with_inkstream_properties:
            for t, p in _CUSTOM.items():
                self.properties[t].update(p)
        self.objects: dict[str, dict[str, dict]] = {t: {} for t in self.properties}
        self.associations: set[tuple[str, str, str, str]] = set()
        self.files: dict[str, dict] = {}
        # Timeline API v3: the app's event templates (id -> objectType, token names) and events.
        self.timeline_templates: dict[str, dict] = {}
        self.timeline_events: dict[str, dict] = {}
        self.cdn_host, self._signed = "f.hubspotusercontent-na1.net", {}
        self.requests: list[httpx.Request] = []
        self.tokens: set[str] = {private_app_token}
        self.token_requests = 0
        self.script = Script()
        self.rate_limited = 0
        self._limit, self._clock, self._window = limit_per_10s, clock, deque()
        self.daily_limit, self.daily_used = daily_limit, 0
        self._ids = count(1001)

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def expire_tokens(self) -> None:
        """OAuth access tokens expire; a private-app token does not."""
        self.tokens = {self.private_app_token}

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.host == self.cdn_host:  # a signed file URL: no bearer token, a token in the URL
            if "authorization" in request.headers:
                raise SpecViolation("the signed file URL is fetched without the API token")
            fid = request.url.path.rsplit("/", 1)[-1]
            if request.url.params.get("token") != self._signed.get(fid):
                return httpx.Response(403)
            return httpx.Response(200, content=self.files[fid]["data"], headers={"Content-Type": "application/pdf"})
        if not str(request.url).startswith(self.base):
            raise SpecViolation(f"request to unknown host {request.url}")
        if request.url.path == "/oauth/v1/token":
            return self._token(request)
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.tokens:
            return httpx.Response(401, json={"status": "error", "message": "Authentication credentials not found.",
                                             "category": "INVALID_AUTHENTICATION"})
        if self._over_limit():
            self.rate_limited += 1
            return httpx.Response(429, json={"status": "error", "message": "You have reached your ten_secondly_rolling limit.",
                                             "errorType": "RATE_LIMIT", "policyName": "TEN_SECONDLY_ROLLING"})
        resp = self.script.next(request, self._route) or self._route(request)
        if self._limit is not None:  # documented response headers of the rolling limit
            resp.headers["X-HubSpot-RateLimit-Max"] = str(self._limit)
            resp.headers["X-HubSpot-RateLimit-Remaining"] = str(self._limit - len(self._window))
            resp.headers["X-HubSpot-RateLimit-Interval-Milliseconds"] = "10000"
        if self.daily_limit is not None and auth[7:] == self.private_app_token:
            # Daily headers come with private-app calls only (changelog 2018-11-06 and the
            # OAuth note: "OAuth authenticated calls will not include X-HubSpot-RateLimit-Daily").
            self.daily_used += 1
            resp.headers["X-HubSpot-RateLimit-Daily"] = str(self.daily_limit)
            resp.headers["X-HubSpot-RateLimit-Daily-Remaining"] = str(max(0, self.daily_limit - self.daily_used))
        return resp

    def _over_limit(self) -> bool:
        if self._limit is None:
            return False
        now = self._clock()
        while self._window and self._window[0] <= now - 10.0:
            self._window.popleft()
        if len(self._window) >= self._limit:
            return True
        self._window.append(now)
        return False

    def _token(self, request: httpx.Request) -> httpx.Response:
        self.token_requests += 1
        if request.url.query or not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            raise SpecViolation("OAuth token requests are form-encoded POST bodies")
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        if (form.get("grant_type"), form.get("client_id"), form.get("client_secret"), form.get("refresh_token")) != (
                "refresh_token", self.client_id, self.client_secret, self.refresh_token):
            return httpx.Response(400, json={"status": "BAD_REFRESH_TOKEN", "message": "missing or unknown refresh token"})
        token = "CJSP" + secrets.token_urlsafe(24)
        self.tokens.add(token)
        return httpx.Response(200, json={"token_type": "bearer", "refresh_token": self.refresh_token,
                                         "access_token": token, "expires_in": 1800})

    @staticmethod
    def _err(status: int, category: str, message: str) -> httpx.Response:
        return httpx.Response(status, json={"status": "error", "message": message, "category": category,
                                            "correlationId": "00000000-0000-0000-0000-000000000000"})

    def _route(self, request: httpx.Request) -> httpx.Response:
        parts = request.url.path.strip("/").split("/")
        body = json.loads(request.content) if request.content and not parts[0] == "files" else None
        m = request.method
        if parts[:3] == ["crm", "v3", "objects"]:
            t = parts[3]
            if t not in self.objects:
                return self._err(400, "VALIDATION_ERROR", f"Unable to infer object type from: {t}")
            if parts[4:] == ["batch", "upsert"] and m == "POST":
                return self._upsert(t, body)
            if parts[4:] == ["batch", "read"] and m == "POST":
                return self._batch_read(t, body)
            if parts[4:] == ["search"] and m == "POST":
                return self._search(t, body)
            if len(parts) == 4 and m == "POST" and t == "notes":
                return self._create_note(body)
            if len(parts) == 5 and m == "GET":
                return self._read(t, unquote(parts[4]), request.url.params.get("idProperty"))
            if len(parts) == 5 and m == "PATCH":
                return self._patch(t, parts[4], body)
        if parts[:3] == ["crm", "v4", "associations"] and parts[5:] == ["batch", "associate", "default"] and m == "POST":
            return self._batch_associate(parts[3], parts[4], body)
        if parts[:3] == ["crm", "v4", "objects"]:
            if len(parts) == 9 and parts[5:7] == ["associations", "default"] and m == "PUT":
                return self._associate(parts[3], parts[4], parts[7], parts[8])
            if len(parts) == 7 and parts[5] == "associations" and m == "GET":
                return self._list_associations(parts[3], parts[4], parts[6])
        if parts[:3] == ["crm", "v3", "properties"] and len(parts) == 4 and m == "POST":
            return self._create_property(parts[3], body)
        if parts == ["crm", "v3", "timeline", "events"] and m == "POST":
            return self._timeline_event(body)
        if parts[:3] == ["files", "v3", "files"] and parts[4:] == ["signed-url"] and m == "GET":
            fid = parts[3]
            if fid not in self.files:
                return self._err(404, "OBJECT_NOT_FOUND", "file not found")
            self._signed[fid] = secrets.token_urlsafe(12)
            return httpx.Response(200, json={"url": f"https://{self.cdn_host}/signed/{fid}?token={self._signed[fid]}",
                                             "name": self.files[fid]["name"], "extension": "pdf", "type": "DOCUMENT",
                                             "size": len(self.files[fid]["data"]), "expiresAt": "2026-11-25T00:05:00Z"})
        if parts == ["files", "v3", "files"] and m == "POST":
            return self._upload(request)
        raise SpecViolation(f"not a documented HubSpot endpoint: {m} {request.url.path}")

    def _check_props(self, t: str, props: dict) -> httpx.Response | None:
        for name, value in props.items():
            if name not in self.properties[t]:
                return self._err(400, "VALIDATION_ERROR", f'Property values were not valid: [{{"name":"{name}",'
                                 f'"error":"PROPERTY_DOESNT_EXIST"}}]')
            if not isinstance(value, str):
                raise SpecViolation(f"property {name} must be sent as a string, got {value!r}")
        return None

    def _find(self, t: str, prop: str, value: str) -> dict | None:
        return next((o for o in self.objects[t].values() if o["properties"].get(prop) == value), None)

    def _upsert(self, t: str, body: dict) -> httpx.Response:
        results = []
        for item in body["inputs"]:
            prop = item.get("idProperty")
            if not self.properties[t].get(prop):
                return self._err(400, "VALIDATION_ERROR", f"{prop} is not a unique property of {t}")
            bad = self._check_props(t, item.get("properties", {}))
            if bad:
                return bad
            found = self._find(t, prop, item["id"])
            if found is None:
                found = {"id": str(next(self._ids)), "properties": {prop: item["id"]}, "archived": False}
                self.objects[t][found["id"]] = found
                new = True
            else:
                new = False
            found["properties"].update(item.get("properties", {}))
            results.append({**found, "new": new})
        return httpx.Response(200, json={"status": "COMPLETE", "results": results,
                                         "startedAt": "2026-11-25T00:00:00Z", "completedAt": "2026-11-25T00:00:01Z"})

    def _read(self, t: str, key: str, id_property: str | None) -> httpx.Response:
        found = self._find(t, id_property, key) if id_property else self.objects[t].get(key)
        if found is None:
            return self._err(404, "OBJECT_NOT_FOUND", "resource not found")
        return httpx.Response(200, json=found)

    def _patch(self, t: str, oid: str, body: dict) -> httpx.Response:
        if oid not in self.objects[t]:
            return self._err(404, "OBJECT_NOT_FOUND", "resource not found")
        bad = self._check_props(t, body["properties"])
        if bad:
            return bad
        self.objects[t][oid]["properties"].update(body["properties"])
        return httpx.Response(200, json=self.objects[t][oid])

    def _search(self, t: str, body: dict) -> httpx.Response:
        rows = list(self.objects[t].values())
        for group in body.get("filterGroups", []):
            for f in group["filters"]:
                if f["operator"] != "EQ":
                    raise SpecViolation("the fake implements EQ filters only")
                rows = [r for r in rows if r["properties"].get(f["propertyName"]) == f["value"]]
        rows = rows[: body.get("limit", 10)]
        return httpx.Response(200, json={"total": len(rows), "results": rows})

    def _batch_read(self, t: str, body: dict) -> httpx.Response:
        prop = body.get("idProperty")
        if prop and not self.properties[t].get(prop):
            return self._err(400, "VALIDATION_ERROR", f"{prop} is not a unique property of {t}")
        if len(body["inputs"]) > 100:
            raise SpecViolation("batch read takes at most 100 inputs")
        found = (self._find(t, prop, i["id"]) if prop else self.objects[t].get(i["id"]) for i in body["inputs"])
        rows = [r for r in found if r is not None]
        return httpx.Response(200, json={"status": "COMPLETE", "results": rows})

    def _associate(self, ft: str, fid: str, tt: str, tid: str) -> httpx.Response:
        if fid not in self.objects.get(ft, {}) or tid not in self.objects.get(tt, {}):
            return self._err(404, "OBJECT_NOT_FOUND", "one of the records does not exist")
        self.associations |= {(ft, fid, tt, tid), (tt, tid, ft, fid)}
        return httpx.Response(200, json={"status": "COMPLETE", "results": [
            {"from": {"id": fid}, "to": {"id": tid}, "associationSpec": {"associationCategory": "HUBSPOT_DEFINED",
                                                                         "associationTypeId": 1}}]})

    def _batch_associate(self, ft: str, tt: str, body: dict) -> httpx.Response:
        """Associations v4 "Create default associations" in batch: inputs[].from.id / to.id."""
        if not 1 <= len(body.get("inputs", [])) <= 100:
            raise SpecViolation("batch associate takes 1..100 inputs")
        for item in body["inputs"]:
            fid, tid = item["from"]["id"], item["to"]["id"]
            if fid not in self.objects.get(ft, {}) or tid not in self.objects.get(tt, {}):
                return self._err(400, "VALIDATION_ERROR", "one of the records does not exist")
            self.associations |= {(ft, fid, tt, tid), (tt, tid, ft, fid)}
        return httpx.Response(200, json={"status": "COMPLETE", "results": []})

    def _list_associations(self, ft: str, fid: str, tt: str) -> httpx.Response:
        ids = sorted(int(a[3]) for a in self.associations if a[:3] == (ft, fid, tt))
        return httpx.Response(200, json={"results": [{"toObjectId": i, "associationTypes": []} for i in ids]})

    def _create_note(self, body: dict) -> httpx.Response:
        props = body.get("properties", {})
        if "hs_timestamp" not in props:
            return self._err(400, "VALIDATION_ERROR", "hs_timestamp is required")
        bad = self._check_props("notes", props)
        if bad:
            return bad
        for fid in filter(None, props.get("hs_attachment_ids", "").split(";")):
            if fid not in self.files:
                return self._err(400, "VALIDATION_ERROR", f"file {fid} does not exist")
        note = {"id": str(next(self._ids)), "properties": dict(props), "archived": False}
        for assoc in body.get("associations", []):
            (spec,) = assoc["types"]
            to_type = _NOTE_TYPES.get(spec["associationTypeId"])
            if spec["associationCategory"] != "HUBSPOT_DEFINED" or to_type is None:
                raise SpecViolation(f"unknown note association type {spec}")
            if assoc["to"]["id"] not in self.objects[to_type]:
                return self._err(400, "VALIDATION_ERROR", "association target does not exist")
            self.associations |= {("notes", note["id"], to_type, assoc["to"]["id"]),
                                  (to_type, assoc["to"]["id"], "notes", note["id"])}
        self.objects["notes"][note["id"]] = note
        return httpx.Response(201, json=note)

    def add_timeline_template(self, object_type: str, tokens: list[str]) -> str:
        """What ``POST /crm/v3/timeline/{appId}/event-templates`` (developer key) creates."""
        tid = str(next(self._ids))
        self.timeline_templates[tid] = {"objectType": object_type, "tokens": set(tokens)}
        return tid

    def _timeline_event(self, body: dict) -> httpx.Response:
        """Timeline API v3 "Create a single event": eventTemplateId, objectId (or email/utk),
        tokens declared by the template, optional id (unique per template: 409 when reused)."""
        template = self.timeline_templates.get(str(body.get("eventTemplateId")))
        if template is None:
            return self._err(404, "OBJECT_NOT_FOUND", "event template not found")
        if str(body.get("objectId")) not in self.objects[template["objectType"]]:
            return self._err(400, "VALIDATION_ERROR", "objectId does not exist")
        unknown = set(body.get("tokens", {})) - template["tokens"]
        if unknown:
            return self._err(400, "VALIDATION_ERROR", f"tokens not in the template: {sorted(unknown)}")
        if any(not isinstance(v, str) for v in body.get("tokens", {}).values()):
            raise SpecViolation("timeline tokens are sent as strings")
        eid = body.get("id") or str(next(self._ids))
        key = (body["eventTemplateId"], eid)
        if key in {(e["eventTemplateId"], e["id"]) for e in self.timeline_events.values()}:
            return self._err(409, "CONFLICT", f"event {eid} already exists")
        self.timeline_events[eid] = {**body, "id": eid}
        return httpx.Response(201, json={**body, "id": eid, "objectType": template["objectType"].upper()})

    def _create_property(self, t: str, body: dict) -> httpx.Response:
        for key in ("name", "label", "type", "fieldType", "groupName"):
            if key not in body:
                raise SpecViolation(f"property definitions need {key}")
        if t not in self.properties:
            self.properties[t] = {}
        if body["name"] in self.properties[t]:
            return self._err(409, "OBJECT_ALREADY_EXISTS", f"Property named '{body['name']}' already exists.")
        self.properties[t][body["name"]] = bool(body.get("hasUniqueValue"))
        return httpx.Response(201, json=body)

    def _upload(self, request: httpx.Request) -> httpx.Response:
        parts = parse_multipart(request)
        if "file" not in parts or not parts["file"][0]:
            raise SpecViolation("Files v3 upload needs a 'file' part with a filename")
        options = json.loads(parts.get("options", (None, "", b"{}"))[2])
        if options.get("access") not in ("PUBLIC_INDEXABLE", "PUBLIC_NOT_INDEXABLE", "PRIVATE"):
            raise SpecViolation(f"options.access is required, got {options}")
        if "folderPath" not in parts and "folderId" not in parts:
            raise SpecViolation("Files v3 upload needs folderPath or folderId")
        fid = str(next(self._ids))
        self.files[fid] = {"id": fid, "name": parts["file"][0], "data": parts["file"][2],
                           "path": parts["folderPath"][2].decode() + "/" + parts["file"][0], "access": options["access"]}
        return httpx.Response(201, json={k: v for k, v in self.files[fid].items() if k != "data"})
