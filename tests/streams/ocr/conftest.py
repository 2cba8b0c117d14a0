"""Fixtures for OCR tests: generated pages and engines loaded once per test session
(loading is ~1 s, reading a page several seconds on two shared cores)."""

from __future__ import annotations

import hashlib
import os

import pytest

os.environ.setdefault("OMP_NUM_THREADS", "1")

from connectors.objectstore import ObjectRef  # noqa: E402
from inkstream.settings import OcrSettings  # noqa: E402

# Pages are generated at 150 dpi in tests (200 in the bench) to keep the suite short.
DPI = 150


class MemoryStore:
    """The ObjectStore contract over a dict (one version per key), for processor tests;
    the real S3 server is used by the ``stack`` test."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.gets = 0

    def put(self, key, data, *, content_type, metadata=None) -> ObjectRef:
        body = data if isinstance(data, bytes) else data.read()
        self.objects[key] = body
        return ObjectRef("mem", key, "v1", hashlib.sha256(body).hexdigest(), len(body), content_type)

    def get(self, ref: ObjectRef) -> bytes:
        self.gets += 1
        return self.objects[ref.key]

    def exists(self, key):
        return None


@pytest.fixture
def memstore() -> MemoryStore:
    return MemoryStore()


@pytest.fixture(scope="session")
def ocr_settings() -> OcrSettings:
    return OcrSettings(engine="rapidocr", dpi=DPI, max_pages=5, threads=1)


@pytest.fixture(scope="session")
def reader(ocr_settings):
    from streams.ocr.reader import DocumentReader

    return DocumentReader.from_settings(ocr_settings)
