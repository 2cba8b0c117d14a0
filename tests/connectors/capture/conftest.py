"""Fixtures for capture tests."""

from __future__ import annotations

import pytest

from connectors.capture.testing import ListSink


@pytest.fixture
def sink(codec) -> ListSink:
    """Records as the tests' codec encodes them (ingest is given ``sink.codec``)."""
    return ListSink(codec)


class MemoryStore:
    """The ObjectStore contract (versioned, metadata kept) over a dict, for unit tests of
    ingest's logic; the same behaviour is proven against the real S3 server in
    ``test_stack.py`` and ``tests/connectors/objectstore``."""

    def __init__(self) -> None:
        self.versions: dict[str, list[tuple[bytes, dict, str]]] = {}

    def put(self, key, data, *, content_type, metadata=None):
        import hashlib

        from connectors.objectstore import ObjectRef

        body = data if isinstance(data, bytes) else data.read()
        version = f"v{len(self.versions.get(key, [])) + 1}"
        self.versions.setdefault(key, []).append((body, dict(metadata or {}), content_type))
        return ObjectRef("mem", key, version, hashlib.sha256(body).hexdigest(), len(body), content_type)

    def put_if_absent(self, key, data, *, content_type, metadata=None):
        if key in self.versions:
            return None
        return self.put(key, data, content_type=content_type, metadata=metadata)

    def stat(self, key):
        import hashlib

        from connectors.objectstore import ObjectRef

        if key not in self.versions:
            return None
        body, meta, ctype = self.versions[key][-1]
        ref = ObjectRef("mem", key, f"v{len(self.versions[key])}", hashlib.sha256(body).hexdigest(),
                        len(body), ctype)
        return ref, meta

    def discard(self, ref):
        versions = self.versions[ref.key]
        versions.pop(int(ref.version_id[1:]) - 1)
        if not versions:
            del self.versions[ref.key]

    def exists(self, key):
        found = self.stat(key)
        return found[0] if found else None

    def get(self, ref):
        stored = self.versions[ref.key]
        return stored[int(ref.version_id[1:]) - 1][0] if ref.version_id else stored[-1][0]

    def versions_of(self, key):
        """Version ids under ``key``, newest first (``S3ObjectStore.versions``)."""
        return [f"v{i}" for i in range(len(self.versions.get(key, [])), 0, -1)]

    @property
    def bucket(self):
        return "mem"

    def ensure_bucket(self):
        pass


@pytest.fixture
def memstore() -> MemoryStore:
    return MemoryStore()
