"""Encryption at rest: a key provider for key-encryption keys, envelope encryption of
blobs, and per-document data keys that can be destroyed (crypto-shredding).

    KeyProvider (Protocol)       wraps/unwraps data keys under a key-encryption key (KEK)
    └── LocalKeyRing             the default: a 0600 JSON key file, rotation keeps old KEKs
    seal / unseal                AES-256-GCM envelope: a fresh data key per blob, wrapped by
                                 the provider; the KEK id travels in the blob's header
    DocumentKeys                 one data key per document, stored wrapped; ``destroy`` makes
                                 everything sealed with it unreadable for good

A KMS (AWS KMS Encrypt/Decrypt, Vault transit) implements ``KeyProvider`` with the same
two calls; nothing else changes.
"""

from inkstream.crypto.datakeys import DocumentKeys, KeyDestroyed
from inkstream.crypto.envelope import is_sealed, seal, unseal
from inkstream.crypto.keyring import KeyProvider, LocalKeyRing, key_provider

__all__ = ["KeyProvider", "LocalKeyRing", "key_provider", "seal", "unseal", "is_sealed",
           "DocumentKeys", "KeyDestroyed"]
