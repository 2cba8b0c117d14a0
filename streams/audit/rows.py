"""Decoded Kafka records → rows of the analytics tables (``ops/clickhouse/002_tables.sql``).

Pure functions, one per topic family; unknown fields are ignored and missing optional ones
default, so a newer producer (schema evolution) never breaks the sink. Every record also
becomes an ``audit_events`` row (``streams.audit.sink``), whatever its topic.

>>> rec = {"event_id": "e", "doc_id": "d", "occurred_at": 0, "stage": "ocr", "status": "done",
...        "detail": None, "producer": {"name": "ocr", "version": "1"}}
>>> [(t, r["stage"]) for t, r in rows_for("documents.status", rec)]
[('status_changes', 'ocr')]
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Callable, Iterator

from streams.audit.chain import canonical_json, sha256_hex

__all__ = ["rows_for", "dlq_rows", "ts", "clamp_ms", "strip_prefix"]

Row = dict[str, Any]


# DateTime64's range; a producer bug must not make a row unwritable (it would block the batch).
_MIN_MS, _MAX_MS = -2_208_988_800_000, 10_413_791_999_999  # 1900-01-01 .. 2299-12-31


def clamp_ms(ms: int) -> int:
    """``ms`` within DateTime64's range (what ClickHouse will store, hence what is hashed)."""
    return min(max(int(ms), _MIN_MS), _MAX_MS)


def ts(ms: int | None) -> dt.datetime | None:
    """Avro timestamp-millis → aware UTC datetime (DateTime64(3, 'UTC')), clamped to its range."""
    if ms is None:
        return None
    return dt.datetime.fromtimestamp(clamp_ms(ms) / 1000, tz=dt.timezone.utc)


def strip_prefix(topic: str, prefix: str) -> str:
    return topic[len(prefix):] if prefix and topic.startswith(prefix) else topic


def _producer(record: dict) -> str:
    p = record.get("producer") or {}
    return p.get("name", "") if isinstance(p, dict) else str(p)


def _base(record: dict) -> Row:
    return {"doc_id": record.get("doc_id") or "", "event_id": record["event_id"],
            "occurred_at": ts(record.get("occurred_at") or 0)}


def _documents(record: dict, _: str) -> Iterator[tuple[str, Row]]:
    o = record.get("original") or {}
    yield "documents", {
        "doc_id": record["doc_id"], "event_id": record["event_id"], "ingested_at": ts(record["occurred_at"]),
        "source": record.get("source", ""), "source_ref": record.get("source_ref"),
        "filename": record.get("filename", ""), "bucket": o.get("bucket", ""), "object_key": o.get("key", ""),
        "version_id": o.get("version_id"), "sha256": o.get("sha256", ""), "size_bytes": o.get("size_bytes", 0),
        "content_type": o.get("content_type", ""), "duplicate_of": record.get("duplicate_of"),
        "priority": record.get("priority", "normal"), "crm_ref": record.get("crm_ref"),
    }


def _ocr(record: dict, _: str) -> Iterator[tuple[str, Row]]:
    pages = record.get("pages") or []
    lines = [line for page in pages for line in page.get("lines") or []]
    confidences = [float(line.get("confidence", 0.0)) for line in lines]
    engine = record.get("engine") or {}
    yield "ocr_quality", {
        **_base(record), "source": record.get("source", ""), "engine": engine.get("name", ""),
        "engine_version": engine.get("version", ""), "device": engine.get("device", ""),
        "pages": len(pages), "text_layer_pages": sum(1 for p in pages if p.get("text_source") == "text_layer"),
        "lines": len(lines), "low_confidence_lines": sum(1 for line in lines if line.get("low_confidence")),
        "mean_confidence": sum(confidences) / len(confidences) if confidences else 0.0,
        "min_confidence": min(confidences) if confidences else 0.0,
        "duration_ms": record.get("duration_ms", 0),
    }


