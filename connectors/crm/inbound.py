"""CRM-started requests: a sales rep asks for a signature from the CRM and the pipeline acts.

``crm_router(settings, publisher=..., reject=...)`` is a FastAPI router mounted on the
webhook gateway app (connectors/esign/gateway.py, one ``include_router`` line):

``POST /webhooks/crm/hubspot``  HubSpot Webhooks API (app subscriptions), signature v3
``POST /webhooks/crm/zoho``     Zoho CRM Notifications (``actions/watch`` channel), token
``POST /webhooks/crm/salesforce?token=``  Salesforce outbound messages (workflow / flow action)

Salesforce ("Outbound Messaging", its WSDL): a SOAP ``notifications`` body with
``OrganizationId`` and ``Notification`` elements (``Id``, ``sObject`` fields); the
listener answers ``<Ack>true</Ack>`` or Salesforce resends. Messages are not signed: the
endpoint URL carries a secret ``token`` (``crm.salesforce.notify_token``), the body's
OrganizationId must be ``crm.salesforce.organization_id``, and the proxy should also check
Salesforce's client certificate. An Opportunity whose ``Inkstream_Signature_Status__c`` is
``requested`` starts a signature of its latest file by its primary contact role.

Zoho ("Notifications API"): no signature; the channel's ``token`` (≤50 characters, set in
``crm.zoho.notify_token``) returns in every body and is compared in constant time, and the
body's ``server_time`` must be within 5 minutes. An ``update`` of a deal whose
``Inkstream_Signature_Status`` is ``requested`` starts a signature of its latest attachment
by its ``Contact_Name``, keyed on the deal's ``Modified_Time`` (a repeated notification of
one edit makes the same command).

HubSpot (developer docs, "Validating requests", v3): ``X-HubSpot-Signature-v3`` is the
base64 HMAC-SHA256, keyed by the app's client secret, of ``method + URI + body +
timestamp`` where the timestamp is ``X-HubSpot-Request-Timestamp`` (ms) and URI is the full
URL HubSpot called with its URL-encoded characters decoded; requests older than 5 minutes
are refused. The body is a JSON array of events (``eventId``, ``subscriptionType``,
``objectId``, ``propertyName``, ``propertyValue``, ``occurredAt``, ``attemptNumber``).

What acts: ``deal.propertyChange`` of ``inkstream_signature_status`` to ``requested`` (a
button or a workflow in HubSpot sets it). The deal's contact and its latest attached
file are read through the CRM API, the file is stored as an original (claim check), and a
``crm.commands`` ``request_signature`` goes to the e-sign dispatcher, keyed on the HubSpot
``eventId``: a redelivered event makes the same command, and the dispatcher creates one
envelope per command key. Other events are acknowledged (200) and ignored.

Refused (401 ``unverified``: bad or missing signature, stale timestamp; 400 ``malformed``)
requests are counted and audited on ``webhooks.rejected`` like the e-sign webhooks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
import base64
import hashlib
import hmac
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from urllib.parse import unquote

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from connectors.objectstore.readback import stored_once
from inkstream.errors import ConnectorError, CrmError, CrmPermanentError, WebhookVerificationError
from schemas.records import envelope

if TYPE_CHECKING:
    from inkstream.settings import Settings

__all__ = ["crm_router", "verify_hubspot_v3", "hubspot_v3_signature", "HubSpotStarter", "ZohoStarter",
           "verify_zoho_notification", "SalesforceStarter", "parse_outbound_message", "SOAP_ACK",
           "TRIGGER_PROPERTY",
           "TRIGGER_VALUE", "MAX_AGE_S"]

log = logging.getLogger(__name__)

MAX_AGE_S = 300                                   # HubSpot: reject timestamps older than 5 minutes
TRIGGER_PROPERTY = "inkstream_signature_status"
TRIGGER_VALUE = "requested"
MAPPING_VERSION = "crm-inbound-1"
_SEEN_MAX = 10_000


def hubspot_v3_signature(secret: str, method: str, uri: str, body: bytes, timestamp: str) -> str:
    signed = method.upper().encode() + unquote(uri).encode() + body + timestamp.encode()
    return base64.b64encode(hmac.new(secret.encode(), signed, hashlib.sha256).digest()).decode()


def verify_hubspot_v3(method: str, uri: str, body: bytes, headers: Mapping[str, str], secrets: Sequence[str], *,
                      now: float, max_age_s: float = MAX_AGE_S) -> None:
    """Raise WebhookVerificationError (reason: missing_signature, stale, bad_signature, no_key)."""
    given, stamp = headers.get("x-hubspot-signature-v3"), headers.get("x-hubspot-request-timestamp")
    if not given or not stamp:
        raise WebhookVerificationError("no v3 signature", provider="hubspot", reason="missing_signature")
    try:
        age = now - int(stamp) / 1000
    except ValueError:
        raise WebhookVerificationError("timestamp is not a number", provider="hubspot", reason="stale") from None
    if abs(age) > max_age_s:
        raise WebhookVerificationError(f"timestamp {age:.0f}s away", provider="hubspot", reason="stale")
    if not secrets:
        raise WebhookVerificationError("no client secret configured", provider="hubspot", reason="no_key")
    ok = False
    for secret in secrets:  # compare with every key (rotation) without stopping early
        ok |= hmac.compare_digest(hubspot_v3_signature(secret, method, uri, body, stamp).encode(), given.encode())
    if not ok:
        raise WebhookVerificationError("v3 signature does not match", provider="hubspot", reason="bad_signature")


class HubSpotStarter:
    """Turns a deal into a ``request_signature`` command: its first contact signs its latest
    attached file (Associations v4, CRM objects v3, Files v3 signed URL)."""

    def __init__(self, connector, store, *, esign_provider: str) -> None:
        self.hs, self.store, self.esign_provider = connector, store, esign_provider

    def _get(self, path: str, **params) -> dict:
        return self.hs.http.request("GET", f"{self.hs.base}{path}", params=params).json()

    def __call__(self, deal_id: str, event_id: str) -> dict:
        from connectors.capture.ingest import original_key

        deal = self._get(f"/crm/v3/objects/deals/{deal_id}", properties="dealname,inkstream_document_id")
        props = deal.get("properties") or {}
        contacts = [str(r["toObjectId"]) for r in self._get(f"/crm/v4/objects/deals/{deal_id}/associations/contacts")
                    .get("results", [])]
        if not contacts:
            raise CrmError(f"deal {deal_id} has no contact to sign", status=422)
        contact = (self._get(f"/crm/v3/objects/contacts/{contacts[0]}", properties="email,firstname,lastname")
                   .get("properties") or {})
        if not contact.get("email"):
            raise CrmError(f"the contact of deal {deal_id} has no e-mail", status=422)
        pdf, file_name = self._latest_file(deal_id)
        sha = hashlib.sha256(pdf).hexdigest()
        key = original_key(sha)
        ref = stored_once(self.store, key, pdf, content_type="application/pdf",
                           metadata={"sha256": sha, "source": "crm.hubspot"})
        doc_id = props.get("inkstream_document_id") or f"hubspot-deal-{deal_id}"
        name = " ".join(p for p in (contact.get("firstname"), contact.get("lastname")) if p) or None
        command_key = hashlib.sha256(f"hubspot|deals|{deal_id}|request_signature|{event_id}".encode()).hexdigest()
        return {
            **envelope(doc_id, producer="crm.inbound"),
            "target": self.esign_provider, "operation": "request_signature", "object": "deals",
            "external_id_field": "hs_object_id", "external_id": str(deal_id),
            "fields": {"title": f"Please sign: {props.get('dealname') or file_name}", "signer_name": name,
                       "signer_email": contact["email"], "crm": "hubspot", "file_name": file_name},
            "file": ref.to_record(), "match": {}, "idempotency_key": command_key,
            "mapping_version": MAPPING_VERSION, "depends_on": [], "links": [],
        }

    def _latest_file(self, deal_id: str) -> tuple[bytes, str]:
        notes = [str(r["toObjectId"]) for r in self._get(f"/crm/v4/objects/deals/{deal_id}/associations/notes")
                 .get("results", [])]
        rows = self.hs.http.request("POST", f"{self.hs.base}/crm/v3/objects/notes/batch/read", json={
            "properties": ["hs_attachment_ids", "hs_timestamp"], "inputs": [{"id": n} for n in notes]}).json() \
            if notes else {}
        with_files = sorted((r for r in rows.get("results", []) if (r.get("properties") or {}).get("hs_attachment_ids")),
                            key=lambda r: r["properties"].get("hs_timestamp") or "")
        if not with_files:
            raise CrmError(f"deal {deal_id} has no attached file to sign", status=422)
        file_id = with_files[-1]["properties"]["hs_attachment_ids"].split(";")[-1]
        meta = self._get(f"/files/v3/files/{file_id}/signed-url")
        # The signed URL is on HubSpot's file CDN: fetched without our bearer token.
        resp = self.hs.http.client.get(meta["url"])
        if resp.status_code != 200 or not resp.content.startswith(b"%PDF-"):
            raise CrmError(f"file {file_id} of deal {deal_id} is not a PDF (HTTP {resp.status_code})", status=422)
        return resp.content, meta.get("name") or f"deal-{deal_id}.pdf"


class ZohoStarter:
    """A Zoho deal whose ``Inkstream_Signature_Status`` is ``requested`` becomes a
    ``request_signature`` for its contact (``Contact_Name``) and latest attachment ("Get
    Records", "Get Related Records" Attachments, "Download an Attachment")."""

    def __init__(self, connector, store, *, esign_provider: str) -> None:
        self.zoho, self.store, self.esign_provider = connector, store, esign_provider

    def _record(self, module: str, rid: str) -> dict:
        resp = self.zoho.http.request("GET", f"{self.zoho.base}/{module}/{rid}")
        rows = resp.json().get("data", []) if resp.status_code == 200 and resp.content else []
        if not rows:
            raise CrmError(f"zoho {module} {rid} not found", status=422)
        return rows[0]

    def __call__(self, deal_id: str, notification_id: str) -> dict | None:
        from connectors.capture.ingest import original_key

        deal = self._record("Deals", deal_id)
        if deal.get("Inkstream_Signature_Status") != TRIGGER_VALUE:
            return None  # another edit of the deal: nothing asked
        contact_id = (deal.get("Contact_Name") or {}).get("id")
        if not contact_id:
            raise CrmError(f"deal {deal_id} has no contact to sign", status=422)
        contact = self._record("Contacts", contact_id)
        if not contact.get("Email"):
            raise CrmError(f"the contact of deal {deal_id} has no e-mail", status=422)
        files = sorted(self.zoho._list(f"{self.zoho.base}/Deals/{deal_id}/Attachments", "id,File_Name,Created_Time"),
                       key=lambda a: a.get("Created_Time") or "")
        if not files:
            raise CrmError(f"deal {deal_id} has no attached file to sign", status=422)
        latest = files[-1]
        pdf = self.zoho.http.request("GET", f"{self.zoho.base}/Deals/{deal_id}/Attachments/{latest['id']}").content
        if not pdf.startswith(b"%PDF-"):
            raise CrmError(f"attachment {latest['id']} of deal {deal_id} is not a PDF", status=422)
        sha = hashlib.sha256(pdf).hexdigest()
        key = original_key(sha)
        ref = stored_once(self.store, key, pdf, content_type="application/pdf",
                           metadata={"sha256": sha, "source": "crm.zoho"})
        # Keyed on the deal's state, not the notification: Zoho may notify one edit twice.
        command_key = hashlib.sha256(f"zoho|Deals|{deal_id}|request_signature|{deal.get('Modified_Time')}"
                                     .encode()).hexdigest()
        name = " ".join(p for p in (contact.get("First_Name"), contact.get("Last_Name")) if p) or None
        return {
            **envelope(deal.get("Inkstream_Document_Id") or f"zoho-deal-{deal_id}", producer="crm.inbound"),
            "target": self.esign_provider, "operation": "request_signature", "object": "Deals",
            "external_id_field": "id", "external_id": str(deal_id),
            "fields": {"title": f"Please sign: {deal.get('Deal_Name') or latest.get('File_Name')}",
                       "signer_name": name, "signer_email": contact["Email"], "crm": "zoho",
                       "file_name": latest.get("File_Name") or f"deal-{deal_id}.pdf"},
            "file": ref.to_record(), "match": {}, "idempotency_key": command_key,
            "mapping_version": MAPPING_VERSION, "depends_on": [], "links": [],
        }


_OM_NS = "http://soap.sforce.com/2005/09/outbound"
_SF_NS = "urn:sobject.enterprise.soap.sforce.com"
_SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP_ACK = (f'<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="{_SOAP_NS}"><soapenv:Body>'
            f'<notificationsResponse xmlns="{_OM_NS}"><Ack>true</Ack></notificationsResponse>'
            '</soapenv:Body></soapenv:Envelope>')


def parse_outbound_message(body: bytes) -> tuple[str, list[tuple[str, dict[str, str]]]]:
    """(OrganizationId, [(notification Id, sObject fields)]) of a Salesforce outbound message
    (the ``notifications`` element of the SOAP body, as the outbound message WSDL defines)."""
    from defusedxml import ElementTree
    from defusedxml.common import DefusedXmlException

    try:
        root = ElementTree.fromstring(body)
    except (ElementTree.ParseError, DefusedXmlException) as exc:
        raise ValueError("not an outbound message") from exc
    note = root.find(f"{{{_SOAP_NS}}}Body/{{{_OM_NS}}}notifications")
    if note is None:
        raise ValueError("no notifications element")
    org = (note.findtext(f"{{{_OM_NS}}}OrganizationId") or "").strip()
    out = []
    for n in note.findall(f"{{{_OM_NS}}}Notification"):
        obj = n.find(f"{{{_OM_NS}}}sObject")
        fields = {el.tag.split("}", 1)[1]: (el.text or "") for el in (obj if obj is not None else [])}
        out.append(((n.findtext(f"{{{_OM_NS}}}Id") or "").strip(), fields))
    return org, out


class SalesforceStarter:
    """An Opportunity whose ``Inkstream_Signature_Status__c`` is ``requested`` becomes a
    ``request_signature`` for its primary contact role and the latest version of its
    latest file (SOQL on OpportunityContactRole, ContentDocumentLink, ContentVersion; blob
    ``GET /sobjects/ContentVersion/{id}/VersionData``)."""

    def __init__(self, connector, store, *, esign_provider: str) -> None:
        self.sf, self.store, self.esign_provider = connector, store, esign_provider

    def __call__(self, opp_id: str, notification_id: str) -> dict | None:
        from connectors.capture.ingest import original_key
        from connectors.crm.salesforce import soql_literal

        q = self.sf.query
        opp = q(f"SELECT Id, Name, Inkstream_Document_Id__c, Inkstream_Signature_Status__c FROM Opportunity "
                f"WHERE Id = {soql_literal(opp_id)}")
        if not opp:
            raise CrmError(f"Opportunity {opp_id} not found", status=422)
        if opp[0].get("Inkstream_Signature_Status__c") != TRIGGER_VALUE:
            return None
        roles = q(f"SELECT ContactId, IsPrimary FROM OpportunityContactRole WHERE OpportunityId = {soql_literal(opp_id)}")
        roles.sort(key=lambda r: not r.get("IsPrimary"))
        if not roles:
            raise CrmError(f"Opportunity {opp_id} has no contact role to sign", status=422)
        contact = q(f"SELECT Email, FirstName, LastName FROM Contact WHERE Id = {soql_literal(roles[0]['ContactId'])}")
        if not contact or not contact[0].get("Email"):
            raise CrmError(f"the contact of Opportunity {opp_id} has no e-mail", status=422)
        docs = [r["ContentDocumentId"] for r in q(f"SELECT ContentDocumentId FROM ContentDocumentLink "
                                                  f"WHERE LinkedEntityId = {soql_literal(opp_id)}")]
        versions = [v for d in docs for v in q(f"SELECT Id, Title, PathOnClient FROM ContentVersion "
                                               f"WHERE ContentDocumentId = {soql_literal(d)} AND IsLatest = true")]
        if not versions:
            raise CrmError(f"Opportunity {opp_id} has no file to sign", status=422)
        latest = versions[-1]
        pdf = self.sf.http.request("GET", f"{self.sf.base}/sobjects/ContentVersion/{latest['Id']}/VersionData").content
        if not pdf.startswith(b"%PDF-"):
            raise CrmError(f"ContentVersion {latest['Id']} is not a PDF", status=422)
        sha = hashlib.sha256(pdf).hexdigest()
        key = original_key(sha)
        ref = stored_once(self.store, key, pdf, content_type="application/pdf",
                           metadata={"sha256": sha, "source": "crm.salesforce"})
        name = " ".join(p for p in (contact[0].get("FirstName"), contact[0].get("LastName")) if p) or None
        # Keyed on the outbound message's notification id: Salesforce resends the same id
        # until it gets the Ack.
        command_key = hashlib.sha256(f"salesforce|Opportunity|{opp_id}|request_signature|{notification_id}"
                                     .encode()).hexdigest()
        return {
            **envelope(opp[0].get("Inkstream_Document_Id__c") or f"salesforce-opportunity-{opp_id}",
                       producer="crm.inbound"),
            "target": self.esign_provider, "operation": "request_signature", "object": "Opportunity",
            "external_id_field": "Id", "external_id": opp_id,
            "fields": {"title": f"Please sign: {opp[0].get('Name') or latest.get('Title')}", "signer_name": name,
                       "signer_email": contact[0]["Email"], "crm": "salesforce",
                       "file_name": latest.get("PathOnClient") or f"{opp_id}.pdf"},
            "file": ref.to_record(), "match": {}, "idempotency_key": command_key,
            "mapping_version": MAPPING_VERSION, "depends_on": [], "links": [],
        }


def verify_zoho_notification(payload: dict, tokens: Sequence[str], *, now: float, max_age_s: float = MAX_AGE_S) -> None:
    """Zoho "Notifications" carry no signature: the ``token`` set when the channel was
    enabled (``POST /actions/watch``) comes back in every body; ``server_time`` (ms) bounds
    a replay."""
    given = payload.get("token")
    if not isinstance(given, str) or not given:
        raise WebhookVerificationError("no token", provider="zoho", reason="missing_signature")
    if not tokens:
        raise WebhookVerificationError("no notification token configured", provider="zoho", reason="no_key")
    ok = False
    for token in tokens:
        ok |= hmac.compare_digest(token.encode(), given.encode())
    if not ok:
        raise WebhookVerificationError("token does not match", provider="zoho", reason="bad_signature")
    try:
        age = now - int(payload["server_time"]) / 1000
    except (KeyError, TypeError, ValueError):
        raise WebhookVerificationError("no server_time", provider="zoho", reason="stale") from None
    if abs(age) > max_age_s:
        raise WebhookVerificationError(f"server_time {age:.0f}s away", provider="zoho", reason="stale")


def _live(build_connector, settings: Settings, crm: str, client):
    """The CRM connector a CRM-started request reads through; unconfigured, a 503 (the
    vendor retries) and a log line saying what to set, never a 500."""
    from inkstream.errors import ConfigError
    try:
        return build_connector(settings, crm, client=client, dry_run=False)
    except ConfigError as exc:
        raise CrmError(f"{crm} is not configured for CRM-started requests: {exc}", status=503) from exc


def _public_uri(request: Request) -> str:
    """The URL HubSpot called: behind the TLS proxy, its scheme and host (signature input)."""
    proto = request.headers.get("x-forwarded-proto") or request.url.scheme
    host = request.headers.get("x-forwarded-host") or request.headers.get("host") or request.url.netloc
    query = f"?{request.url.query}" if request.url.query else ""
    return f"{proto}://{host}{request.url.path}{query}"


def crm_router(settings: Settings, *, publisher, reject: Callable[..., None],
               starter: Callable[[str, str], dict] | None = None, clock: Callable[[], float] = time.time,
               zoho_starter: Callable[[str, str], dict | None] | None = None,
               salesforce_starter: Callable[[str, str], dict | None] | None = None) -> APIRouter:
    """``reject(provider, reason, body=, path=, remote_addr=, header_names=)``: the gateway's
    audit of refused webhooks. ``starter``: default, a HubSpotStarter over the configured
    HubSpot connector and object store (built on first use)."""
    router = APIRouter()
    seen: OrderedDict[str, None] = OrderedDict()  # eventIds already acted on (HubSpot retries)
    lazy: dict[str, Callable[[str, str], dict]] = {}

    def live(crm: str, starter_class) -> Callable[[str, str], dict]:
        """The CRM's starter over its configured connector and the object store, built on
        first use (the gateway serves other routes without CRM credentials)."""
        if crm not in lazy:
            import httpx

            from connectors.crm.factory import build_connector
            from connectors.objectstore import open_store
            client = httpx.Client(timeout=settings.crm.timeout_s)
            lazy[crm] = starter_class(_live(build_connector, settings, crm, client),
                                      open_store(settings), esign_provider=settings.crm.esign_provider)
        return lazy[crm]

    def start(deal_id: str, event_id: str) -> dict:
        return (starter if starter is not None else live("hubspot", HubSpotStarter))(deal_id, event_id)

    def start_zoho(deal_id: str, notification_id: str) -> dict | None:
        return (zoho_starter if zoho_starter is not None else live("zoho", ZohoStarter))(deal_id, notification_id)

    def start_salesforce(opp_id: str, notification_id: str) -> dict | None:
        starter_ = salesforce_starter if salesforce_starter is not None else live("salesforce", SalesforceStarter)
        return starter_(opp_id, notification_id)

    async def refuse(reason: str, status: int, request: Request, body: bytes, provider: str = "hubspot") -> Response:
        await run_in_threadpool(reject, provider, reason, body=body, path=request.url.path,
                                remote_addr=request.client.host if request.client else None,
                                header_names=list(request.headers.keys()))
        return JSONResponse({"error": "unverified" if status == 401 else "malformed", "reason": reason},
                            status_code=status)

    @router.post("/webhooks/crm/hubspot")
    async def hubspot(request: Request) -> Response:
        body = await request.body()
        secret = settings.crm.hubspot.secret("client_secret")
        try:
            verify_hubspot_v3(request.method, _public_uri(request), body, request.headers,
                              [secret] if secret else [], now=clock())
        except WebhookVerificationError as exc:
            return await refuse(exc.reason, 401, request, body)
        try:
            events = json.loads(body)
            if not isinstance(events, list) or not all(isinstance(e, dict) for e in events):
                raise ValueError("not an array of events")
        except ValueError:
            return await refuse("malformed", 400, request, body)
        started, refused = [], []
        for event in events:
            if (event.get("subscriptionType") != "deal.propertyChange" or event.get("propertyName") != TRIGGER_PROPERTY
                    or event.get("propertyValue") != TRIGGER_VALUE or "objectId" not in event):
                continue
            event_id = str(event.get("eventId"))
            if event_id in seen:
                continue
            try:
                command = await run_in_threadpool(start, str(event["objectId"]), event_id)
                await run_in_threadpool(publisher.publish, [("crm.commands", command["doc_id"], command)])
            except CrmError as exc:
                if exc.status == 422 or isinstance(exc, CrmPermanentError):
                    # Nothing to sign (no contact, no file): said to HubSpot, which does not
                    # retry a 4xx, and shown in its webhook log.
                    refused.append({"eventId": event_id, "reason": str(exc)})
                    continue
                log.warning("could not start a signature for a HubSpot deal: %s", exc)
                return JSONResponse({"error": "unavailable"}, status_code=503)  # HubSpot retries
            except ConnectorError as exc:
                log.warning("could not publish a CRM-started signature request: %s", exc)
                return JSONResponse({"error": "unavailable"}, status_code=503)
            seen[event_id] = None
            while len(seen) > _SEEN_MAX:
                seen.popitem(last=False)
            started.append(command["idempotency_key"][:12])
        if refused:
            return JSONResponse({"started": started, "refused": refused}, status_code=422)
        return JSONResponse({"started": started})

    @router.post("/webhooks/crm/zoho")
    async def zoho(request: Request) -> Response:
        body = await request.body()
        try:
            payload = json.loads(body)
            if not isinstance(payload, dict):
                raise ValueError("not an object")
        except ValueError:
            return await refuse("malformed", 400, request, body, "zoho")
        token = settings.crm.zoho.secret("notify_token")
        try:
            verify_zoho_notification(payload, [token] if token else [], now=clock())
        except WebhookVerificationError as exc:
            return await refuse(exc.reason, 401, request, body, "zoho")
        if payload.get("module") != "Deals" or payload.get("operation") not in ("update", "insert"):
            return JSONResponse({"started": []})
        started, refused = [], []
        for deal_id in payload.get("ids") or []:
            try:
                command = await run_in_threadpool(start_zoho, str(deal_id), str(payload.get("server_time")))
                if command is None:
                    continue
                await run_in_threadpool(publisher.publish, [("crm.commands", command["doc_id"], command)])
            except CrmError as exc:
                if exc.status == 422 or isinstance(exc, CrmPermanentError):
                    refused.append({"id": str(deal_id), "reason": str(exc)})
                    continue
                return JSONResponse({"error": "unavailable"}, status_code=503)
            except ConnectorError:
                return JSONResponse({"error": "unavailable"}, status_code=503)
            started.append(command["idempotency_key"][:12])
        if refused:
            return JSONResponse({"started": started, "refused": refused}, status_code=422)
        return JSONResponse({"started": started})

    @router.post("/webhooks/crm/salesforce")
    async def salesforce(request: Request) -> Response:
        body = await request.body()
        sf = settings.crm.salesforce
        token, org = sf.secret("notify_token"), (sf.organization_id or "")
        given = request.query_params.get("token") or ""
        # Outbound messages are not signed: a secret token in the endpoint URL (constant-time)
        # and the org id in the body; Salesforce's client certificate / IP ranges at the proxy.
        if not token or not org:
            return await refuse("no_key", 401, request, body, "salesforce")
        if not hmac.compare_digest(token.encode(), given.encode()):
            return await refuse("bad_signature" if given else "missing_signature", 401, request, body, "salesforce")
        try:
            org_id, notifications = parse_outbound_message(body)
        except ValueError:
            return await refuse("malformed", 400, request, body, "salesforce")
        if org_id[:15] != org[:15]:  # 15- or 18-character forms of one org id
            return await refuse("bad_signature", 401, request, body, "salesforce")
        for notification_id, fields in notifications:
            if not fields.get("Id"):
                continue
            try:
                command = await run_in_threadpool(start_salesforce, fields["Id"], notification_id)
                if command is not None:
                    await run_in_threadpool(publisher.publish, [("crm.commands", command["doc_id"], command)])
            except CrmError as exc:
                if exc.status == 422 or isinstance(exc, CrmPermanentError):
                    log.warning("salesforce outbound message not acted on: %s", exc)
                    continue  # acknowledged: Salesforce would resend it for 24 hours otherwise
                return Response(status_code=503)
            except ConnectorError:
                return Response(status_code=503)  # no Ack: Salesforce resends
        return Response(SOAP_ACK, media_type="text/xml")

    return router
