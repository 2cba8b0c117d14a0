"""The latest ``fields.validated`` record per document, as a reviewer needs it."""

from __future__ import annotations

import threading

__all__ = ["ReviewQueue"]


class ReviewQueue:
    """Thread-safe materialised view: doc_id -> latest fields.validated record.

    The follower thread calls ``apply`` for every record in topic order; a reviewer's
    decision (status approved/rejected) replaces the ``review`` record it answers, so the
    document leaves the queue as soon as the decision is read back from Kafka.
    """

    def __init__(self) -> None:
        self._latest: dict[str, dict] = {}
        self._lock = threading.Lock()

    def apply(self, record: dict) -> None:
        with self._lock:
            current = self._latest.get(record["doc_id"])
            if current is None or record["occurred_at"] >= current["occurred_at"]:
                self._latest[record["doc_id"]] = record

    def get(self, doc_id: str) -> dict | None:
        with self._lock:
            return self._latest.get(doc_id)

    def forget(self, doc_id: str) -> None:
        """Drop an erased document (its records no longer decode)."""
        with self._lock:
            self._latest.pop(doc_id, None)

    def pending(self) -> list[dict]:
        """Documents waiting for a reviewer, oldest first."""
        with self._lock:
            waiting = [r for r in self._latest.values() if r["status"] == "review"]
        return sorted(waiting, key=lambda r: r["occurred_at"])