def _fields(record: dict, _: str) -> Iterator[tuple[str, Row]]:
    review = record.get("review") or {}
    common = {**_base(record), "source": record.get("source", ""), "doc_type": record.get("doc_type", "")}
    yield "extractions", {
        **common, "status": record.get("status", ""), "extractor_version": record.get("extractor_version", ""),
        "reviewer": review.get("reviewer"), "decision": review.get("decision"),
        "changes": len(review.get("changes") or []),
    }
    for f in record.get("fields") or []:
        yield "fields", {
            **common, "doc_status": record.get("status", ""), "name": f.get("name", ""), "value": f.get("value"),
            "normalized": f.get("normalized"), "confidence": float(f.get("confidence", 0.0)),
            "status": f.get("status", ""), "page": f.get("page"),
        }


def _esign(record: dict, _: str) -> Iterator[tuple[str, Row]]:
    signer = record.get("signer") or {}
    signed = record.get("signed") or {}
    yield "signatures", {
        **_base(record), "provider": record.get("provider", ""), "envelope_id": record.get("envelope_id", ""),
        "event_type": record.get("event_type", ""), "provider_event": record.get("provider_event", ""),
        "provider_event_id": record.get("provider_event_id", ""), "provider_time": ts(record.get("provider_time")),
        "signer_name": signer.get("name"), "signer_email": signer.get("email"), "signer_ip": signer.get("ip"),
        "signer_user_agent": signer.get("user_agent"), "signer_auth_method": signer.get("auth_method"),
        "signed_at": ts(signer.get("signed_at")), "signed_bucket": signed.get("bucket"),
        "signed_key": signed.get("key"), "signed_version_id": signed.get("version_id"),
        "signed_sha256": signed.get("sha256"), "payload_sha256": record.get("payload_sha256", ""),
    }


def _crm_command(record: dict, _: str) -> Iterator[tuple[str, Row]]:
    yield "crm_syncs", _crm_row(record, outcome="queued")


def _crm_row(command: dict, *, outcome: str, event_id: str | None = None, occurred_at: int | None = None,
             error_type: str | None = None, error: str | None = None, doc_id: str | None = None) -> Row:
    return {
        "doc_id": doc_id or command.get("doc_id") or "", "event_id": event_id or command["event_id"],
        "occurred_at": ts(occurred_at if occurred_at is not None else command.get("occurred_at") or 0),
        "outcome": outcome, "target": command.get("target", ""), "operation": command.get("operation", ""),
        "object": command.get("object", ""), "idempotency_key": command.get("idempotency_key", ""),
        "mapping_version": command.get("mapping_version", ""), "error_type": error_type, "error": error,
    }


def _status(record: dict, _: str) -> Iterator[tuple[str, Row]]:
    yield "status_changes", {**_base(record), "stage": record.get("stage", ""), "status": record.get("status", ""),
                             "detail": record.get("detail"), "producer": _producer(record)}


def _dryrun(record: dict, _: str) -> Iterator[tuple[str, Row]]:
    # schemas/crm.dryrun.avsc: one recorded (never sent) HTTP request, secrets redacted.
    yield "crm_dryrun", {
        **_base(record), "command_event_id": record.get("command_event_id", ""), "crm": record.get("crm", ""),
        "operation": record.get("operation", ""), "object": record.get("object", ""),
        "sequence": record.get("sequence", 0), "method": record.get("method", ""), "url": record.get("url", ""),
        "headers": canonical_json(record.get("headers") or {}), "body": record.get("body"),
        "body_sha256": record.get("body_sha256"), "idempotency_key": record.get("idempotency_key", ""),
        "mapping_version": record.get("mapping_version", ""),
    }


