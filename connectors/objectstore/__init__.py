"""The object store: originals and signed files, addressed by claim checks.

``ObjectStore`` is the plug-in point; ``S3ObjectStore`` (``connectors.objectstore.s3``)
implements it over any S3-compatible server with the minio SDK, and ``SealedObjectStore``
(``connectors.objectstore.sealed``) encrypts what it stores. ``open_store(settings)`` is
the one way production code gets a store: sealed when ``crypto.encrypt_objects``.
"""

from __future__ import annotations

# The types live in ``ref`` so the stores import them without importing this package's
# factory (which imports the stores): the package's names stay where callers look for them.
from connectors.objectstore.ref import ObjectRef, ObjectStore

__all__ = ["ObjectRef", "ObjectStore", "open_store"]


def open_store(settings, *, ensure_bucket: bool = True):
    """The configured store: ``S3ObjectStore``, wrapped by ``SealedObjectStore`` (keys
    from ``inkstream.crypto.key_provider``) when ``crypto.encrypt_objects`` is on.
    Imports lazily: this module stays light for the CLI."""
    from connectors.objectstore.s3 import S3ObjectStore

    store = S3ObjectStore.from_settings(settings, ensure_bucket=ensure_bucket)
    if not settings.crypto.encrypt_objects:
        return store
    from connectors.objectstore.sealed import SealedObjectStore
    from inkstream.crypto import key_provider

    return SealedObjectStore(store, key_provider(settings))
