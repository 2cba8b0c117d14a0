"""Zoho CRM connector (REST API v{n}, default v8).

Follows Zoho CRM's API documentation:
- OAuth: refresh at the *data centre's* accounts host (accounts.zoho.com, .eu, .in, ...);
  the token response names ``api_domain`` (www.zohoapis.eu, ...), which is where every API
  call goes; header ``Authorization: Zoho-oauthtoken <token>``; tokens last an hour;
- upsert: ``POST {api_domain}/crm/v{n}/{Module}/upsert`` with ``data`` (≤100 records) and
  ``duplicate_check_fields``; per-record ``status: error`` is a permanent failure;
- lookups (``Account_Name``, ``Contact_Name``) take ``{"id": ...}``, found with
  ``GET /{Module}/search?criteria=(Field:equals:value)`` (204 when nothing matches);
- attachments: multipart ``POST /{Module}/{id}/Attachments`` (``file``); notes:
  ``POST /{Module}/{id}/Notes``; both listed first so a replay adds nothing;
- fields: ``POST /settings/fields?module=`` (Zoho derives the API name from the label);
- a file over the attachment limit is not uploaded: the deal's ``Inkstream_File_Link``
  field gets its object-store address (``PUT /{Module}``, "Update Records");
- a signature's signer name, IP, user agent and envelope id go into the deal's
  ``Inkstream_Signer_*`` fields with the status update.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlencode

import httpx

from connectors.crm import ApplyResult, Attachment, CustomField, SetupResult
from connectors.crm.matching import ACCOUNT_OBJECT, DEAL_RULES, NeedsReview, is_record_id, pick_open_deal
from connectors.crm.operations import dispatch
from connectors.crm.quota import limit_and_remaining
from connectors.crm.setup import SIGNATURE_STATUS
from connectors.crm.vendor import CrmVendor, Wiring, token_extra
from inkstream.settings import CrmVendorSettings
from connectors.crm.signature import split_fields
from connectors.crm.vendor_http import VendorHttp
from inkstream.errors import CrmError, CrmPermanentError

__all__ = ["ZohoConnector", "criteria_value", "api_domain_of", "ZOHO"]

_TYPES = {"text": "text", "email": "email", "datetime": "datetime"}
# "Upload an Attachment": files up to 100 MB (shared/FACTS.md); larger ones get a link field.
ATTACHMENT_LIMIT = 100 * 1024 * 1024
FILE_LINK_FIELD = "Inkstream_File_Link"
# Zoho keeps a signature in fields of the deal (`inkstream crm setup` creates them); the
# signer's e-mail, signed-at and hash already have the Inkstream_Signer/_Signed_At/_Audit_Hash fields.
SIGNATURE_FIELDS = {"name": "Inkstream_Signer_Name", "ip": "Inkstream_Signer_IP",
                    "user_agent": "Inkstream_Signer_User_Agent", "envelope_id": "Inkstream_Envelope_Id",
                    "provider": "Inkstream_Esign_Provider"}
_MATCH_FIELDS = {"Contacts": {"email": "Email"}, "Leads": {"email": "Email"},
                 "Accounts": {"domain": "Website", "name": "Account_Name"}}


def criteria_value(value: str) -> str:
    # Zoho's criteria syntax needs '(' ')' ',' escaped with a backslash.
    return "".join("\\" + ch if ch in "(),\\" else ch for ch in str(value))


class ZohoConnector:
    name = "zoho"

    def __init__(self, http: VendorHttp, *, api_domain: str | Callable[[], str], api_version: str = "8",
                 attachment_limit: int = ATTACHMENT_LIMIT) -> None:
        self.http, self._api_domain, self.api_version = http, api_domain, api_version.lstrip("v")
        self.attachment_limit = attachment_limit

    @property
    def base(self) -> str:
        domain = self._api_domain() if callable(self._api_domain) else self._api_domain
        return f"{domain.rstrip('/')}/crm/v{self.api_version}"

    def apply(self, command: dict, attachment: Attachment | None = None) -> ApplyResult:
        if command["operation"] == "attach_file" and self.too_big(command):
            return self.link_file(command)
        return dispatch(self.name, command, attachment, upsert=self.upsert, attach=self.attach,
                        timeline=self.note)

    def upsert(self, command: dict) -> ApplyResult:
        module, field, value = command["object"], command["external_id_field"], command["external_id"]
        match = command.get("match") or {}
        own, signature = split_fields(command.get("fields"))
        # The signature's own facts go into the deal's signature fields (`crm setup`).
        record: dict[str, Any] = {**own, **{SIGNATURE_FIELDS[k]: (str(v)[:255] if isinstance(v, str) else v)
                                            for k, v in signature.items() if k in SIGNATURE_FIELDS}, field: value}
        for link in command.get("links", []):
            if link.get("relationship"):
                record[link["relationship"]] = {"id": self._id_of(link["object"], link["external_id_field"],
                                                                  link["external_id"])}
        target = self._by_id(module, value) if is_record_id(self.name, field) else None
        if target is None and command["operation"] == "update_signature_status":
            target = self._parent_id(command)  # a status updates its deal, never creates one
        if target is None and set(DEAL_RULES) & set(match) and module != ACCOUNT_OBJECT[self.name] \
                and not self._has_key(module, field, value):
            target = self._open_deal(module, command)
        if target is not None:
            # A named (crm_ref) or matched record: "Update Records" by id, keeping its own key.
            record.pop(field, None)
            resp = self.http.request("PUT", f"{self.base}/{module}", json={"data": [{**record, "id": target}]})
            self._first(resp, f"update {module}")
            return ApplyResult("updated", target, "matched")
        # Zoho checks duplicate_check_fields in order: our key first, then the match
        # (e-mail, website domain, account name), so an existing record is adopted instead
        # of duplicated.
        checks = [field] + [f for kind, f in _MATCH_FIELDS.get(module, {}).items()
                            if kind in match and f in record and f != field]
        resp = self.http.request("POST", f"{self.base}/{module}/upsert",
                                 json={"data": [record], "duplicate_check_fields": checks})
        result = self._first(resp, f"upsert {module}")
        return ApplyResult("created" if result.get("action") == "insert" else "updated", result["details"]["id"])

    def upsert_many(self, commands: list[dict]) -> dict[str, ApplyResult | CrmError]:
        """Commands of one module in one ``upsert`` (≤100 records, bulk lane); lookups are
        resolved once per distinct parent."""
        module, field = commands[0]["object"], commands[0]["external_id_field"]
        parents: dict[tuple[str, str, str], str] = {}
        last: dict[str, dict] = {}
        out: dict[str, ApplyResult | CrmError] = {}
        for c in commands:
            record: dict[str, Any] = {**split_fields(c.get("fields"))[0], field: c["external_id"]}
            try:
                for link in c.get("links", []):
                    if link.get("relationship"):
                        ref = (link["object"], link["external_id_field"], link["external_id"])
                        if ref not in parents:
                            parents[ref] = self._id_of(*ref)
                        record[link["relationship"]] = {"id": parents[ref]}
            except CrmPermanentError as exc:
                out[c["idempotency_key"]] = exc
                continue
            last[c["external_id"]] = record
        if not last:
            return out
        match = commands[0].get("match") or {}
        checks = [field] + [f for kind, f in _MATCH_FIELDS.get(module, {}).items() if kind in match and f != field]
        resp = self.http.request("POST", f"{self.base}/{module}/upsert",
                                 json={"data": list(last.values()), "duplicate_check_fields": checks})
        results = dict(zip(last, resp.json().get("data") or []))
        for c in commands:
            if c["idempotency_key"] in out:
                continue
            r = results.get(c["external_id"]) or {}
            out[c["idempotency_key"]] = (
                ApplyResult("created" if r.get("action") == "insert" else "updated", r["details"]["id"])
                if r.get("status") == "success" else
                CrmPermanentError(f"zoho upsert {module} failed: {r.get('code')}", status=resp.status_code,
                                  body=str(r)[:4000]))
        return out

    def _by_id(self, module: str, record_id: str) -> str:
        """The record a crm_ref names ("Get Records" by id; 204 when there is none)."""
        try:
            resp = self.http.request("GET", f"{self.base}/{module}/{record_id}")
        except CrmPermanentError as exc:
            raise NeedsReview(f"{module} {record_id!r} (crm_ref) does not exist", candidates=0) from exc
        if resp.status_code == 204 or not resp.content or not resp.json().get("data"):
            raise NeedsReview(f"{module} {record_id!r} (crm_ref) does not exist", candidates=0)
        return resp.json()["data"][0]["id"]

    def _has_key(self, module: str, field: str, value: str) -> bool:
        try:
            self._id_of(module, field, value)
        except CrmPermanentError as exc:
            if exc.status == 404:
                return False
            raise
        return True

    def _open_deal(self, module: str, command: dict) -> str | None:
        """The one open deal of the account with the same amount (else name), read from
        the account's related list ("Get Related Records": /Accounts/{id}/Deals)."""
        match = command["match"]
        if "account_id" not in match:
            return None
        account = self._id_of(match["account_object"], match["account_id_field"], match["account_id"])
        rows = self._list(f"{self.base}/{match['account_object']}/{account}/{module}", "id,Deal_Name,Amount,Stage")
        open_deals = [(r["id"], r.get("Deal_Name"), r.get("Amount")) for r in rows
                      if not str(r.get("Stage") or "").startswith("Closed")]
        return pick_open_deal(f"open {module} of the account", open_deals, match)

    def _parent_id(self, command: dict) -> str:
        """By its key, else (a deal matched to another document's) by the same rules again."""
        module, field, value = command["object"], command["external_id_field"], command["external_id"]
        if is_record_id(self.name, field):
            return self._by_id(module, value)
        try:
            return self._id_of(module, field, value)
        except CrmPermanentError as exc:
            if exc.status != 404 or not set(DEAL_RULES) & set(command.get("match") or {}):
                raise
            found = self._open_deal(module, command)
            if found is None:
                raise
            return found

    def attach(self, command: dict, attachment: Attachment) -> ApplyResult:
        module = command["object"]
        parent = self._parent_id(command)
        # Zoho attachments have no custom fields: the key travels in the file name.
        tag = f"{command['idempotency_key'][:12]}{attachment.sha256[:8]}"
        name = PurePosixPath(attachment.file_name)
        file_name = f"{name.stem}.{tag}{name.suffix}"
        url = f"{self.base}/{module}/{parent}/Attachments"
        existing = self._list(url, "id,File_Name")
        for item in existing:
            if tag in (item.get("File_Name") or ""):
                return ApplyResult("unchanged", item["id"])
        resp = self.http.request("POST", url, idempotent=False,
                                 files={"file": (file_name, attachment.data, attachment.content_type)})
        return ApplyResult("created", self._first(resp, "attachment")["details"]["id"])

    def too_big(self, command: dict) -> bool:
        """Over Zoho's attachment size limit: the file stays in the object store."""
        return int((command.get("file") or {}).get("size_bytes") or 0) > self.attachment_limit

    def link_file(self, command: dict) -> ApplyResult:
        """Point the deal's ``Inkstream_File_Link`` field at the object-store copy (the claim
        check: bucket, key, version, hash), instead of an upload Zoho would refuse."""
        module = command["object"]
        parent = self._parent_id(command)
        ref = command["file"]
        link = f"s3://{ref['bucket']}/{ref['key']}" + (f"?versionId={ref['version_id']}" if ref.get("version_id") else "")
        resp = self.http.request("PUT", f"{self.base}/{module}", json={"data": [
            {"id": parent, FILE_LINK_FIELD: link[:255], "Inkstream_Audit_Hash": ref["sha256"]}]})
        self._first(resp, f"file link on {module}")
        return ApplyResult("updated", parent, f"{FILE_LINK_FIELD} (file of {ref['size_bytes']} bytes over the limit)")

    def note(self, command: dict) -> ApplyResult:
        module = command["object"]
        parent = self._parent_id(command)
        url = f"{self.base}/{module}/{parent}/Notes"
        marker = f"inkstream ref: {command['idempotency_key']}"
        for item in self._list(url, "id,Note_Title,Note_Content"):
            if marker in (item.get("Note_Content") or ""):
                return ApplyResult("unchanged", item["id"])
        fields = command.get("fields", {})
        resp = self.http.request("POST", url, idempotent=False, json={"data": [{
            "Note_Title": (fields.get("title") or "inkstream")[:120],
            "Note_Content": f"{fields.get('body') or ''}\n{marker}"}]})
        return ApplyResult("created", self._first(resp, "note")["details"]["id"])

    # --- helpers --------------------------------------------------------------------------

    def _list(self, url: str, fields: str) -> list[dict]:
        resp = self.http.request("GET", url, params={"fields": fields, "per_page": 200})
        return resp.json().get("data", []) if resp.status_code == 200 and resp.content else []

    def _id_of(self, module: str, field: str, value: str) -> str:
        resp = self.http.request("GET", f"{self.base}/{module}/search",
                                 params={"criteria": f"({field}:equals:{criteria_value(value)})"})
        rows = resp.json().get("data", []) if resp.status_code == 200 and resp.content else []
        if not rows:
            raise CrmPermanentError(f"zoho {module} with {field}={value!r} not found", status=404,
                                    body=resp.text[:4000])
        if len(rows) > 1:
            raise CrmPermanentError(f"zoho {module} {field}={value!r} matches {len(rows)} records", status=300)
        return rows[0]["id"]

    @staticmethod
    def _first(resp, what: str) -> dict:
        data = resp.json().get("data") or [{}]
        if data[0].get("status") != "success":
            raise CrmPermanentError(f"zoho {what} failed: {data[0].get('code')}", status=resp.status_code,
                                    body=resp.text[:4000])
        return data[0]

    def ensure_custom_fields(self, fields: list[CustomField]) -> list[SetupResult]:
        results = []
        known: dict[str, set[str]] = {}
        for f in fields:
            if f.object not in known:
                resp = self.http.request("GET", f"{self.base}/settings/fields", params={"module": f.object})
                known[f.object] = {x["api_name"] for x in resp.json().get("fields", [])}
            if f.name in known[f.object]:
                results.append(SetupResult(f.object, f.name, "exists"))
                continue
            spec: dict[str, Any] = {"field_label": f.name.replace("_", " "), "data_type": _TYPES[f.type]}
            if f.type == "text":
                spec["length"] = 255
            if f.unique:
                spec["unique"] = {"casesensitive": False}
            resp = self.http.request("POST", f"{self.base}/settings/fields", params={"module": f.object},
                                     json={"fields": [spec]})
            item = (resp.json().get("fields") or [{}])[0]
            if item.get("status") != "success":
                raise CrmPermanentError(f"zoho field {f.object}.{f.name}: {item.get('code')}",
                                        status=resp.status_code, body=resp.text[:4000])
            known[f.object].add(f.name)
            results.append(SetupResult(f.object, f.name, "created"))
        return results


