"""Record sealing (earlier releases): whole records encrypted with their document's key.

Records are now written with their personal fields encrypted in place
(``schemas.field_encryption``), a plain Avro record any reader reads; sealed records
already on the topics still decode (``unseal``), and this module still says which topics
carry personal data (``SEALED_TOPICS``) and holds the process's key stores.

A sealed record is the whole Avro record (either wire format, header included) encrypted
with AES-256-GCM under the data key of its document (``inkstream.crypto.datakeys``)::

    C5 01 | u8 len(topic) | topic | u16 len(doc_id) | doc_id | nonce (12) | ciphertext + tag (16)

(lengths big-endian, strings UTF-8). ``topic`` is the logical topic it was written for;
the AAD binds the bytes to it and to the document, so a record copied to another topic or relabelled with another document
does not decode. Erasing a data subject destroys the keys of their documents: every copy
of their records, in every topic and DLQ, becomes unreadable at once while the records
themselves, their offsets and the audit hash chain over them stay as they were
(crypto-shredding). Only what carries personal data is sealed; the list and the reasons
are here, in one place (``SEALED_TOPICS``, ``NOT_SEALED``).

Sealed records need inkstream's codec: a plain Avro or Confluent deserializer sees a
record it does not know (magic ``C5 01``); that is why they are no longer written.
"""

from __future__ import annotations

import hashlib
import re
import struct
from pathlib import Path
from typing import Any

from inkstream.crypto.datakeys import DocumentKeys, KeyDestroyed
from inkstream.crypto.keyring import KeyUnavailable
from inkstream.errors import RecordErased, SchemaError

__all__ = ["SEALED_MAGIC", "SEALED_TOPICS", "NOT_SEALED", "seal", "unseal", "sealed_doc_id", "key_id",
           "document_keys"]

SEALED_MAGIC = b"\xc5\x01"  # neither single-object (C3 01) nor Confluent (00) framing

# Logical topic (schema name) -> the personal data it carries. The priority lane shares
# documents.ingested; every .dlq twin keeps the original (sealed) bytes in its value.
SEALED_TOPICS: dict[str, str] = {
    "documents.ingested": "file name, e-mail sender, recipients and subject, capture metadata",
    "ocr.results": "the document's text",
    "fields.validated": "extracted and corrected field values (names, addresses, e-mails, amounts)",
    "crm.commands": "field values; external ids that can be e-mail addresses; match values",
    "crm.dryrun": "recorded request bodies and URLs carrying field values",
    "esign.events": "signer name, e-mail, IP address and user agent",
    "esign.envelopes": "CRM external id (can be an e-mail address)",
    "documents.status": "detail can quote a CRM's or e-sign provider's answer about the document's values",
}

# Checked and left readable, with why (a record without a doc_id is never sealed anyway).
NOT_SEALED: dict[str, str] = {
    "review.actions": "staff actions: reviewer account, action, changed field names and page numbers; no values",
    "webhooks.rejected": "a refused request: provider, reason, path, sender address, header names; no body",
    "admin.actions": "no doc_id; targets are opaque ids (e-mail addresses are hashed before they are written)",
    "dlq": "no doc_id field; its value is the original record's bytes, sealed when that topic is",
    "privacy.erasures": "the erasure itself (request id, actor, object keys): must stay readable once the key is gone",
    "webhooks.deliveries": "outbound webhook jobs: ids, event type, stage and status; payloads carry no field values",
    "webhooks.log": "one outbound webhook attempt: ids, outcome, HTTP status, receiver host; no body, no secret",
    "extract.memory": "sender memory: hashed sender id, relative boxes, printed labels, SHA-256 of the supplier's "
                      "business identifiers only; no field values",
}

_AAD_LABEL = b"inkstream-record\x00"
_KEY_ID = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}")  # what DocumentKeys accepts


def key_id(doc_id: str) -> str:
    """The DocumentKeys id of a document: its doc_id (every id inkstream makes is one), or
    ``h-<sha256>`` for a doc_id a key file cannot be named after. Erase with this id."""
    if _KEY_ID.fullmatch(doc_id):
        return doc_id
    return "h-" + hashlib.sha256(doc_id.encode()).hexdigest()