def _webhook_rejected(record: dict, _: str) -> Iterator[tuple[str, Row]]:
    yield "webhook_rejections", {
        "event_id": record["event_id"], "occurred_at": ts(record.get("occurred_at") or 0),
        "provider": record.get("provider", ""), "reason": record.get("reason", ""), "path": record.get("path", ""),
        "remote_addr": record.get("remote_addr"), "payload_sha256": record.get("payload_sha256", ""),
        "size_bytes": record.get("size_bytes", 0), "header_names": list(record.get("header_names") or []),
    }


def _webhook_delivery(record: dict, _: str) -> Iterator[tuple[str, Row]]:
    # schemas/webhooks.log.avsc: one outbound webhook attempt (streams/webhooks/deliver.py).
    yield "webhook_deliveries", {
        "event_id": record["event_id"], "doc_id": record.get("doc_id", ""),
        "occurred_at": ts(record.get("occurred_at") or 0), "webhook_id": record.get("webhook_id", ""),
        "subscription_id": record.get("subscription_id", ""), "event_type": record.get("event_type", ""),
        "attempt": record.get("attempt", 0), "outcome": record.get("outcome", ""),
        "status_code": record.get("status_code"), "error": record.get("error"),
        "duration_ms": record.get("duration_ms", 0), "target_host": record.get("target_host", ""),
    }


def _admin_action(record: dict, _: str) -> Iterator[tuple[str, Row]]:
    # schemas/admin.actions.avsc: opaque ids only (inkstream/admin_audit.py scrubs e-mails).
    yield "admin_actions", {
        "event_id": record["event_id"], "occurred_at": ts(record.get("occurred_at") or 0),
        "actor": record.get("actor", ""), "action": record.get("action", ""), "target": record.get("target", ""),
        "detail": canonical_json(record.get("detail") or {}), "producer": _producer(record),
    }


def dlq_rows(record: dict, dlq_topic: str, prefix: str, decode: Callable[[bytes], dict] | None,
             doc_id: str) -> Iterator[tuple[str, Row]]:
    value = record.get("value") or b""
    source_topic = strip_prefix(record.get("topic", ""), prefix)
    yield "dlq_events", {
        "event_id": record["event_id"], "doc_id": doc_id, "occurred_at": ts(record.get("occurred_at") or 0),
        "dlq_topic": dlq_topic, "processor": record.get("processor", ""), "source_topic": source_topic,
        "source_partition": record.get("partition", 0), "source_offset": record.get("offset", 0),
        "error_type": record.get("error_type", ""), "error": record.get("error", ""),
        "attempts": record.get("attempts", 0), "value_size": len(value), "value_sha256": sha256_hex(value),
    }
    if source_topic == "crm.commands":
        command = _try_decode(decode, value)
        yield "crm_syncs", _crm_row(command, outcome="failed", event_id=record["event_id"],
                                    occurred_at=record.get("occurred_at"), error_type=record.get("error_type"),
                                    error=record.get("error"), doc_id=doc_id)


def _try_decode(decode: Callable[[bytes], dict] | None, value: bytes) -> dict:
    if decode is None or not value:
        return {}
    try:
        out = decode(value)
    except Exception:  # noqa: BLE001 - a poison original is exactly why it is in the DLQ
        return {}
    return out if isinstance(out, dict) else {}


_BY_TOPIC: dict[str, Callable[[dict, str], Iterator[tuple[str, Row]]]] = {
    "documents.ingested": _documents,
    "documents.ingested.priority": _documents,
    "ocr.results": _ocr,
    "fields.validated": _fields,
    "esign.events": _esign,
    "crm.commands": _crm_command,
    "documents.status": _status,
    "crm.dryrun": _dryrun,
    "webhooks.rejected": _webhook_rejected,
    "admin.actions": _admin_action,
    "webhooks.log": _webhook_delivery,
}


def rows_for(topic: str, record: dict) -> list[tuple[str, Row]]:
    """Analytics rows for a record of logical ``topic`` (DLQ topics: see ``dlq_rows``)."""
    builder = _BY_TOPIC.get(topic)
    return list(builder(record, topic)) if builder else []