# --- the vendor, as inkstream's registry sees it (connectors/crm/registry.py) ---------------

def _accounts(section: CrmVendorSettings) -> str:
    return (section.auth_url or "https://accounts.zoho.com").rstrip("/")


def _token_url(section: CrmVendorSettings) -> str:
    return _accounts(section) + "/oauth/v2/token"


def _scopes(objects: list[str], setup: bool) -> tuple[str, ...]:
    if setup:  # GET and POST /settings/fields
        return ("ZohoCRM.settings.fields.ALL",)
    # search (READ) and upsert (WRITE) per module; notes and attachments are read
    # (idempotency: an existing one is adopted) and created, never deleted.
    out = [f"ZohoCRM.modules.{o}.{op}" for o in sorted({o.lower() for o in objects}) for op in ("READ", "WRITE")]
    out += [f"ZohoCRM.modules.{m}.{op}" for m in ("notes", "attachments") for op in ("READ", "CREATE")]
    return tuple(out)


def _authorize_url(section: CrmVendorSettings, params: dict[str, str], scopes: tuple[str, ...]) -> str:
    # Zoho separates scopes with commas; offline access is how a refresh token is issued.
    return f"{_accounts(section)}/oauth/v2/auth?" + urlencode({**params, "scope": ",".join(scopes),
                                                              "access_type": "offline", "prompt": "consent"})


