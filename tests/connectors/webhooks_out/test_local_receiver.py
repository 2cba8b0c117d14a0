"""The demo's webhook receiver and subscription (connectors/webhooks_out/receiver.py,
app/demo_webhooks.py): what the fan-out and delivery processors send reaches it, verified by
inkstream's verifier there and by the official library here; a wrong secret is refused;
the per-document expectation follows the fan-out's rules. The whole demo: tests/e2e."""

from __future__ import annotations

import json

import httpx
import pytest
from standardwebhooks.webhooks import Webhook

import tests.streams.audit.audit_samples as s
from app.demo_webhooks import DemoWebhooks, expected_events
from app.tracker import DocView
from connectors.webhooks_out import EVENT_TYPES, WebhookError
from streams.webhooks.deliver import deliverer, sign
from streams.webhooks.fanout import INPUTS, Owners, fanout
from connectors.webhooks_out.receiver import LocalReceiver
from connectors.webhooks_out.subscriptions import subscriptions_path
from session_codec import session_codec
from streams.runtime import Processor
from streams.runtime.testing import run_processor
from tests.connectors.webhooks_out.test_webhooks_out import _pipeline


@pytest.fixture
def wsettings(base_settings, tmp_path):
    return base_settings.model_copy(update={
        "data_dir": tmp_path / "data",
        "webhooks_out": base_settings.webhooks_out.model_copy(update={"allow_http": True, "allow_private": True})})


def _post(url: str, secret: str, body: str, webhook_id: str = "msg_1") -> httpx.Response:
    import time

    stamp = int(time.time())
    return httpx.post(url, content=body.encode(), headers={
        "webhook-id": webhook_id, "webhook-timestamp": str(stamp),
        "webhook-signature": sign(secret, webhook_id, stamp, body), "content-type": "application/json"})


def test_the_receiver_verifies_keeps_each_request_whole_and_refuses_a_wrong_signature():
    secret = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = json.dumps({"type": "document.read", "timestamp": "2026-12-06T00:00:00Z", "data": {"doc_id": "d1"}})
    with LocalReceiver(secret=secret) as receiver:
        assert _post(receiver.url, secret, body).status_code == 204
        wrong = _post(receiver.url, "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=", body, "msg_2")
        assert wrong.status_code == 400 and "signature" in wrong.text.lower()
        junk = _post(receiver.url, secret, "not json", "msg_3")
        assert junk.status_code == 400 and "not a webhook event" in junk.text
        good, bad, _ = receiver.deliveries
    assert (good.webhook_id, good.event_type, good.doc_id, good.verified) == ("msg_1", "document.read", "d1", True)
    assert not bad.verified and bad.doc_id == "d1"
    # what it kept is what was sent: the official library verifies it too
    assert Webhook(secret).verify(good.body, good.headers)["data"]["doc_id"] == "d1"


def _view(doc_id: str, records: list[tuple[str, dict]]) -> DocView:
    view = DocView(doc_id)
    for topic, record in records:
        if topic == "documents.ingested":
            view.ingested = record
        elif topic == "ocr.results":
            view.ocr = record
        elif topic == "fields.validated":
            view.fields.append(record)
        elif topic == "esign.events":
            view.esign.append(record)
        elif topic == "documents.status":
            view.status.append(record)
    return view


def test_the_demo_subscription_receives_every_event_of_a_document_and_is_deleted_after(wsettings):
    records = _pipeline("d-demo", None)   # an e-mailed document: only an every-document subscription sees it
    view = _view("d-demo", records)
    assert expected_events(view) == set(EVENT_TYPES)
    with DemoWebhooks(wsettings) as hooks:
        assert hooks.sub.all_documents and hooks.subs.get(hooks.sub.id) is not None
        assert hooks.missing(view) == set(EVENT_TYPES) and "missing:" in hooks.cell(view)
        owners = Owners(subscriptions_path(wsettings).with_name("owners.sqlite"))
        jobs = run_processor(Processor(name="webhooks.fanout", inputs=INPUTS, handle=fanout(hooks.subs, owners)),
                             records).on("webhooks.deliveries")
        with httpx.Client() as client:
            run_processor(Processor(name="webhooks.deliver", inputs=("webhooks.deliveries",), sink=True,
                                    handle=deliverer(hooks.subs, client, wsettings.webhooks_out, session_codec())),
                          [("webhooks.deliveries", j) for j in jobs])
        assert hooks.wait([view], timeout=10) and hooks.missing(view) == set()
        assert hooks.cell(view).startswith("ingested, read, needs_review, accepted")
        ok, line = hooks.summary(["d-demo"])
        assert ok and f"{len(EVENT_TYPES)} events for 1 documents" in line and "all signatures verified" in line
        for delivery in hooks.arrived("d-demo"):
            Webhook(hooks.sub.secret).verify(delivery.body, delivery.headers)
    assert hooks.subs.get(hooks.sub.id) is None
    with pytest.raises(httpx.TransportError):
        httpx.get(hooks.receiver.url, timeout=2)


def test_your_own_receiver_gets_the_subscription_and_the_demo_prints_its_secret(wsettings):
    with DemoWebhooks(wsettings, "http://127.0.0.1:9/mine") as hooks:
        ok, line = hooks.summary(["d"])
        assert ok and hooks.sub.secret in line and hooks.url == "http://127.0.0.1:9/mine"
        assert hooks.missing(_view("d", _pipeline("d", None))) == set()
    strict = wsettings.model_copy(update={"webhooks_out": wsettings.webhooks_out.model_copy(
        update={"allow_http": False, "allow_private": False})})
    with pytest.raises(WebhookError):
        DemoWebhooks(strict, "http://127.0.0.1:9/mine")


def test_a_high_priority_upload_is_announced_like_any_other(wsettings):
    """documents.ingested.priority is an input of the fan-out: its owner is learned and the
    integrator hears document.ingested."""
    from connectors.webhooks_out.subscriptions import Subscriptions

    subs = Subscriptions(subscriptions_path(wsettings))
    sub = subs.create("crm-a", "http://127.0.0.1:9/a", ["document.ingested"], all_documents=False)
    owners = Owners(subscriptions_path(wsettings).with_name("owners.sqlite"))
    ingested = {**s.ingested("d-prio", source="http"), "source_ref": "crm-a/k_1"}
    jobs = run_processor(Processor(name="webhooks.fanout", inputs=INPUTS, handle=fanout(subs, owners)),
                         [("documents.ingested.priority", ingested)]).on("webhooks.deliveries")
    assert [(j["subscription_id"], j["event_type"]) for j in jobs] == [(sub.id, "document.ingested")]
    assert owners.get("d-prio") == "crm-a"
