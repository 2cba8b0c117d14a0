"""Processor ``webhooks.fanout``: pipeline records → integrator events → one job per
matching subscription on ``webhooks.deliveries``.

Kafka→Kafka, so exactly-once: a job is produced once per (source record, subscription)
even across restarts. The ``webhook-id`` is derived from both (stable on every attempt,
so receivers dedupe on it as the spec asks). Payloads carry ids, stages and statuses,
never extracted values, names or e-mail addresses.

Who gets what: a document's owner is the source of the API key that uploaded it (learned
from its ``documents.ingested`` record, kept in a small SQLite map beside the
subscriptions); ``subscriptions.matching`` does the rest. Topics are not ordered with
each other: an event handled before its document's ingested record (a fan-out lagging on
``documents.ingested`` only) reaches the all-documents (admin) subscriptions only.

>>> [t for t, _ in events_of("fields.validated", {"doc_id": "d", "status": "review", "doc_type": "invoice"})]
['document.needs_review']
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
import threading
from pathlib import Path
from typing import Iterator

from connectors.webhooks_out.subscriptions import Subscriptions, subscriptions_path
from schemas.records import envelope
from streams.runtime import Context, Emit, Processor, SkipRecord

__all__ = ["events_of", "Owners", "fanout", "factory", "INPUTS"]

# Both ingest lanes: a high-priority upload is a document like any other to its integrator.
INPUTS = ("documents.ingested", "documents.ingested.priority", "ocr.results", "fields.validated", "esign.events",
          "documents.status")


def events_of(topic: str, record: dict) -> list[tuple[str, dict]]:
    """The integrator events one pipeline record stands for (usually zero or one)."""
    doc = {"doc_id": record["doc_id"]}
    if topic in ("documents.ingested", "documents.ingested.priority"):
        return [("document.ingested", {**doc, "source": record.get("source"),
                                       "duplicate_of": record.get("duplicate_of")})]
    if topic == "ocr.results":
        return [("document.read", {**doc, "pages": len(record.get("pages") or [])})]
    if topic == "fields.validated":
        status = record.get("status")
        data = {**doc, "doc_type": record.get("doc_type"), "status": status}
        kind = {"review": "document.needs_review", "accepted": "document.accepted", "approved": "document.accepted",
                "rejected": "document.failed"}.get(status)
        return [(kind, data)] if kind else []
    if topic == "esign.events" and record.get("event_type") == "completed":
        return [("esign.completed", {**doc, "provider": record.get("provider"),
                                     "envelope_id": record.get("envelope_id")})]
    if topic == "documents.status":
        if record.get("status") == "failed":
            return [("document.failed", {**doc, "stage": record.get("stage"), "status": "failed"})]
        if record.get("stage") == "crm" and record.get("status") not in ("done", "skipped", "dry_run"):
            return [("crm.synced", {**doc, "status": record.get("status")})]
    return []


class Owners:
    """doc_id → the source of the API key that uploaded it (SQLite: survives restarts)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("CREATE TABLE IF NOT EXISTS owners (doc_id TEXT PRIMARY KEY, owner TEXT NOT NULL)")
        self._lock = threading.Lock()

    def remember(self, doc_id: str, owner: str) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO owners VALUES (?, ?)", (doc_id, owner))

    def get(self, doc_id: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT owner FROM owners WHERE doc_id = ?", (doc_id,)).fetchone()
        return row[0] if row else None


def _owner_of(record: dict) -> str | None:
    ref = record.get("source_ref") or ""
    return ref.rsplit("/", 1)[0] if record.get("source") == "http" and "/" in ref else None


def fanout(subs: Subscriptions, owners: Owners):
    def handle(record: dict, ctx: Context) -> Iterator[Emit]:
        if ctx.topic.startswith("documents.ingested") and (owner := _owner_of(record)):
            owners.remember(record["doc_id"], owner)
        events = events_of(ctx.topic, record)
        targets = [(t, data, s) for t, data in events for s in subs.matching(t, owners.get(record["doc_id"]))]
        if not targets:
            raise SkipRecord("no subscriber")
        at = dt.datetime.fromtimestamp(record["occurred_at"] / 1000, tz=dt.timezone.utc)
        for event_type, data, sub in targets:
            body = json.dumps({"type": event_type, "timestamp": at.isoformat().replace("+00:00", "Z"), "data": data},
                              separators=(",", ":"), sort_keys=True)
            seed = f"{sub.id}/{record['event_id']}/{event_type}".encode()
            webhook_id = "msg_" + hashlib.sha256(seed).hexdigest()[:32]
            job = {**envelope(record["doc_id"], producer="webhooks.fanout", trace=record.get("trace")),
                   "webhook_id": webhook_id, "subscription_id": sub.id, "event_type": event_type,
                   "payload": body, "attempt": 1, "not_before": 0}
            yield Emit("webhooks.deliveries", job)

    return handle


def factory(settings) -> Processor:
    path = subscriptions_path(settings)
    return Processor(name="webhooks.fanout", inputs=INPUTS,
                     handle=fanout(Subscriptions(path), Owners(path.with_name("owners.sqlite"))))