def _aad(topic: str, doc_id: str) -> bytes:
    return _AAD_LABEL + topic.encode() + b"\x00" + doc_id.encode()


def seal(keys: DocumentKeys, topic: str, doc_id: str, record: bytes) -> bytes:
    """``record`` (Avro bytes) sealed for logical ``topic`` with ``doc_id``'s key.
    ``RecordErased`` if the document's key was destroyed (nothing new is written about it)."""
    t, d = topic.encode(), doc_id.encode()
    if len(t) > 255 or len(d) > 65535:
        raise SchemaError(f"topic or doc_id too long to seal a record of {topic!r}")
    try:
        blob = keys.encrypt(key_id(doc_id), record, aad=_aad(topic, doc_id))
    except KeyDestroyed as exc:
        raise RecordErased(doc_id, f"document {doc_id} was erased: no record about it is written") from exc
    except KeyUnavailable as exc:
        raise SchemaError(f"cannot seal a record of document {doc_id}: {exc}") from exc
    return b"".join((SEALED_MAGIC, bytes((len(t),)), t, struct.pack(">H", len(d)), d, blob))


def _header(data: bytes) -> tuple[str, str, int]:
    """``(topic, doc_id, offset of the sealed blob)`` of a sealed record."""
    try:
        n = data[2]
        topic = data[3:3 + n].decode()
        (m,) = struct.unpack(">H", data[3 + n:5 + n])
        doc_id = data[5 + n:5 + n + m].decode()
        start = 5 + n + m
    except (IndexError, struct.error, UnicodeDecodeError) as exc:
        raise SchemaError("sealed record with a malformed header") from exc
    if not topic or not doc_id or len(data) < start + 12 + 16:
        raise SchemaError("sealed record with a malformed header or truncated")
    return topic, doc_id, start


def sealed_doc_id(data: bytes) -> str | None:
    """The document a sealed record belongs to (readable without its key); None if unsealed."""
    if bytes(data[:2]) != SEALED_MAGIC:
        return None
    return _header(bytes(data))[1]


def unseal(keys: DocumentKeys, data: bytes, topic: str | None = None) -> bytes:
    """The Avro bytes inside a sealed record. ``topic``: the logical topic it was read
    from (checked through the AAD); None trusts the topic in the header.
    ``RecordErased`` after the document's key was destroyed; ``SchemaError`` if it does
    not authenticate (altered, moved to another topic or document) or has no key here."""
    written_for, doc_id, start = _header(data)
    try:
        return keys.decrypt(key_id(doc_id), data[start:], aad=_aad(topic or written_for, doc_id))
    except KeyDestroyed as exc:
        raise RecordErased(doc_id) from exc
    except KeyUnavailable as exc:
        where = f" read from {topic!r}" if topic and topic != written_for else ""
        raise SchemaError(f"sealed record of {written_for!r}{where} does not open: {exc}") from exc


# -- the key store of a deployment ---------------------------------------------------------
def document_keys(settings: Any) -> DocumentKeys:
    """A new DocumentKeys for ``settings``' key store (absolute paths: a process that changes
    directory still finds the same keys). Built once at a process's edge (the worker, a web
    app, a CLI command) and passed down with its codec (``Codec.keys``): every part of the
    process then shares it, so a ``destroy()`` done through it is seen at once by all of
    them (other processes see it within ``crypto.key_cache_seconds``)."""
    from inkstream.crypto.keyring import key_provider

    c = settings.crypto
    if c.key_store == "kafka":  # shared by every host: wrapped keys and erasures in a compacted topic
        from inkstream.crypto.keytopic import KafkaDocumentKeys

        return KafkaDocumentKeys(settings, settings.topics.name(c.key_topic), key_provider(settings))
    directory = Path(c.document_keys_path(settings.data_dir)).absolute()
    keyring = Path(c.keyring_path(settings.data_dir)).absolute()
    abs_settings = settings.model_copy(update={"crypto": c.model_copy(update={"keyring_file": keyring})})
    return DocumentKeys(directory, key_provider(abs_settings), cache_seconds=c.key_cache_seconds)
