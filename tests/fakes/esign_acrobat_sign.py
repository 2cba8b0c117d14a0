"""A fake Adobe Acrobat Sign REST API v6, for ``httpx.MockTransport``.

Built from ``shared/specs/acrobat-sign/rest-v6/transientDocuments.json`` and
``agreements.json`` (Swagger 1.2):
- ``POST /api/rest/v6/transientDocuments`` — multipart ``File-Name``, ``Mime-Type``, ``File``;
  201 ``TransientDocumentResponse``;
- ``POST /api/rest/v6/agreements`` — ``AgreementInfo`` validated strictly against the model;
  201 ``AgreementCreationResponse`` ``{"id"}``; 400 ``{"code", "message"}`` otherwise;
- ``GET /api/rest/v6/agreements?externalId=`` — ``UserAgreements`` (``userAgreementList``);
- ``GET /api/rest/v6/agreements/{id}/members`` — ``MembersInfo`` (``participantSets`` with ids);
- ``PUT /api/rest/v6/agreements/{id}/formFields`` — ``FormFieldPutInfo`` validated strictly,
  only while the agreement is in ``AUTHORING``, every assignee a participant set id,
  ``NOBODY`` or ``PREFILL``; ``PUT .../state`` — ``AgreementStateInfo`` (AUTHORING → IN_PROCESS);
- ``GET /api/rest/v6/agreements/{agreementId}`` — the ``AgreementInfo`` (validated against the
  model before it is served) with ``status`` from ``self.status`` (``OUT_FOR_SIGNATURE`` until
  a test sets ``SIGNED``, ``CANCELLED``, ``EXPIRED`` ...); 404 ``INVALID_AGREEMENT_ID``;
- ``GET /api/rest/v6/agreements/{agreementId}/combinedDocument`` — ``application/pdf``.
"""

from __future__ import annotations

import json
import uuid

import httpx

from connectors.esign.simulated import signed_pdf
from fakes.esign_specs import acrobat_sign_errors, parse_multipart

__all__ = ["FakeAcrobatSign"]


