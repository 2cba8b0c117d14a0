"""Crashes found by the coverage-guided harness fuzz/fuzz_webhooks.py, each fixed at its
source; these pin the fix (the harness itself runs in tests/fuzz)."""

from __future__ import annotations

import json

import pytest
from esign_gateway_harness import KEYS, NOW

from connectors.esign import events, verify
from inkstream.errors import EsignError

HUGE = 1764000000 * 10**60  # an integer no Avro long holds


def _dropbox_payload(signed_at) -> dict:
    event_time, event_type = str(int(NOW)), "signature_request_signed"
    return {"event": {"event_time": event_time, "event_type": event_type,
                      "event_hash": verify.dropbox_sign_event_hash(KEYS["dropbox_sign"].encode(), event_time, event_type),
                      "event_metadata": {"related_signature_id": "sig-1"}},
            "signature_request": {"signature_request_id": "env-huge", "metadata": {"doc_id": "doc-huge"},
                                  "signatures": [{"signature_id": "sig-1", "signer_email_address": "a@example.com",
                                                  "signed_at": signed_at}]}}


@pytest.mark.parametrize("parse,payload", [
    (events.parse_dropbox_sign, _dropbox_payload(HUGE)),
    (lambda p: events.parse_standard(p, "msg_1"),
     {"type": "envelope.signed", "data": {"envelope_id": "env-huge", "signer": {"signed_at": HUGE}}}),
], ids=["dropbox_sign", "standard"])
def test_a_signed_at_beyond_an_avro_long_is_a_bad_payload_not_a_publish_error(parse, payload):
    with pytest.raises(EsignError, match="signer.signed_at"):
        parse(payload)


def test_the_gateway_answers_a_signed_dropbox_sign_event_with_a_huge_signed_at_with_400(gateway):
    resp = gateway.client.post("/webhooks/dropbox-sign", data={"json": json.dumps(_dropbox_payload(HUGE))})
    assert resp.status_code == 400, resp.text
    assert resp.json()["reason"] == "malformed"
    assert gateway.publisher.on("esign.events") == []
    # the same event with a real timestamp is taken: the refusal is about the field, not the event
    ok = gateway.client.post("/webhooks/dropbox-sign", data={"json": json.dumps(_dropbox_payload(int(NOW)))})
    assert ok.status_code == 200, ok.text
