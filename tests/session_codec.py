"""The codec of the tests' own settings (``load_settings()``: the data dir every test and
the processes it starts share), for tests that encode input records and decode outputs.

Tests build what they need: nothing here is installed anywhere, and a test of another
data dir builds ``Codec.from_settings`` of its own settings. One codec for the whole
session, as a process holds one: its key store is the one every test's records are
sealed and opened with (a key destroyed through it is gone at once for all of them)."""

from __future__ import annotations

import functools
from typing import Any

from schemas.codec import Codec


@functools.cache
def session_codec() -> Codec:
    """Single-object encoding (what a reader without a registry reads too; Confluent ids
    are resolved through the registry), sealed with the settings' key store."""
    from inkstream.settings import load_settings
    from schemas.codec import registry_for
    from schemas.sealing import document_keys

    settings = load_settings()
    registry, _ = registry_for(settings)
    return Codec(registry=registry, confluent=False, keys=document_keys(settings),
                 seal=settings.crypto.encrypt_records)


def encode(topic: str, record: dict[str, Any]) -> bytes:
    return session_codec().encode(topic, record)


def decode(data: bytes, topic: str | None = None) -> dict[str, Any]:
    return session_codec().decode(data, topic)
