"""Outbound webhooks (issue 14 item 4): subscriptions per API key over the real upload API,
fan-out from pipeline records, signed POSTs verified by the official ``standardwebhooks``
library on a local HTTP server, retries re-produced with backoff, dead letter after N."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

import tests.streams.audit.audit_samples as s
from connectors.capture.apikeys_shared import open_key_store
from connectors.capture.http import create_app
from connectors.webhooks_out import EVENT_TYPES
from streams.webhooks.deliver import deliverer
from streams.webhooks.fanout import INPUTS, Owners, fanout
from connectors.webhooks_out.subscriptions import Subscriptions, subscriptions_path
from session_codec import session_codec
from streams.runtime import Processor
from streams.runtime.testing import run_processor


@pytest.fixture
def wsettings(base_settings, tmp_path):
    return base_settings.model_copy(update={
        "data_dir": tmp_path / "data",
        "webhooks_out": base_settings.webhooks_out.model_copy(update={
            "allow_http": True, "allow_private": True, "max_attempts": 3, "backoff_s": 2.0})})


@pytest.fixture
def api(wsettings):
    keys = open_key_store(wsettings)
    headers = {name: {"X-API-Key": keys.create(source, scopes=scopes)[1]} for name, source, scopes in (
        ("a", "crm-a", ("ingest", "read")), ("a2", "crm-a", ("read",)), ("b", "crm-b", ("read",)),
        ("ingest_only", "crm-c", ("ingest",)), ("admin", "ops", ("read", "admin")))}
    app = create_app(wsettings, store=object(), producer=object(), keys=open_key_store(wsettings),
                     status=None, registry=CollectorRegistry())
    return TestClient(app), headers


class Receiver:
    """A local HTTP server that verifies each POST with the official library."""

    def __init__(self, secret_of, fail_first: int = 0) -> None:
        self.secret_of, self.fail_first = secret_of, fail_first
        self.verified: list[dict] = []
        self.refused: list[str] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if receiver.fail_first > 0:
                    receiver.fail_first -= 1
                    self.send_response(503)
                    self.end_headers()
                    return
                try:
                    payload = Webhook(receiver.secret_of()).verify(body, dict(self.headers))
                    receiver.verified.append({"id": self.headers["webhook-id"], **payload})
                    self.send_response(204)
                except WebhookVerificationError as exc:
                    receiver.refused.append(str(exc))
                    self.send_response(400)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_a_key_subscribes_lists_and_deletes_its_own_webhooks(api, wsettings):
    client, h = api
    resp = client.post("/v1/webhooks", headers=h["a"], json={"url": "http://127.0.0.1:9/x",
                                                             "events": ["document.read", "esign.completed"]})
    assert resp.status_code == 201, resp.text
    created = resp.json()
    assert created["secret"].startswith("whsec_") and created["all_documents"] is False
    # every key of the source sees it, without the secret; another source does not
    listed = client.get("/v1/webhooks", headers=h["a2"]).json()["subscriptions"]
    assert [x["id"] for x in listed] == [created["id"]] and "secret" not in listed[0]
    assert client.get("/v1/webhooks", headers=h["b"]).json()["subscriptions"] == []
    assert client.delete(f"/v1/webhooks/{created['id']}", headers=h["b"]).status_code == 404
    assert client.delete(f"/v1/webhooks/{created['id']}", headers=h["a2"]).status_code == 204
    assert client.get("/v1/webhooks", headers=h["a"]).json()["subscriptions"] == []
    path = subscriptions_path(wsettings)
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_bad_subscriptions_are_refused_with_a_reason(api, wsettings):
    client, h = api
    bad_event = client.post("/v1/webhooks", headers=h["a"], json={"url": "http://127.0.0.1:9/x", "events": ["x.y"]})
    assert bad_event.status_code == 422 and "unknown" in bad_event.json()["detail"]
    assert client.post("/v1/webhooks", json={"url": "http://x", "events": ["document.read"]}).status_code == 401
    assert client.post("/v1/webhooks", headers=h["ingest_only"],
                       json={"url": "http://127.0.0.1:9/x", "events": ["document.read"]}).status_code == 403
    # outside tests: https only, and no private or loopback receiver (SSRF)
    strict = wsettings.model_copy(update={"webhooks_out": wsettings.webhooks_out.model_copy(
        update={"allow_http": False, "allow_private": False})})
    strict_app = TestClient(create_app(strict, store=object(), producer=object(),
                                       keys=open_key_store(wsettings), status=None,
                                       registry=CollectorRegistry()))
    for url, reason in (("http://hooks.example.com/x", "https"), ("https://127.0.0.1/x", "private"),
                        ("https://10.1.2.3/x", "private"), ("https://u:p@hooks.example.com/x", "credentials")):
        resp = strict_app.post("/v1/webhooks", headers=h["a"], json={"url": url, "events": ["document.read"]})
        assert resp.status_code == 422 and reason in resp.json()["detail"], url


def _pipeline(doc_id: str, owner: str | None) -> list[tuple[str, dict]]:
    ingested = s.ingested(doc_id, source="http" if owner else "email")
    ingested["source_ref"] = f"{owner}/k_123" if owner else "inbox"
    failed = {**s.ingested(doc_id), "stage": "crm", "status": "failed", "detail": "boom"}
    failed = {k: failed[k] for k in ("event_id", "doc_id", "occurred_at", "producer", "trace")}
    return [("documents.ingested", ingested), ("ocr.results", s.ocr(doc_id)),
            ("fields.validated", s.validated(doc_id, status="review")),
            ("fields.validated", s.validated(doc_id, status="approved", review=s.review("approved", s.T0 + 5))),
            ("esign.events", s.esign(doc_id, "sent")), ("esign.events", s.esign(doc_id, "completed")),
            ("documents.status", {**failed, "stage": "crm", "status": "synced", "detail": None}),
            ("documents.status", {**failed, "stage": "ocr", "status": "failed", "detail": "boom"})]


def test_events_go_to_the_owner_source_and_to_admin_subscriptions_only(wsettings):
    subs = Subscriptions(subscriptions_path(wsettings))
    mine = subs.create("crm-a", "http://127.0.0.1:9/a", list(EVENT_TYPES), all_documents=False)
    other = subs.create("crm-b", "http://127.0.0.1:9/b", list(EVENT_TYPES), all_documents=False)
    admin = subs.create("ops", "http://127.0.0.1:9/o", ["esign.completed"], all_documents=True)
    owners = Owners(subscriptions_path(wsettings).with_name("owners.sqlite"))
    proc = Processor(name="webhooks.fanout", inputs=INPUTS, handle=fanout(subs, owners))
    run = run_processor(proc, _pipeline("d-a", "crm-a") + _pipeline("d-mail", None))
    jobs = run.on("webhooks.deliveries")
    by_sub = {}
    for job in jobs:
        by_sub.setdefault(job["subscription_id"], []).append((job["doc_id"], job["event_type"]))
    assert by_sub[mine.id] == [("d-a", t) for t in ("document.ingested", "document.read", "document.needs_review",
                                                    "document.accepted", "esign.completed", "crm.synced",
                                                    "document.failed")]
    assert other.id not in by_sub
    assert by_sub[admin.id] == [("d-a", "esign.completed"), ("d-mail", "esign.completed")]
    assert all(job["attempt"] == 1 and job["webhook_id"].startswith("msg_") for job in jobs)
    body = json.loads(jobs[0]["payload"])
    assert body["type"] == "document.ingested" and body["data"]["doc_id"] == "d-a"
    assert "filename" not in jobs[0]["payload"] and "ada@example.com" not in json.dumps(jobs)
    # a restarted fan-out still knows the owner (SQLite), and ids are stable per source record
    again = run_processor(Processor(name="webhooks.fanout", inputs=INPUTS, handle=fanout(subs, Owners(
        subscriptions_path(wsettings).with_name("owners.sqlite")))), _pipeline("d-a", "crm-a")[1:2])
    assert [j["subscription_id"] for j in again.on("webhooks.deliveries")] == [mine.id]


def test_every_event_is_delivered_signed_and_verified_by_the_official_library(wsettings):
    subs = Subscriptions(subscriptions_path(wsettings))
    holder = {}
    receiver = Receiver(lambda: holder["secret"])
    try:
        sub = subs.create("crm-a", receiver.url, list(EVENT_TYPES), all_documents=False)
        holder["secret"] = sub.secret
        owners = Owners(subscriptions_path(wsettings).with_name("owners.sqlite"))
        jobs = run_processor(Processor(name="webhooks.fanout", inputs=INPUTS, handle=fanout(subs, owners)),
                             _pipeline("d-1", "crm-a")).on("webhooks.deliveries")
        with httpx.Client() as client:
            handle = deliverer(subs, client, wsettings.webhooks_out, session_codec())
            run = run_processor(Processor(name="webhooks.deliver", inputs=("webhooks.deliveries",), handle=handle,
                                          sink=True, max_attempts=1), [("webhooks.deliveries", j) for j in jobs])
        assert receiver.refused == []
        assert [v["type"] for v in receiver.verified] == [j["event_type"] for j in jobs]
        assert {v["id"] for v in receiver.verified} == {j["webhook_id"] for j in jobs}
        assert {e["outcome"] for e in run.on("webhooks.log")} == {"delivered"}
        assert all(e["status_code"] == 204 and e["target_host"] == "127.0.0.1" for e in run.on("webhooks.log"))
        # a receiver with another secret refuses them: the signature really is checked
        holder["secret"] = subs.create("x", receiver.url, ["document.read"], all_documents=False).secret
        with httpx.Client() as client:
            run_processor(Processor(name="webhooks.deliver", inputs=("webhooks.deliveries",), sink=True,
                                    handle=deliverer(subs, client, wsettings.webhooks_out, session_codec())),
                          [("webhooks.deliveries", jobs[0])])
        assert len(receiver.refused) == 1
    finally:
        receiver.close()


def test_failures_are_requeued_with_backoff_then_dead_lettered(wsettings):
    subs = Subscriptions(subscriptions_path(wsettings))
    holder = {}
    receiver = Receiver(lambda: holder["secret"], fail_first=10)
    clock = [1_000_000.0]
    try:
        sub = subs.create("crm-a", receiver.url, ["document.read"], all_documents=False)
        holder["secret"] = sub.secret
        job = {**s.ingested("d-9"), "webhook_id": "msg_x", "subscription_id": sub.id, "event_type": "document.read",
               "payload": '{"type":"document.read"}', "attempt": 1, "not_before": 0}
        job = {k: job[k] for k in ("event_id", "doc_id", "occurred_at", "producer", "trace", "webhook_id",
                                   "subscription_id", "event_type", "payload", "attempt", "not_before")}
        with httpx.Client() as client:
            handle = deliverer(subs, client, wsettings.webhooks_out, session_codec(), now=lambda: clock[0])
            proc = Processor(name="webhooks.deliver", inputs=("webhooks.deliveries",), handle=handle, sink=True)
            first = run_processor(proc, [("webhooks.deliveries", job)])
            [retry] = first.on("webhooks.deliveries")
            assert retry["attempt"] == 2 and retry["not_before"] == int((clock[0] + 2.0) * 1000)
            assert retry["webhook_id"] == "msg_x"
            assert [(e["outcome"], e["status_code"]) for e in first.on("webhooks.log")] == [("retry", 503)]
            clock[0] += 2.0
            second = run_processor(proc, [("webhooks.deliveries", retry)])
            [third_job] = second.on("webhooks.deliveries")
            assert third_job["attempt"] == 3 and third_job["not_before"] == int((clock[0] + 4.0) * 1000)
            clock[0] += 4.0
            last = run_processor(proc, [("webhooks.deliveries", third_job)])
        assert last.on("webhooks.deliveries") == []
        [dead] = last.on("webhooks.deliveries.dlq")
        assert dead["attempts"] == 3 and "HTTP 503" in dead["error"]
        assert session_codec().decode(dead["value"], "webhooks.deliveries")["webhook_id"] == "msg_x"
        assert [e["outcome"] for e in last.on("webhooks.log")] == ["dead"]
        assert receiver.verified == []
    finally:
        receiver.close()


def test_a_job_before_its_time_pauses_and_a_deleted_subscription_drops_it(wsettings):
    subs = Subscriptions(subscriptions_path(wsettings))
    sub = subs.create("crm-a", "http://127.0.0.1:9/never", ["document.read"], all_documents=False)
    job = {**{k: v for k, v in s.ingested("d-7").items() if k in ("event_id", "doc_id", "occurred_at", "producer",
                                                                  "trace")},
           "webhook_id": "msg_y", "subscription_id": sub.id, "event_type": "document.read", "payload": "{}",
           "attempt": 2, "not_before": 2_000_000_000}
    sent = []
    client = httpx.Client(transport=httpx.MockTransport(lambda r: sent.append(r) or httpx.Response(200)))
    from streams.runtime.execute import Incoming as Msg
    from streams.runtime.execute import Runner

    handle = deliverer(subs, client, wsettings.webhooks_out, session_codec(), now=lambda: 1_000_000.0)
    proc = Processor(name="webhooks.deliver", inputs=("webhooks.deliveries",), handle=handle, sink=True)
    runner = Runner(proc, session_codec(), topic_name=lambda t: t)   # one call, to see the pause itself
    outcome = runner.execute(Msg(topic="webhooks.deliveries", logical_topic="webhooks.deliveries", partition=0,
                                 offset=0, key=b"d-7", value=session_codec().encode("webhooks.deliveries", job)))
    assert outcome.kind == "backpressure" and 0 < outcome.retry_after <= 30 and sent == []
    subs.delete("crm-a", sub.id)
    run = run_processor(proc, [("webhooks.deliveries", job)])
    assert [e["outcome"] for e in run.on("webhooks.log")] == ["dropped"] and sent == []


def test_a_receiver_that_now_resolves_to_a_private_address_is_not_called(wsettings):
    strict = wsettings.webhooks_out.model_copy(update={"allow_private": False})
    subs = Subscriptions(subscriptions_path(wsettings))
    sub = subs.create("crm-a", "http://localhost:9/rebound", ["document.read"], all_documents=False)
    job = {**{k: v for k, v in s.ingested("d-8").items() if k in ("event_id", "doc_id", "occurred_at", "producer",
                                                                  "trace")},
           "webhook_id": "msg_z", "subscription_id": sub.id, "event_type": "document.read", "payload": "{}",
           "attempt": 1, "not_before": 0}
    sent = []
    client = httpx.Client(transport=httpx.MockTransport(lambda r: sent.append(r) or httpx.Response(200)))
    proc = Processor(name="webhooks.deliver", inputs=("webhooks.deliveries",), sink=True,
                     handle=deliverer(subs, client, strict, session_codec()))
    run = run_processor(proc, [("webhooks.deliveries", job)])
    [entry] = run.on("webhooks.log")
    assert sent == [] and entry["outcome"] == "retry" and "private" in entry["error"]
