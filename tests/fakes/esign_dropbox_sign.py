"""A fake Dropbox Sign API v3, for ``httpx.MockTransport``.

Built from ``shared/specs/dropbox-sign/openapi.yaml`` and its examples:
- ``POST /v3/signature_request/send`` (multipart/form-data) — the form is rebuilt into an
  object (bracket notation) and validated strictly against ``SignatureRequestSendRequest``;
  200 ``SignatureRequestGetResponse`` shaped like ``examples/json/SignatureRequestSendResponse.json``;
  400 ``{"error": {"error_msg", "error_name"}}`` (``ErrorResponse``) otherwise;
- ``GET /v3/signature_request/{id}`` — ``SignatureRequestGetResponse`` built from
  ``examples/json/SignatureRequestGetResponse.json`` and validated against the schema:
  ``is_complete``/``is_declined`` from ``self.state`` (``complete``, ``declined``; default
  awaiting signature), the request's ``metadata``; 410 once ``cancelled`` (the cancel
  operation's description: a cancelled request answers 410); 404 for an unknown id;
- ``GET /v3/signature_request/files/{id}?file_type=pdf`` — the signed PDF, or 409
  ("files are still being processed") while ``ready`` is False for that id.
Auth: HTTP basic, API key as user name (securitySchemes.api_key).
"""

from __future__ import annotations

import base64
import copy
import json

import httpx

from connectors.esign.simulated import signed_pdf
from fakes.esign_specs import SPECS, dropbox_sign_errors, parse_multipart, unflatten

__all__ = ["FakeDropboxSign"]


class FakeDropboxSign:
    def __init__(self, *, api_key: str = "324e3b0840f065eb51f3fd63231d0d33daa35d4ed10d27718839e81737065782") -> None:
        self.auth = "Basic " + base64.b64encode(f"{api_key}:".encode()).decode()
        self.requests: dict[str, dict] = {}
        self.not_ready: set[str] = set()
        self.state: dict[str, str] = {}  # request id -> complete | declined | cancelled
        self.fail_next: list[int] = []
        self._get_example = json.loads((SPECS / "dropbox-sign" / "examples" / "json" / "SignatureRequestGetResponse.json").read_text())
        self._example = json.loads((SPECS / "dropbox-sign" / "examples" / "json" / "SignatureRequestSendResponse.json").read_text())

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def _error(self, status: int, name: str, msg: str) -> httpx.Response:
        return httpx.Response(status, json={"error": {"error_msg": msg, "error_name": name}})

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.headers.get("authorization") != self.auth:
            return self._error(401, "unauthorized", "Unauthorized api key")
        if self.fail_next:
            status = self.fail_next.pop(0)
            return self._error(status, "internal" if status >= 500 else "exceeded_rate", "try again")
        path = request.url.path
        if request.method == "POST" and path == "/v3/signature_request/send":
            fields, files = parse_multipart(request.headers["content-type"], request.content)
            body = unflatten(fields)
            for key in ("test_mode",):
                if key in body:
                    body[key] = body[key] in ("1", "true")
            for signer in body.get("signers", []):
                if "order" in signer:
                    signer["order"] = int(signer["order"])
            # Bracket-notation form values are text; the schema types them (integer, boolean).
            for field in body.get("form_fields_per_document", []):
                for key in ("document_index", "page", "x", "y", "width", "height"):
                    if key in field:
                        field[key] = int(field[key])
                if "required" in field:
                    field["required"] = field["required"] in ("1", "true")
            body["files"] = [name for name in files if name.startswith("files[")]
            errors = dropbox_sign_errors("SignatureRequestSendRequest", body)
            if errors or not body["files"]:
                return self._error(400, "bad_request", "; ".join(errors) or "files[] is required")
            response = copy.deepcopy(self._example)
            request_id = f"{len(self.requests) + 1:040x}"
            sr = response["signature_request"]
            sr.update(signature_request_id=request_id, title=body.get("title"), metadata=body.get("metadata", {}),
                      files_url=f"https://api.hellosign.com/v3/signature_request/files/{request_id}")
            self.requests[request_id] = {"form": body, "files": files}
            return httpx.Response(200, json=response)
        prefix = "/v3/signature_request/files/"
        if request.method == "GET" and path.startswith(prefix):
            request_id = path[len(prefix):]
            if request_id not in self.requests:
                return self._error(404, "not_found", "Not found")
            if request_id in self.not_ready:
                return self._error(409, "conflict", "Files are still being processed. Please try again later.")
            return httpx.Response(200, content=signed_pdf(request_id, provider="dropbox_sign"),
                                  headers={"Content-Type": "application/pdf"})
        prefix = "/v3/signature_request/"
        if request.method == "GET" and path.startswith(prefix) and "/" not in path[len(prefix):]:
            return self._get(path[len(prefix):])
        return self._error(404, "not_found", path)

    def _get(self, request_id: str) -> httpx.Response:
        if request_id not in self.requests:
            return self._error(404, "not_found", "Not found")
        state = self.state.get(request_id)
        if state == "cancelled":
            return self._error(410, "deleted", "This resource has been deleted")
        response = copy.deepcopy(self._get_example)
        form = self.requests[request_id]["form"]
        sr = response["signature_request"]
        sr.update(signature_request_id=request_id, title=form.get("title"), metadata=form.get("metadata", {}),
                  is_complete=state == "complete", is_declined=state == "declined",
                  # the example's response_data entries are polymorphic (type discriminator),
                  # which the strict validator cannot tell apart; this fake fills no form fields
                  response_data=[])
        for signature in sr["signatures"]:
            signature["status_code"] = {"complete": "signed", "declined": "declined"}.get(state, "awaiting_signature")
            if state != "complete":
                signature["signed_at"] = None
        errors = dropbox_sign_errors("SignatureRequestGetResponse", response)
        assert not errors, errors  # the fake itself must answer in the vendor's shape
        return httpx.Response(200, json=response)
