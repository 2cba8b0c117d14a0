"""What both e-sign processors are built from: the envelope state materialised from
Kafka, one HTTP client, providers built on first use, and the object store."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from connectors.esign import EsignProvider, provider_name
from connectors.esign.state import EnvelopeBook
from connectors.objectstore import ObjectStore
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from schemas.codec import Codec

__all__ = ["EsignWiring", "wire"]


@dataclass(frozen=True)
class EsignWiring:
    providers: Callable[[str], EsignProvider]
    store: ObjectStore
    book: EnvelopeBook
    refresh: Callable[[], object]


def wire(settings, codec: Codec) -> EsignWiring:
    import httpx

    from connectors.esign.providers import build_provider
    from connectors.esign.state import KafkaEnvelopeReader
    from connectors.objectstore import open_store

    book = EnvelopeBook(max_seen=settings.esign.seen_ids_per_envelope)
    reader = KafkaEnvelopeReader(settings, book, codec=codec)
    reader.catch_up(timeout_s=60)
    client = httpx.Client(timeout=settings.esign.timeout_s)
    cache: dict[str, EsignProvider] = {}

    def providers(name: str) -> EsignProvider:
        name = provider_name(name)
        if name not in cache:
            cache[name] = build_provider(settings, name, client)
        return cache[name]

    return EsignWiring(providers=providers, store=open_store(settings), book=book,
                       refresh=lambda: reader.catch_up(timeout_s=5))
