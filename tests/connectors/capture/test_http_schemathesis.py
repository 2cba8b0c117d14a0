"""schemathesis against the upload API's own OpenAPI document, in process (ASGI): every
operation, with a valid scoped key and without one, on generated (often hostile) input
answers below 500 and never shows a stack trace."""

from __future__ import annotations

import schemathesis
from prometheus_client import CollectorRegistry

from connectors.capture.apikeys_shared import open_key_store
from connectors.capture.http import create_app
from connectors.capture.status import StatusView
from inkstream.settings import load_settings
from tests.connectors.openapi_fuzz import fuzz_every_operation

def test_no_generated_request_to_the_upload_api_gets_a_5xx_or_a_stack_trace(tmp_path, memstore, sink):
    s = load_settings(data_dir=tmp_path, topics={"prefix": "unit."}, capture={"max_bytes": 200_000})
    keys = open_key_store(s)
    app = create_app(s, store=memstore, producer=sink, codec=sink.codec, keys=keys, status=StatusView("unit.documents.status"),
                     registry=CollectorRegistry())
    key = keys.create("fuzz", scopes=("ingest", "read"))[1]
    seen = fuzz_every_operation(schemathesis.openapi.from_asgi("/openapi.json", app), ({"X-API-Key": key}, {}))
    assert "POST /v1/documents" in seen and any(op.startswith("GET /v1/documents/") for op in seen), seen
