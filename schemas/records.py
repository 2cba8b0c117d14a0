"""Helpers to build the common envelope every record carries (see schemas/*.avsc)."""

from __future__ import annotations

import time
import uuid

from inkstream import __version__

__all__ = ["envelope", "now_ms"]


def now_ms() -> int:
    return int(time.time() * 1000)


def envelope(doc_id: str, *, producer: str, trace: str | None = None, version: str = __version__) -> dict:
    """The five fields every record starts with; ``trace`` defaults to a new id (ingestion)."""
    return {
        "event_id": str(uuid.uuid4()),
        "doc_id": doc_id,
        "occurred_at": now_ms(),
        "producer": {"name": producer, "version": version},
        "trace": trace or uuid.uuid4().hex,
    }
