"""The audit sink: every consumed record → one hash-chained ``audit_events`` row plus its
analytics rows, written to ClickHouse in batches.

Guarantee: **at-least-once delivery, deduplicated on ``event_id``** — effectively once in
the tables. The runtime calls ``add`` per record and ``flush`` at each checkpoint (bounded
by ``settings.audit.batch_max_records`` / ``batch_max_seconds``) before it commits the
offsets. A crash between ``flush`` and the commit redelivers the batch; then:

- ``audit_events``: before chaining, ``flush`` looks up the batch's event ids in
  ClickHouse (and within the batch) and skips known ones, so a redelivered record never
  becomes a second link and a chain never forks.
- analytics tables: written *before* ``audit_events`` (so a record found in the chain has
  its analytics rows too); ReplacingMergeTree keyed on ``event_id`` collapses a repeat
  and the views read with ``FINAL``.
- ``audit_chain_heads``: written last; the chain heads in memory only advance after all
  inserts succeeded, and a failed flush forgets the heads of the chains it touched (they
  are read again from ``audit_events``), then raises so the runtime retries the batch.

Erasures: a ``privacy.erasures`` record is chained, then the document's personal columns
and earlier payloads are blanked in the same flush (``streams.audit.erasure``); later
records of an erased document are chained with the erasure marker as their payload.

One writer per chain. On chDB (the single-host default) the sink is one worker: chDB
allows one process per directory. With ``CLICKHOUSE_URL`` several instances (one consumer
group, each its own ``instance.id``) write to one server, and a chain still has one writer
at a time by **partition ownership**:

- a document's records are keyed by its doc_id, so with the same partition count on
  every audited topic (*co-partitioned*, the rule Kafka Streams enforces for joins) they
  sit in the same partition number everywhere, and the range assignor (librdkafka's
  default, which the runtime keeps) gives partition *p* of every topic to one member;
  ``streams.audit.ownership`` checks the layout at start. A record without a doc_id
  chains per partition (``~<topic>`` for partition 0, ``~<topic>/<p>`` beyond), so it
  has one writer too;
- the instance that takes a partition over reads each chain's head from the server:
  against a server the sink keeps no head or erasure state between flushes (one
  ``GROUP BY doc_id`` over the batch's chains per flush), so a chain continues where
  its previous owner, dead or alive, left it;
- a replay after a crash or a rebalance is the redelivery above: the event ids are
  looked up on the server before chaining (check-then-insert under ownership), so
  ``audit_events`` gets no duplicate and stays a plain MergeTree whose every row
  ``audit verify`` sees. Why not ReplacingMergeTree on ``event_id`` for the chain too:
  two links of one event would be merged away only eventually, so until a merge a
  count or a verify would see both, and a merge would leave a hole in the seq order.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from clickhouse_connect.driver.exceptions import DataError
from prometheus_client import CollectorRegistry, Counter, Histogram

from inkstream.errors import ConnectorError

from streams.audit.chain import ERASED_PAYLOAD, GENESIS, canonical_json, link
from streams.audit.erasure import ERASURE_TOPIC, blank_documents, erased_documents
from streams.audit.rows import clamp_ms, dlq_rows, rows_for, strip_prefix, ts
from streams.audit.store import ClickHouse

__all__ = ["AuditSink", "AuditMetrics", "chain_id", "AUDIT_COLUMNS"]

log = logging.getLogger("inkstream.audit")

# Raised while serialising rows on the client: the data is wrong, retrying cannot help.
_BAD_ROW = (DataError, TypeError, ValueError, OverflowError)
AUDIT_COLUMNS = ("doc_id", "seq", "event_id", "topic", "partition", "offset", "occurred_at", "producer",
                 "payload", "payload_sha256", "prev_hash", "hash")
_MAX_CACHED_HEADS = 200_000
_UNREADABLE = "$erased"  # marks a record the runtime handed over unopened (see AuditSink.erased)


@dataclass(frozen=True)
class AuditMetrics:
    rows: Counter
    duplicates: Counter
    flush_seconds: Histogram
    flush_failures: Counter
    analytics_skipped: Counter

    @classmethod
    def create(cls, registry: CollectorRegistry) -> "AuditMetrics":
        return cls(
            rows=Counter("inkstream_audit_rows_total", "Rows written to ClickHouse by the audit sink.",
                         ("table",), registry=registry),
            duplicates=Counter("inkstream_audit_duplicates_total",
                               "Redelivered records the audit sink recognised by event_id and skipped.",
                               registry=registry),
            flush_seconds=Histogram("inkstream_audit_flush_seconds", "Time to write one batch to ClickHouse.",
                                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
                                    registry=registry),
            flush_failures=Counter("inkstream_audit_flush_failures_total",
                                   "Batches the audit sink failed to write (retried by the runtime).",
                                   registry=registry),
            analytics_skipped=Counter("inkstream_audit_analytics_skipped_total",
                                      "Records chained in audit_events whose analytics rows could not be built "
                                      "or written (bad data, never retried).", ("table",), registry=registry),
        )


@dataclass(frozen=True)
class _Pending:
    topic: str
    partition: int
    offset: int
    key: str | None
    record: dict


def chain_id(topic: str, record: dict, key: str | None, partition: int = 0) -> str:
    """The chain a record belongs to: its doc_id; for a DLQ record the original key (the
    doc_id everywhere documents are the subject); else ``~<topic>`` for partition 0 and
    ``~<topic>/<partition>`` beyond (one partition has one owner: one writer per chain
    when several sink instances share a server)."""
    doc_id = record.get("doc_id")
    if isinstance(doc_id, str) and doc_id:
        return doc_id
    if topic.endswith(".dlq"):
        original = record.get("key")
        if isinstance(original, (bytes, bytearray)) and original:
            return bytes(original).decode("utf-8", errors="replace")
        if key:
            return key
    return f"~{topic}" if not partition else f"~{topic}/{partition}"


class AuditSink:
    """A ``streams.runtime.BatchSink`` writing the audit trail. ``open_store`` is called
    once, lazily, in the process that writes (chDB belongs to one process)."""

    def __init__(self, open_store: Callable[[], ClickHouse], *, prefix: str = "",
                 decode: Callable[[bytes], dict] | None = None, metrics: AuditMetrics | None = None) -> None:
        self._open_store = open_store
        self._store: ClickHouse | None = None
        self._prefix = prefix
        self._decode = decode
        self._metrics = metrics
        self._buffer: list[_Pending] = []
        self._heads: dict[str, tuple[int, str]] = {}
        self._erased: set[str] | None = None  # documents with an applied erasure (this sink applies them all)

    @property
    def store(self) -> ClickHouse:
        if self._store is None:
            self._store = self._open_store()
        return self._store

    def add(self, record: dict, ctx) -> None:
        self._buffer.append(_Pending(ctx.topic, ctx.partition, ctx.offset, ctx.key, record))

    def erased(self, doc_id: str, ctx) -> None:
        """A record the runtime could not open because its document was erased (its key
        was destroyed, ``RecordErased``): chained with the erasure marker as its payload,
        never dropped. Its event id is derived from where it was read, so a redelivery is
        recognised like any other."""
        event_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{ctx.topic}/{ctx.partition}/{ctx.offset}"))
        record = {"event_id": event_id, "doc_id": doc_id, "occurred_at": getattr(ctx, "timestamp_ms", None) or 0,
                  _UNREADABLE: True}
        self._buffer.append(_Pending(ctx.topic, ctx.partition, ctx.offset, None, record))

    def flush(self) -> None:
        batch, self._buffer = self._buffer, []
        if not batch:
            return
        started = time.perf_counter()
        try:
            self._write(batch)
        except Exception:
            for pending in batch:
                self._heads.pop(chain_id(pending.topic, pending.record, pending.key, pending.partition), None)
            if self._metrics:
                self._metrics.flush_failures.inc()
            raise
        if self._metrics:
            self._metrics.flush_seconds.observe(time.perf_counter() - started)

    # -- one batch ---------------------------------------------------------------------

    def _write(self, batch: list[_Pending]) -> None:
        items = self._unique(batch)
        chains = sorted({c for c, _, _ in items})
        known = self._known_event_ids(chains, [e for _, e, _ in items])
        fresh = [(c, e, p) for c, e, p in items if e not in known]
        if self._metrics and len(batch) > len(fresh):
            self._metrics.duplicates.inc(len(batch) - len(fresh))
        # Heads of every chain in the batch, not only the fresh ones: a redelivery after a
        # flush that died between the audit_events and audit_chain_heads inserts repairs them.
        heads = self._load_heads(chains)
        # Erasures of the whole batch, duplicates included: a batch replayed after a crash
        # between its links and the blanking applies the blanking again.
        erasing = {(c, e): p for c, e, p in items if self._is_erasure(p) and not c.startswith("~")}
        erased = self._erased_among(chains) | {c for c, _ in erasing}
        tables: dict[str, list[dict]] = {}
        links: list[dict] = []
        for chain, event_id, pending in fresh:
            # A record of an erased document is chained (never dropped) but not readable.
            blank = (chain in erased or pending.record.get(_UNREADABLE) is True) and not self._is_erasure(pending)
            for table, row in ([] if blank else self._analytics(chain, event_id, pending)):
                tables.setdefault(table, []).append(row)
            seq, prev = heads.get(chain, (0, GENESIS))
            row = self._link(chain, seq + 1, prev, event_id, pending, erased=blank)
            heads[chain] = (row["seq"], row["hash"])
            links.append(row)
        for table, rows in sorted(tables.items()):
            self._insert_analytics(table, rows)
        self._insert("audit_events", [{**r, "occurred_at": ts(r.pop("occurred_at_ms"))} for r in links],
                     AUDIT_COLUMNS)
        touched = {c for c in chains if c in heads}
        self._insert("audit_chain_heads", [{"doc_id": c, "seq": heads[c][0], "hash": heads[c][1]} for c in sorted(touched)])
        if len(self._heads) > _MAX_CACHED_HEADS:
            self._heads.clear()
        self._heads.update({c: heads[c] for c in touched})
        if erasing:
            self._apply_erasures(erasing)

    # -- erasures (streams/audit/erasure.py) ----------------------------------------------

    def _is_erasure(self, p: _Pending) -> bool:
        return strip_prefix(p.topic, self._prefix) == ERASURE_TOPIC

    def _erased_among(self, chains: list[str]) -> set[str]:
        if getattr(self.store, "shared", False):  # another instance may have applied an erasure since
            return erased_documents(self.store, [c for c in chains if not c.startswith("~")]) if chains else set()
        if self._erased is None:
            self._erased = erased_documents(self.store)
        return {c for c in chains if c in self._erased}

    def _apply_erasures(self, erasing: dict[tuple[str, str], _Pending]) -> None:
        docs = sorted({c for c, _ in erasing})
        blanked = blank_documents(self.store, docs)
        self._insert("erasures", [
            {"doc_id": c, "event_id": e, "request_id": str(p.record.get("request_id") or ""),
             "erased_at": ts(p.record.get("occurred_at") or 0), "rows_blanked": blanked.get(c, 0)}
            for (c, e), p in sorted(erasing.items(), key=lambda kv: kv[0])])
        if self._erased is not None:
            self._erased.update(docs)
        log.info("audit: erasure applied to %d document(s), %d earlier payload(s) blanked",
                 len(docs), sum(blanked.values()))

    def _unique(self, batch: list[_Pending]) -> list[tuple[str, str, _Pending]]:
        seen: set[str] = set()
        out = []
        for pending in batch:
            event_id = pending.record.get("event_id") or str(
                uuid.uuid5(uuid.NAMESPACE_URL, f"{pending.topic}/{pending.partition}/{pending.offset}"))
            if event_id in seen:
                continue
            seen.add(event_id)
            out.append((chain_id(pending.topic, pending.record, pending.key, pending.partition), event_id, pending))
        return out

    def _known_event_ids(self, chains: list[str], event_ids: list[str]) -> set[str]:
        # doc_id first: it is the table's primary key, so this reads only those chains.
        _, rows = self.store.query(
            "SELECT event_id FROM audit_events WHERE doc_id IN {chains:Array(String)} "
            "AND event_id IN {ids:Array(String)}", {"chains": chains, "ids": event_ids})
        return {r[0] for r in rows}

    def _load_heads(self, chains: list[str]) -> dict[str, tuple[int, str]]:
        if getattr(self.store, "shared", False):  # the chain may have moved on under another owner since we last wrote it
            self._heads.clear()
        heads = {c: self._heads[c] for c in chains if c in self._heads}
        missing = [c for c in chains if c not in heads]
        if missing:
            _, rows = self.store.query(
                "SELECT doc_id, max(seq), argMax(hash, seq) FROM audit_events "
                "WHERE doc_id IN {chains:Array(String)} GROUP BY doc_id", {"chains": missing})
            heads.update({doc: (int(seq), h) for doc, seq, h in rows})
        return heads

    def _link(self, chain: str, seq: int, prev: str, event_id: str, p: _Pending, *, erased: bool = False) -> dict:
        producer = p.record.get("producer")
        producer_name = producer.get("name", "") if isinstance(producer, dict) else (p.record.get("processor") or "")
        return link(prev, doc_id=chain, seq=seq, event_id=event_id, topic=p.topic, partition=p.partition,
                    offset=p.offset, occurred_at_ms=clamp_ms(p.record.get("occurred_at") or 0),
                    producer=str(producer_name), payload=ERASED_PAYLOAD if erased else canonical_json(p.record))

    def _analytics(self, chain: str, event_id: str, p: _Pending) -> list[tuple[str, dict]]:
        record = {**p.record, "event_id": event_id}
        try:
            if p.topic.endswith(".dlq"):
                doc_id = "" if chain.startswith("~") else chain
                return list(dlq_rows(record, p.topic, self._prefix, self._decode, doc_id))
            return rows_for(strip_prefix(p.topic, self._prefix), record)
        except Exception as exc:  # noqa: BLE001 - the record is still chained with its full payload
            self._skipped("(building)", event_id, exc)
            return []

    def _insert_analytics(self, table: str, rows: list[dict]) -> None:
        """Insert; if the rows cannot be serialised, insert them one by one and skip the
        bad ones (a poison row must not block the batch forever). Transient errors raise."""
        try:
            return self._insert(table, rows)
        except ConnectorError as exc:
            if not isinstance(exc.__cause__, _BAD_ROW):
                raise
        for row in rows:
            try:
                self._insert(table, [row])
            except ConnectorError as exc:
                if not isinstance(exc.__cause__, _BAD_ROW):
                    raise
                self._skipped(table, row.get("event_id", "?"), exc)

    def _skipped(self, table: str, event_id: str, exc: Exception) -> None:
        log.warning("audit: no %s row for event %s: %s", table, event_id, str(exc)[:200])
        if self._metrics:
            self._metrics.analytics_skipped.labels(table).inc()

    def _insert(self, table: str, rows: list[dict], columns: tuple[str, ...] | None = None) -> None:
        if not rows:
            return
        cols = columns or tuple(rows[0])
        self.store.insert(table, [[r[c] for c in cols] for r in rows], cols)
        if self._metrics:
            self._metrics.rows.labels(table).inc(len(rows))
