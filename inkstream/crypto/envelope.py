"""Envelope encryption of blobs: AES-256-GCM under a fresh data key per blob.

Layout of a sealed blob (all integers big-endian)::

    b"INKE1" | u8 len(kek_id) | kek_id | u16 len(wrapped) | wrapped data key | nonce(12) | ciphertext+tag

The header names the KEK that wrapped the data key, so a rotated key ring still opens
old blobs. ``context`` (e.g. the object key) is authenticated on both layers: a blob
copied under another name does not open.
"""

from __future__ import annotations

import os
import struct

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from inkstream.crypto.keyring import KeyProvider, KeyUnavailable

__all__ = ["MAGIC", "seal", "StreamSealer", "unseal", "is_sealed", "kek_id_of"]

MAGIC = b"INKE1"
_NONCE = 12


def seal(provider: KeyProvider, plaintext: bytes, *, context: str) -> bytes:
    data_key = AESGCM.generate_key(bit_length=256)
    kek_id, wrapped = provider.wrap(data_key, context=context)
    kid = kek_id.encode()
    nonce = os.urandom(_NONCE)
    body = AESGCM(data_key).encrypt(nonce, plaintext, context.encode())
    return b"".join((MAGIC, struct.pack(">B", len(kid)), kid, struct.pack(">H", len(wrapped)), wrapped,
                     nonce, body))


class StreamSealer:
    """``seal`` piece by piece, never holding the plaintext whole: ``header``, then
    ``update(chunk)`` for each chunk, then ``finalize()``. Concatenated they are exactly
    ``seal``'s layout, so ``unseal`` opens them. ``kek_id`` is known before any data."""

    def __init__(self, provider: KeyProvider, *, context: str) -> None:
        data_key = AESGCM.generate_key(bit_length=256)
        self.kek_id, wrapped = provider.wrap(data_key, context=context)
        kid = self.kek_id.encode()
        nonce = os.urandom(_NONCE)
        self.header = b"".join((MAGIC, struct.pack(">B", len(kid)), kid, struct.pack(">H", len(wrapped)),
                                wrapped, nonce))
        self._encryptor = Cipher(algorithms.AES(data_key), modes.GCM(nonce)).encryptor()
        self._encryptor.authenticate_additional_data(context.encode())

    def update(self, chunk: bytes) -> bytes:
        return self._encryptor.update(chunk)

    def finalize(self) -> bytes:
        return self._encryptor.finalize() + self._encryptor.tag  # AESGCM.encrypt's layout: ciphertext | tag


def is_sealed(blob: bytes) -> bool:
    return blob[:len(MAGIC)] == MAGIC


def kek_id_of(blob: bytes) -> str:
    return _parse(blob)[0]


def unseal(provider: KeyProvider, blob: bytes, *, context: str) -> bytes:
    """The plaintext, or ``KeyUnavailable`` when the blob was altered, moved or its KEK is gone."""
    kek_id, wrapped, nonce, body = _parse(blob)
    data_key = provider.unwrap(kek_id, wrapped, context=context)
    try:
        return AESGCM(data_key).decrypt(nonce, body, context.encode())
    except InvalidTag as exc:
        raise KeyUnavailable("sealed blob does not authenticate (altered or moved)") from exc


def _parse(blob: bytes) -> tuple[str, bytes, bytes, bytes]:
    if not is_sealed(blob):
        raise KeyUnavailable("not a sealed blob")
    try:
        pos = len(MAGIC)
        (n,) = struct.unpack_from(">B", blob, pos)
        kek_id = blob[pos + 1:pos + 1 + n].decode()
        pos += 1 + n
        (m,) = struct.unpack_from(">H", blob, pos)
        wrapped = blob[pos + 2:pos + 2 + m]
        pos += 2 + m
        nonce, body = blob[pos:pos + _NONCE], blob[pos + _NONCE:]
    except (struct.error, UnicodeDecodeError) as exc:
        raise KeyUnavailable("sealed blob header is damaged") from exc
    if len(nonce) != _NONCE or len(body) < 16:
        raise KeyUnavailable("sealed blob is truncated")
    return kek_id, wrapped, nonce, body
