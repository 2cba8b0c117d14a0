"""The outbound webhook delivery log: webhooks.log records land in ClickHouse
``webhook_deliveries`` through the real audit sink (and are readable by analysts)."""

from __future__ import annotations

import audit_samples as s

from streams.audit.sink import AuditSink
from streams.runtime import Processor
from streams.runtime.testing import run_processor
from session_codec import session_codec


def _log(doc_id: str, attempt: int, outcome: str, status: int | None) -> dict:
    env = {k: v for k, v in s.ingested(doc_id).items() if k in ("event_id", "doc_id", "occurred_at", "producer",
                                                                "trace")}
    return {**env, "webhook_id": f"msg_{doc_id}", "subscription_id": "wh_1", "event_type": "document.read",
            "attempt": attempt, "outcome": outcome, "status_code": status, "error": None if status == 204 else
            f"HTTP {status}", "duration_ms": 12, "target_host": "hooks.example.com"}


def test_each_attempt_is_a_row_of_webhook_deliveries(store):
    records = [("webhooks.log", _log("d1", 1, "retry", 503)), ("webhooks.log", _log("d1", 2, "delivered", 204))]
    codec = session_codec()
    sink = AuditSink(lambda: store, decode=codec.decode)
    run_processor(Processor(name="audit", inputs=("x",), batch_sink=sink), records)
    run_processor(Processor(name="audit", inputs=("x",), batch_sink=AuditSink(lambda: store, decode=codec.decode)),
                  records)   # a redelivery counts once
    _, rows = store.query("SELECT webhook_id, attempt, outcome, status_code, target_host "
                          "FROM webhook_deliveries FINAL ORDER BY attempt")
    assert rows == [("msg_d1", 1, "retry", 503, "hooks.example.com"), ("msg_d1", 2, "delivered", 204,
                                                                         "hooks.example.com")]
