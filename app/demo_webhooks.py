"""Outbound webhooks in ``inkstream demo`` (issue 14): the demo subscribes a receiver to every
event type, with an admin-like subscription (every document), runs ``webhooks.fanout`` and
``webhooks.deliver`` with the other processors, and shows per document which events arrived
and whether their signatures verified.

The receiver is the local one (``connectors.webhooks_out.receiver``, loopback, verifies with
inkstream's Standard Webhooks verifier) unless ``--webhook-receiver URL`` names your own; then
the demo prints the subscription's id and secret for your receiver to verify with, and cannot
say per document what your receiver got. The subscription is deleted when the demo ends
(after ``--keep-running``'s Ctrl-C too).

What a document should have received is what the fan-out makes of the records the demo saw
(``events_of`` over the tracker's view), so the check follows the event rules, not a copy.
"""

from __future__ import annotations

import time
from collections import Counter
from types import MappingProxyType
from typing import TYPE_CHECKING

from connectors.webhooks_out import EVENT_TYPES
from streams.webhooks.fanout import events_of
from connectors.webhooks_out.receiver import Delivery, LocalReceiver
from connectors.webhooks_out.subscriptions import Subscriptions, check_url, subscriptions_path

if TYPE_CHECKING:
    from app.tracker import DocView
    from inkstream.settings import Settings

__all__ = ["DemoWebhooks", "expected_events", "SHORT"]

OWNER = "inkstream-demo"
# Short names for the report's cells.
SHORT = MappingProxyType({"document.ingested": "ingested", "document.read": "read", "document.needs_review": "needs_review",
         "document.accepted": "accepted", "crm.synced": "crm.synced", "esign.completed": "esign.completed",
         "document.failed": "failed"})


def expected_events(view: DocView) -> set[str]:
    """The event types the fan-out makes of the records seen for this document."""
    records = ([("documents.ingested", view.ingested)] if view.ingested else []) + (
        [("ocr.results", view.ocr)] if view.ocr else []) + [("fields.validated", r) for r in view.fields] + [
        ("esign.events", e) for e in view.esign] + [("documents.status", s) for s in view.status]
    return {event for topic, record in records for event, _ in events_of(topic, {"doc_id": view.doc_id, **record})}


class DemoWebhooks:
    def __init__(self, settings: Settings, url: str | None = None) -> None:
        cfg = settings.webhooks_out
        self.receiver = LocalReceiver() if url is None else None
        target = url or self.receiver.url   # type: ignore[union-attr]
        check_url(target, allow_http=cfg.allow_http, allow_private=cfg.allow_private)
        self.subs = Subscriptions(subscriptions_path(settings))
        self.sub = self.subs.create(OWNER, target, list(EVENT_TYPES), all_documents=True, created_by=OWNER)
        if self.receiver is not None:
            self.receiver.secret = self.sub.secret

    @property
    def url(self) -> str:
        return self.sub.url

    def arrived(self, doc_id: str) -> list[Delivery]:
        return self.receiver.for_document(doc_id) if self.receiver else []

    def missing(self, view: DocView) -> set[str]:
        if self.receiver is None:   # your receiver: the demo cannot see what it got
            return set()
        got = {d.event_type for d in self.arrived(view.doc_id) if d.verified}
        return expected_events(view) - got

    def wait(self, views: list[DocView], timeout: float = 120) -> bool:
        """Until every document has what it should (or ``timeout``): deliveries trail the
        pipeline by the fan-out and delivery processors' polls."""
        if self.receiver is None:
            return True
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not any(self.missing(v) for v in views):
                return True
            time.sleep(0.5)
        return False

    def cell(self, view: DocView) -> str:
        """The report's cell: events that arrived, in the order they did; ✗ for a bad
        signature, "missing:" for what the document should have had."""
        if self.receiver is None:
            return "sent to your receiver"
        parts = [SHORT.get(d.event_type, d.event_type) + ("" if d.verified else " ✗") for d in self.arrived(view.doc_id)]
        missing = sorted(SHORT.get(e, e) for e in self.missing(view))
        return ", ".join(parts or ["-"]) + (f"\nmissing: {', '.join(missing)}" if missing else "")

    def summary(self, doc_ids: list[str]) -> tuple[bool, str]:
        if self.receiver is None:
            return True, (f"outbound webhooks: subscription {self.sub.id} sends every event to {self.url}; "
                          f"verify with secret {self.sub.secret}")
        mine = [d for d in self.receiver.deliveries if d.doc_id in set(doc_ids)]
        bad = [d for d in mine if not d.verified]
        dupes = [i for i, n in Counter(d.webhook_id for d in mine).items() if n > 1]
        ok = not bad and not dupes
        verdict = "all signatures verified" if not bad else f"{len(bad)} signature(s) refused: {bad[0].error}"
        return ok, (f"outbound webhooks: {len(mine)} events for {len(doc_ids)} documents received at {self.url} "
                    f"(Standard Webhooks): {verdict}; {len(dupes)} duplicate webhook-id(s)")

    def __enter__(self) -> DemoWebhooks:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.subs.delete(OWNER, self.sub.id, admin=True)
        if self.receiver is not None:
            self.receiver.close()