class FakeAcrobatSign:
    def __init__(self, *, token: str = "adobe-token") -> None:
        self.token = token
        self.transient: dict[str, bytes] = {}
        self.agreements: dict[str, dict] = {}
        self.fail_next: list[int] = []
        self.status: dict[str, str] = {}  # agreement id -> AgreementInfo.status
        self.form_fields: dict[str, list[dict]] = {}

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return httpx.Response(401, json={"code": "INVALID_ACCESS_TOKEN", "message": "bad token"})
        if self.fail_next:
            status = self.fail_next.pop(0)
            return httpx.Response(status, headers={"Retry-After": "3"} if status == 429 else {},
                                  json={"code": "THROTTLING" if status == 429 else "INTERNAL", "message": "x"})
        path = request.url.path
        if request.method == "POST" and path == "/api/rest/v6/transientDocuments":
            fields, files = parse_multipart(request.headers["content-type"], request.content)
            if "File" not in files or fields.get("Mime-Type") != "application/pdf" or not fields.get("File-Name"):
                return httpx.Response(400, json={"code": "MISSING_REQUIRED_PARAM", "message": "File, File-Name, Mime-Type"})
            transient_id = f"3AAABLblqZ{uuid.uuid4().hex}"
            self.transient[transient_id] = files["File"][1]
            return httpx.Response(201, json={"transientDocumentId": transient_id})
        if request.method == "POST" and path == "/api/rest/v6/agreements":
            body = json.loads(request.content)
            errors = acrobat_sign_errors("AgreementInfo", body)
            unknown = [f for f in body.get("fileInfos", []) if f.get("transientDocumentId") not in self.transient]
            if errors or unknown:
                return httpx.Response(400, json={"code": "INVALID_ARGUMENTS",
                                                 "message": "; ".join(errors) or "unknown transientDocumentId"})
            agreement_id = f"CBJCHBCAABAA{uuid.uuid4().hex}"
            self.agreements[agreement_id] = body
            if body["state"] == "AUTHORING":
                self.status[agreement_id] = "AUTHORING"
            return httpx.Response(201, json={"id": agreement_id})
        if request.method == "GET" and path == "/api/rest/v6/agreements":
            external_id = request.url.params.get("externalId")
            found = [{"id": aid, "name": body["name"], "esign": True,
                      "status": {"AUTHORING": "WAITING_FOR_AUTHORING"}.get(self.status.get(aid, ""), "OUT_FOR_SIGNATURE")}
                     for aid, body in self.agreements.items()
                     if external_id is None or body.get("externalId", {}).get("id") == external_id]
            return httpx.Response(200, json={"userAgreementList": found, "page": {}})
        prefix, suffix = "/api/rest/v6/agreements/", "/combinedDocument"
        if request.method == "GET" and path.startswith(prefix) and path.endswith(suffix):
            agreement_id = path[len(prefix):-len(suffix)]
            if agreement_id not in self.agreements:
                return httpx.Response(404, json={"code": "INVALID_AGREEMENT_ID", "message": "no such agreement"})
            return httpx.Response(200, content=signed_pdf(agreement_id, provider="acrobat_sign"),
                                  headers={"Content-Type": "application/pdf"})
        if path.startswith(prefix) and path.count("/") == 6:
            agreement_id, _, leaf = path[len(prefix):].partition("/")
            if agreement_id not in self.agreements:
                return httpx.Response(404, json={"code": "INVALID_AGREEMENT_ID", "message": "no such agreement"})
            return self._agreement_part(request, agreement_id, leaf)
        if request.method == "GET" and path.startswith(prefix) and "/" not in path[len(prefix):]:
            agreement_id = path[len(prefix):]
            if agreement_id not in self.agreements:
                return httpx.Response(404, json={"code": "INVALID_AGREEMENT_ID", "message": "no such agreement"})
            info = {**self.agreements[agreement_id], "id": agreement_id,
                    "status": self.status.get(agreement_id, "OUT_FOR_SIGNATURE")}
            errors = acrobat_sign_errors("AgreementInfo", info)
            assert not errors, errors  # the fake itself must answer in the vendor's shape
            return httpx.Response(200, json=info)
        return httpx.Response(404, json={"code": "NOT_FOUND", "message": path})

    def _sets(self, agreement_id: str) -> list[dict]:
        return [{"id": f"{agreement_id[-8:]}-set{i}",
                 "memberInfos": [{"email": m["email"], "id": f"m{i}{j}",
                                  "securityOption": m.get("securityOption") or {"authenticationMethod": "NONE"}}
                                 for j, m in enumerate(p["memberInfos"])],
                 "order": p["order"], "role": p["role"]}
                for i, p in enumerate(self.agreements[agreement_id]["participantSetsInfo"])]

    def _agreement_part(self, request: httpx.Request, agreement_id: str, leaf: str) -> httpx.Response:
        bad = lambda msg: httpx.Response(400, json={"code": "INVALID_ARGUMENTS", "message": msg})  # noqa: E731
        if request.method == "GET" and leaf == "members":
            members = {"participantSets": self._sets(agreement_id), "ccsInfo": [], "nextParticipantSets": [],
                       "sharesInfo": [], "senderInfo": {"company": "inkstream", "email": "sender@inkstream.example",
                                                        "name": "Sender", "participantId": "sender-1", "self": True,
                                                        "status": "WAITING_FOR_OTHERS"}}
            errors = acrobat_sign_errors("MembersInfo", members)
            assert not errors, errors  # the fake itself must answer in the vendor's shape
            return httpx.Response(200, json=members)
        if request.method == "PUT" and leaf == "formFields":
            body = json.loads(request.content)
            errors = acrobat_sign_errors("FormFieldPutInfo", body)
            if errors:
                return bad("; ".join(errors))
            if self.status.get(agreement_id) != "AUTHORING":
                return httpx.Response(403, json={"code": "INVALID_AGREEMENT_STATE", "message": "not in AUTHORING"})
            ids = {s["id"] for s in self._sets(agreement_id)} | {"NOBODY", "PREFILL"}
            if any(f.get("assignee") not in ids for f in body["fields"]):
                return bad("assignee is not a participant set of this agreement")
            self.form_fields[agreement_id] = body["fields"]
            return httpx.Response(200, json={"fields": body["fields"]})
        if request.method == "PUT" and leaf == "state":
            body = json.loads(request.content)
            errors = acrobat_sign_errors("AgreementStateInfo", body)
            if errors:
                return bad("; ".join(errors))
            self.status[agreement_id] = "OUT_FOR_SIGNATURE" if body["state"] == "IN_PROCESS" else body["state"]
            return httpx.Response(204)
        return httpx.Response(404, json={"code": "NOT_FOUND", "message": leaf})