def _custom_fields() -> list[CustomField]:
    fields = [CustomField("Accounts", "Inkstream_Key", "inkstream company key", unique=True),
              CustomField("Deals", "Inkstream_Document_Id", "inkstream document id", unique=True)]
    fields += [CustomField("Deals", f"Inkstream_{n}", label, t) for n, label, t in SIGNATURE_STATUS]
    fields += [CustomField("Deals", name, f"inkstream {k.replace('_', ' ')}") for k, name in SIGNATURE_FIELDS.items()]
    fields.append(CustomField("Deals", FILE_LINK_FIELD, "inkstream file link"))
    return fields


def api_domain_of(accounts_url: str) -> str:
    """accounts.zoho.eu -> www.zohoapis.eu (live runs take api_domain from the token answer)."""
    url = httpx.URL(accounts_url)
    host = url.host
    if host == "accounts.zohocloud.ca":
        host = "www.zohoapis.ca"
    elif host.startswith("accounts.zoho."):
        host = "www.zohoapis." + host.removeprefix("accounts.zoho.")
    return str(url.copy_with(host=host, path="/")).rstrip("/")


def _connect(section: CrmVendorSettings, wiring: Wiring) -> ZohoConnector:
    auth = wiring.token(section, _token_url(section), scheme="Zoho-oauthtoken")
    # The data centre that issued the token names the API host (www.zohoapis.eu, ...).
    domain: str | Callable[[], str] = section.base_url or (
        api_domain_of(_accounts(section)) if wiring.dry_run else (lambda: token_extra(auth, "api_domain")))
    return ZohoConnector(wiring.http(auth), api_domain=domain, api_version=section.api_version or "8")


def _dry_run_answer(request: httpx.Request, rid: str) -> httpx.Response:
    if request.url.path.endswith("/search"):
        return httpx.Response(200, json={"data": [{"id": rid}]})
    if request.method == "GET":
        return httpx.Response(204)
    return httpx.Response(201, json={"data": [{"code": "SUCCESS", "status": "success", "action": "insert",
                                               "details": {"id": rid}}]})


ZOHO = CrmVendor(
    name="zoho", label="Zoho CRM", token_url=_token_url, scopes=_scopes, authorize_url=_authorize_url,
    custom_fields=_custom_fields,
    signature_fields={"status": "Inkstream_Signature_Status", "signed_at": "Inkstream_Signed_At",
                      "signer": "Inkstream_Signer", "hash": "Inkstream_Audit_Hash"},
    account_object="Accounts", record_id_field="id",
    external_id_ok=lambda f: " " not in f,
    connect=_connect, dry_run_answer=_dry_run_answer,
    daily_quota=limit_and_remaining("X-RATELIMIT-LIMIT", "X-RATELIMIT-REMAINING"))
