"""What happens to a webhook once verified (or not), independent of HTTP.

``accept`` turns a verified :class:`ProviderEvent` into exactly one ``esign.events``
record plus the envelope's next state, published together; a provider event id already
in the envelope state is acknowledged and ignored. ``reject`` counts and audits a
refused request (``webhooks.rejected``) without any secret, signature or body.

Several gateway instances behind one load balancer share nothing but Kafka: the seen ids
live in the envelope state on the compacted ``esign.envelopes`` (committed in the same
transaction as the event), so ``accept`` catches up with that topic before every check (a
redelivery to another instance is found there), and after its own write (when another
instance wrote the same envelope in between, it writes the merged state back: see
:mod:`connectors.esign.state`). Two instances handling the SAME delivery at the same
moment can both produce it; both records then carry the same ``event_id`` (derived from
provider, envelope and provider event id), the idempotency key every consumer dedupes on.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import uuid
from collections.abc import Callable

from connectors.esign.events import ProviderEvent
from connectors.esign.metrics import GatewayMetrics
from connectors.esign.publisher import Publisher
from connectors.esign.state import TOPIC as ENVELOPES, EnvelopeBook
from inkstream.errors import ConnectorError
from schemas.records import envelope, now_ms

__all__ = ["Intake", "EVENTS", "REJECTED"]

log = logging.getLogger(__name__)
EVENTS = "esign.events"
REJECTED = "webhooks.rejected"
_EVENT_IDS = uuid.UUID("6f1c1a52-0b7e-4c55-9d53-3c0f2f1e6a01")  # namespace of esign.events ids


class Intake:
    def __init__(self, *, publisher: Publisher, book: EnvelopeBook, metrics: GatewayMetrics,
                 refresh: Callable[[], object] | None = None) -> None:
        self._publisher = publisher
        self._book = book
        self._metrics = metrics
        self._refresh = refresh
        # One webhook at a time per process: the dedupe check and the publish must not
        # interleave, or two concurrent redeliveries would both be produced.
        self._lock = threading.Lock()

    def accept(self, event: ProviderEvent, body: bytes) -> str:
        """Returns the outcome: produced, duplicate, unmatched or ignored."""
        if event.event_type is None:
            return self._count(event, "ignored")
        with self._lock:
            if self._refresh is not None:
                self._refresh()  # another instance (or the dispatcher) may have written since
            state = self._book.get(event.envelope_id)
            if state is not None and event.provider_event_id in state.get("seen_event_ids", []):
                return self._count(event, "duplicate")
            # The stored doc id wins over the payload's: Dropbox Sign's event_hash does not
            # cover the metadata, and a signed payload should not re-home an envelope.
            doc_id = state["doc_id"] if state is not None else event.doc_id
            if state is not None and event.doc_id and event.doc_id != doc_id:
                log.warning("%s envelope %s: payload doc id differs from the envelope state; keeping the state's",
                            event.provider, event.envelope_id)
            if not doc_id:
                self._publisher.publish([(f"{EVENTS}.dlq", None, _dead_letter(event, body))])
                return self._count(event, "unmatched")
            new_state = self._book.next_state(state, event, doc_id)
            record = _esign_event(event, doc_id, body, state)
            self._publisher.publish([(EVENTS, doc_id, record), (ENVELOPES, event.envelope_id, new_state)])
            self._book.apply(new_state)
            self._write_back_if_behind(event.envelope_id)
            return self._count(event, "produced")

    def _write_back_if_behind(self, envelope_id: str) -> None:
        """Read our own write back; if another instance wrote this envelope from a state that
        did not hold ours (or we from one without theirs), write the merged state once."""
        if self._refresh is None:
            return
        self._refresh()
        if not self._book.behind(envelope_id):
            return
        merged = {**self._book.get(envelope_id), "event_id": str(uuid.uuid4()), "occurred_at": now_ms()}
        try:
            self._publisher.publish([(ENVELOPES, envelope_id, merged)])
        except ConnectorError:
            # The event is committed; the next event for this envelope (any instance) starts
            # from the merged view and heals the topic, so the vendor still gets its 2xx.
            log.exception("could not write back the merged state of envelope %s", envelope_id)
            return
        self._book.apply(merged)

    def reject(self, provider: str, reason: str, *, body: bytes, path: str, remote_addr: str | None,
               header_names: list[str]) -> None:
        self._metrics.verification_failures.labels(provider, reason).inc()
        record = {**envelope("", producer="esign.gateway"), "provider": provider, "reason": reason, "path": path,
                  "remote_addr": remote_addr, "payload_sha256": hashlib.sha256(body).hexdigest(),
                  "size_bytes": len(body), "header_names": sorted(header_names)}
        try:
            self._publisher.publish([(REJECTED, provider, record)])
        except ConnectorError:
            # The 401 still goes out; the metric above has counted it.
            log.exception("could not audit a rejected %s webhook", provider)

    def _count(self, event: ProviderEvent, outcome: str) -> str:
        self._metrics.events.labels(event.provider, event.event_type or "none", outcome).inc()
        return outcome


def _esign_event(event: ProviderEvent, doc_id: str, body: bytes, state: dict | None) -> dict:
    signer = dict(event.signer) if event.signer else None
    if signer is not None and signer.get("auth_method") is None and state is not None:
        signer["auth_method"] = state.get("auth_method")  # what was requested, when the vendor does not say
    return {
        **envelope(doc_id, producer="esign.gateway", trace=state["trace"] if state else None),
        # The same delivery gets the same id on every instance (the idempotency key downstream).
        "event_id": str(uuid.uuid5(_EVENT_IDS, f"{event.provider}/{event.envelope_id}/{event.provider_event_id}")),
        "provider": event.provider, "envelope_id": event.envelope_id, "event_type": event.event_type,
        "provider_event": event.provider_event, "provider_event_id": event.provider_event_id,
        "provider_time": event.provider_time, "signer": signer, "signed": None,
        "payload_sha256": hashlib.sha256(body).hexdigest(),
    }


def _dead_letter(event: ProviderEvent, body: bytes) -> dict:
    return {"event_id": str(uuid.uuid4()), "occurred_at": now_ms(), "processor": "esign.gateway",
            "topic": f"webhooks/{event.provider}", "partition": -1, "offset": -1,
            "key": event.envelope_id.encode(), "value": body, "error_type": "UnmatchedEnvelope",
            "error": f"verified {event.provider} event {event.provider_event!r} for envelope {event.envelope_id!r} "
                     "names no doc_id and no envelope state knows it", "attempts": 1}
