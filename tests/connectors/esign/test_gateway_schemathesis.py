"""schemathesis against the webhook gateway, in process (ASGI). The gateway does not serve
its OpenAPI document (openapi_url=None: nothing to advertise to the internet), so the test
takes FastAPI's generated one and declares the bodies each provider posts (any JSON
object; Dropbox Sign's form with a ``json`` field), then checks that no generated
request, with or without plausible signature headers, gets a 5xx or a stack trace, and
that nothing unverified reaches esign.events."""

from __future__ import annotations

import schemathesis
from esign_gateway_harness import KEYS, gateway_settings, make_gateway

from tests.connectors.openapi_fuzz import fuzz_every_operation

BODIES = {
    "/webhooks/docusign": {"application/json": {"schema": {"type": "object"}}},
    "/webhooks/standard": {"application/json": {"schema": {"type": "object"}}},
    "/webhooks/acrobat-sign": {"application/json": {"schema": {"type": "object"}}},
    "/webhooks/dropbox-sign": {"multipart/form-data": {"schema": {
        "type": "object", "properties": {"json": {"type": "string"}}, "required": ["json"]}}},
}


def _document(app) -> dict:
    doc = app.openapi()
    for path, content in BODIES.items():
        doc["paths"][path]["post"]["requestBody"] = {"required": True, "content": content}
    return doc


def test_no_generated_request_to_the_webhook_gateway_gets_a_5xx_or_a_stack_trace(base_settings):
    gateway = make_gateway(gateway_settings(base_settings))
    schema = schemathesis.openapi.from_dict(_document(gateway.client.app))
    schema.app = gateway.client.app
    headers = ({}, {"x-adobesign-clientid": KEYS["acrobat_sign"]},
               {"webhook-id": "msg_1", "webhook-timestamp": "1764000000", "webhook-signature": "v1,AAAA"},
               {"x-docusign-signature-1": "c2lnbmF0dXJl"})
    seen = fuzz_every_operation(schema, headers)
    assert {"POST /webhooks/docusign", "POST /webhooks/standard", "POST /webhooks/dropbox-sign"} <= set(seen), seen
    # Forged signatures never verify: only Acrobat Sign (client id, no signature by design)
    # may have produced esign events.
    providers = {e["provider"] for e in gateway.publisher.on("esign.events")}
    assert providers <= {"acrobat_sign"}, providers
