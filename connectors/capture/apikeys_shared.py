"""API keys shared by every upload API instance through Kafka (``state.backend: kafka``).

The same :class:`~connectors.capture.apikeys.ApiKeyStore` (same key format, same hashing,
same audit-first admin paths in ``apikey_admin.py`` and the CLI); only where the entries
live differs: records on the compacted ``admin.state`` topic (:mod:`inkstream.shared_table`)
that every instance follows, instead of a file in one host's data dir.

- ``apikey/<id>``: the entry (id, source, scopes, ``sha256`` of the key, created/revoked
  times). Written only by create and revoke (admin actions, audited before they are
  written); a revocation is never undone in memory by a stale record (``_sticky_revocation``).
- ``apikey-used/<id>``: ``{"last_used_at": ...}``, informational, written at most once a
  minute per instance without waiting for the broker (a request never blocks on it), and
  under its own key so that it can never rewrite an entry (and un-revoke it).

A key created on one instance verifies on another, and a revoked one stops verifying there,
once the other's follower has read the record (about 0.1–0.5 s here; see
tests/connectors/capture/test_apikeys_shared.py). When the follower has not reached the
broker for ``state.max_staleness_s`` every key is refused (401): a table that may be
missing a revocation is not trusted.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict

from connectors.capture.apikeys import ApiKey, ApiKeyStore
from inkstream.shared_table import SharedTable

__all__ = ["SharedApiKeyStore", "open_key_store"]

log = logging.getLogger(__name__)
_ENTRY_FIELDS = ("id", "source", "scopes", "sha256", "created_at", "revoked_at")


def _sticky_revocation(current: dict | None, incoming: dict) -> dict:
    if current and current.get("revoked_at") and not incoming.get("revoked_at"):
        return {**incoming, "revoked_at": current["revoked_at"]}
    return incoming


class SharedApiKeyStore(ApiKeyStore):
    def __init__(self, settings, *, start_timeout_s: float = 30.0) -> None:
        super().__init__(path=None)  # type: ignore[arg-type]  # no file: the table is the store
        topic, staleness = settings.state.topic, settings.state.max_staleness_s
        self._version = 0
        self._seen_version = -1
        self._entries = SharedTable(settings, topic, prefix="apikey/", merge=_sticky_revocation,
                                    max_staleness_s=staleness, on_change=self._changed)
        self._used = SharedTable(settings, topic, prefix="apikey-used/", max_staleness_s=staleness,
                                 on_change=self._changed)
        self._entries.start(start_timeout_s)
        self._used.start(start_timeout_s)
        self._stale_logged = 0.0

    @classmethod
    def from_settings(cls, settings) -> "SharedApiKeyStore":
        return cls(settings)

    def close(self) -> None:
        self.flush()
        self._entries.stop()
        self._used.stop()

    def verify(self, presented: str | None) -> ApiKey | None:
        if not self._entries.fresh():
            if time.monotonic() - self._stale_logged > 60:
                self._stale_logged = time.monotonic()
                log.warning("API keys refused: the shared key table has not reached Kafka for over %ss",
                            self._entries.max_staleness_s)
            return None
        return super().verify(presented)

    def _changed(self, _key: str) -> None:
        self._version += 1

    # The base class calls these two under its lock.
    def _reload(self) -> None:
        if self._seen_version == self._version:
            return
        self._seen_version = self._version
        fresh: dict[str, ApiKey] = {}
        for key_id, value in self._entries.items():
            used = (self._used.get(key_id) or {}).get("last_used_at")
            mine = self._keys.get(key_id)
            if mine is not None and (mine.last_used_at or 0) > (used or 0):
                used = mine.last_used_at  # ours, not written yet
            fresh[key_id] = ApiKey(id=value["id"], source=value["source"], scopes=tuple(value["scopes"]),
                                   sha256=value["sha256"], created_at=value["created_at"],
                                   revoked_at=value.get("revoked_at"), last_used_at=used)
        self._keys = fresh

    def _write(self) -> None:
        for key_id, entry in list(self._keys.items()):
            stored = self._entries.get(key_id)
            record = {k: v for k, v in asdict(entry).items() if k in _ENTRY_FIELDS}
            record["scopes"] = list(entry.scopes)
            record = _sticky_revocation(stored, record)  # a revocation read meanwhile stays
            if record != stored:
                self._entries.put(key_id, record)  # durable before create/revoke return
            used = (self._used.get(key_id) or {}).get("last_used_at")
            if entry.last_used_at and entry.last_used_at != used:
                self._used.put_nowait(key_id, {"last_used_at": entry.last_used_at})
        self._last_flush = time.monotonic()
        self._dirty = False


def open_key_store(settings) -> ApiKeyStore:
    """The configured store: this shared one with ``state.backend: kafka`` (N instances),
    else the host's file (``ApiKeyStore.from_settings``)."""
    if settings.state.backend == "kafka":
        return SharedApiKeyStore(settings)
    return ApiKeyStore.from_settings(settings)
