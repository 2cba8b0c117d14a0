"""A deterministic example processor, used by the runtime's broker tests and benchmark.

``passthrough``: copies each ``documents.ingested`` record to ``documents.ingested.priority``
(same schema) with a new producer and an ``event_id`` derived from the input's
(uuid5), so every output names the input it came from and duplicates are visible.
A record whose filename starts with ``poison`` raises ValueError: it goes to the DLQ.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from streams.runtime.processor import Context, Emit, Processor

if TYPE_CHECKING:
    from inkstream.settings import Settings

__all__ = ["passthrough", "relay", "OUTPUT_NAMESPACE"]

OUTPUT_NAMESPACE = uuid.UUID("6f1c2a52-3f0e-4c1b-9a55-2b1d6f0c9e11")


def relay(record: dict[str, Any], ctx: Context) -> Iterator[Emit]:
    if record["filename"].startswith("poison"):
        raise ValueError(f"refusing poison record at {ctx.topic}[{ctx.partition}]@{ctx.offset}")
    yield Emit("documents.ingested.priority", {
        **record,
        "event_id": str(uuid.uuid5(OUTPUT_NAMESPACE, record["event_id"])),
        "producer": {"name": "passthrough", "version": record["producer"]["version"]},
    })


def passthrough(settings: Settings | None = None) -> Processor:
    """Factory (``streams/registry.py`` entry ``passthrough``)."""
    return Processor(name="passthrough", inputs=("documents.ingested",), handle=relay)
