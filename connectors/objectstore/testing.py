"""In-memory object stores for unit tests (no S3): the same contract as ``S3ObjectStore``
for what the tests call; the real server is covered by the ``stack`` tests."""

from __future__ import annotations

import hashlib

from connectors.objectstore.ref import ObjectRef

__all__ = ["VersionedMemoryStore"]


class VersionedMemoryStore:
    """A versioned bucket over a dict, for unit tests of what sits on a store (the sealed
    store, ``readback``): ``put`` adds a version ``v<n>``, ``get`` reads the ref's version,
    ``stat``/``exists`` answer the latest with its user metadata."""

    bucket = "mem"

    def __init__(self) -> None:
        self.versions: dict[str, list[tuple[bytes, dict]]] = {}

    def put(self, key, data, *, content_type, metadata=None):
        body = data if isinstance(data, bytes) else data.read()
        self.versions.setdefault(key, []).append((body, dict(metadata or {})))
        return self._ref(key, len(self.versions[key]))

    def get(self, ref):
        return self.versions[ref.key][int(ref.version_id[1:]) - 1][0]

    def stat(self, key):
        if key not in self.versions:
            return None
        return self._ref(key, len(self.versions[key])), self.versions[key][-1][1]

    def exists(self, key):
        found = self.stat(key)
        return found[0] if found else None

    def _ref(self, key, n):
        body = self.versions[key][n - 1][0]
        return ObjectRef("mem", key, f"v{n}", hashlib.sha256(body).hexdigest(), len(body), "application/pdf")
