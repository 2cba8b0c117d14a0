"""Avro codec for every inkstream topic.

Writes Avro *single-object encoding* by default (``C3 01`` + the CRC-64-AVRO
fingerprint of the schema's parsing canonical form, little-endian, + the binary
payload), and the *Confluent wire format* (``00`` + 4-byte big-endian schema id +
payload) when a schema registry is configured. ``decode`` reads both: the writer
schema is found by fingerprint (current schemas and every release under
``schemas/history``) or by registry id, then resolved into the current reader schema
of the same record name (Avro schema resolution), so old bytes read as today's record.

Decoded records use plain types (timestamps as int ms, uuids as str), so
``decode(encode(topic, r)) == r`` for a complete record:

>>> from schemas.records import envelope
>>> codec = Codec()
>>> r = {**envelope("doc-1", producer="doctest"), "stage": "ocr", "status": "done", "detail": None}
>>> codec.decode(codec.encode("documents.status", r)) == r
True

Topic → schema: ``<name>.avsc``; ``<topic>.dlq`` → ``dlq.avsc``;
``documents.ingested.priority`` → ``documents.ingested.avsc``; a topic prefix
(``settings.topics.prefix``) is stripped by matching the longest known suffix.

Personal data (``schemas.field_encryption``): a codec with ``seal=True`` encrypts the
fields tagged ``"confluent:tags": ["PII"]`` of the personal-data topics' records with
their document's key, in place (base64 ciphertext in the same string field), so the
record stays plain Avro of the same schema that any Avro reader reads, personal values
excepted. ``decode`` opens them transparently and raises ``RecordErased`` once the
document's key was destroyed (``erased="mark"`` shows the rest of the record with
``ERASED`` in place of its personal values). Records sealed whole by earlier releases
(``schemas.sealing``, ``C5 01`` framing) still decode. ``Codec.from_settings`` encrypts
when ``crypto.encrypt_records`` is on (the default), with the key store of the settings.

A process builds one codec at its edge (the worker, a web app, a CLI command) and passes
it down; there is no process-wide default. A codec without a key store (``Codec()``)
reads and writes records in clear and refuses records whose personal fields it would
have to open.
"""

from __future__ import annotations

import copy
import io
import json
import struct
import threading
from pathlib import Path
from types import MappingProxyType
from typing import Any

import fastavro
from fastavro.schema import to_parsing_canonical_form

from inkstream.crypto.datakeys import DocumentKeys, KeyDestroyed
from inkstream.crypto.keyring import KeyUnavailable
from inkstream.errors import RecordErased, SchemaError
from schemas.field_encryption import FieldPlan, compile_plan
from schemas.registry import SchemaRegistry, registry_answers
from schemas.sealing import SEALED_MAGIC, SEALED_TOPICS, document_keys, key_id, unseal

__all__ = [
    "Codec", "registry_for", "fingerprint64", "logical_topic",
    "SINGLE_OBJECT_MAGIC", "CONFLUENT_MAGIC", "SEALED_MAGIC",
]

SCHEMA_DIR = Path(__file__).resolve().parent
HISTORY_DIR = SCHEMA_DIR / "history"
SINGLE_OBJECT_MAGIC = b"\xc3\x01"
CONFLUENT_MAGIC = b"\x00"
# Topics that share another topic's schema (priority lane; every DLQ twin).
_ALIASES = MappingProxyType({"documents.ingested.priority": "documents.ingested"})
_DLQ_SUFFIX = ".dlq"

# CRC-64-AVRO, exactly as in the Avro specification ("Schema Fingerprints").
_EMPTY64 = 0xC15D213AA4D7A795


def _fp_entry(byte: int) -> int:
    fp = byte
    for _ in range(8):
        fp = (fp >> 1) ^ (_EMPTY64 & -(fp & 1))
    return fp


_FP_TABLE = tuple(_fp_entry(i) for i in range(256))


def fingerprint64(data: bytes) -> int:
    """CRC-64-AVRO (Rabin) fingerprint of ``data`` (a parsing canonical form)."""
    fp = _EMPTY64
    for byte in data:
        fp = (fp >> 8) ^ _FP_TABLE[(fp ^ byte) & 0xFF]
    return fp


def _plain(schema: Any) -> Any:
    """A copy of ``schema`` without logical types: timestamps stay int ms, uuids str.

    The parsing canonical form drops logicalType anyway, so fingerprints are unchanged."""
    if isinstance(schema, dict):
        return {k: _plain(v) for k, v in schema.items() if k != "logicalType"}
    if isinstance(schema, list):
        return [_plain(s) for s in schema]
    return schema


class _Schema:
    """One parsed schema: its JSON, the plain parsed form, canonical form and fingerprint."""

    def __init__(self, raw: dict[str, Any], origin: str) -> None:
        self.raw = raw
        self.origin = origin
        self.json = json.dumps(raw)
        try:
            parsed = fastavro.parse_schema(_plain(copy.deepcopy(raw)))
        except Exception as exc:  # fastavro raises SchemaParseException, KeyError, ...
            raise SchemaError(f"{origin}: not a valid Avro schema: {exc}") from exc
        if not isinstance(parsed, dict) or parsed.get("type") != "record":
            raise SchemaError(f"{origin}: not an Avro record schema")
        self.parsed: dict[str, Any] = parsed
        self.name: str = self.parsed["name"]
        self.canonical = to_parsing_canonical_form(self.parsed)
        self.fingerprint = fingerprint64(self.canonical.encode())
        self.fingerprint_bytes = struct.pack("<Q", self.fingerprint)


def _load(path: Path) -> _Schema:
    try:
        raw = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise SchemaError(f"cannot read schema {path}: {exc}") from exc
    return _Schema(raw, str(path))


def logical_topic(topic: str, known: set[str]) -> str:
    """Logical schema name of a (possibly prefixed) topic: ``t1.ocr.results.dlq`` → ``dlq``."""
    if topic.endswith(_DLQ_SUFFIX) or topic == "dlq":
        return "dlq"
    candidates = {**{k: k for k in known}, **_ALIASES}
    matches = [name for name in candidates if topic == name or topic.endswith("." + name) or topic.endswith(name)]
    if not matches:
        raise SchemaError(f"no schema for topic {topic!r} (known: {', '.join(sorted(known))})")
    return candidates[max(matches, key=len)]


class Codec:
    """Encoder/decoder for all topics; thread-safe; one per process is enough.

    ``registry`` (a :class:`schemas.registry.SchemaRegistry`) switches writing to the
    Confluent wire format; reading accepts both formats either way (Confluent bytes
    need a registry to resolve their id). ``keys`` (a ``DocumentKeys``) opens encrypted
    personal fields; ``seal=True`` also encrypts them on write (it needs ``keys``)."""

    def __init__(self, schema_dir: Path = SCHEMA_DIR, history_dir: Path | None = None,
                 registry: SchemaRegistry | None = None, *, keys: DocumentKeys | None = None,
                 seal: bool = False, confluent: bool | None = None) -> None:
        if seal and keys is None:
            raise ValueError("a codec that seals personal fields needs a key store (keys=)")
        self.registry = registry
        # Write the Confluent wire format (default: whenever there is a registry); reading
        # resolves Confluent ids through ``registry`` either way.
        self.confluent = registry is not None if confluent is None else (confluent and registry is not None)
        self.keys, self.seal = keys, seal
        self._sealed: dict[str, str | None] = {}  # topic name -> logical topic if sealed
        self._current: dict[str, _Schema] = {p.stem: _load(p) for p in sorted(Path(schema_dir).glob("*.avsc"))}
        if not self._current:
            raise SchemaError(f"no *.avsc schemas under {schema_dir}")
        self._by_name = {s.name: s for s in self._current.values()}
        # Record name -> plan of its tagged fields (personal-data topics only).
        self._plans: dict[str, FieldPlan | None] = {
            s.name: compile_plan(s.raw) if topic in SEALED_TOPICS else None for topic, s in self._current.items()}
        self._by_topic: dict[str, _Schema] = {}
        self._by_fp: dict[bytes, _Schema] = {}
        history = Path(history_dir) if history_dir else Path(schema_dir) / "history"
        for path in sorted(history.glob("*/v*.avsc")) if history.exists() else []:
            old = _load(path)
            self._by_fp.setdefault(old.fingerprint_bytes, old)
        for current in self._current.values():
            self._by_fp[current.fingerprint_bytes] = current
        self._ids: dict[str, int] = {}  # subject -> registry id of the current schema
        self._by_id: dict[int, _Schema] = {}
        self._lock = threading.Lock()

    # -- schemas ---------------------------------------------------------------
    @property
    def topics(self) -> set[str]:
        return set(self._current)

    def schema(self, topic: str) -> dict[str, Any]:
        """The current schema (JSON dict, logical types kept) for a topic name."""
        return self._schema_for(topic).raw

    def _schema_for(self, topic: str) -> _Schema:
        schema = self._by_topic.get(topic)
        if schema is None:  # resolve once per topic name: this is on every record's path
            schema = self._by_topic[topic] = self._current[logical_topic(topic, self.topics)]
        return schema

    def _sealed_topic(self, topic: str) -> str | None:
        """The logical topic when ``topic``'s records are sealed, else None (cached)."""
        try:
            return self._sealed[topic]
        except KeyError:
            logical = logical_topic(topic, self.topics)
            self._sealed[topic] = logical if logical in SEALED_TOPICS else None
            return self._sealed[topic]

    def _keys(self) -> DocumentKeys:
        if self.keys is None:
            raise SchemaError("record with encrypted personal data, and this codec has no key store "
                              "(build it with Codec.from_settings or keys=)")
        return self.keys

    # -- encode ----------------------------------------------------------------
    def encode(self, topic: str, record: dict[str, Any]) -> bytes:
        """Serialise ``record`` for ``topic``; raises SchemaError naming the bad field.
        A personal-data topic's tagged fields are encrypted with the document's key when
        ``seal`` is on (``RecordErased`` if that document was erased: nothing new is
        written about it)."""
        if self.seal and self._sealed_topic(topic):
            doc_id = record.get("doc_id")
            if doc_id and isinstance(doc_id, str):  # records of no document carry no one's data
                key = self._key(doc_id, create=True)
                plan = self._plans.get(self._schema_for(topic).name)
                if plan is not None and key is not None:  # create=True: a key, or RecordErased
                    record = plan.encrypt(record, key, doc_id)
        return self._encode(topic, record)

    def _key(self, doc_id: str, *, create: bool) -> bytes | None:
        """The document's data key (None: it has none here); ``RecordErased`` once destroyed."""
        try:
            return self._keys().key(key_id(doc_id), create=create)
        except KeyDestroyed as exc:
            raise RecordErased(doc_id, f"document {doc_id} was erased") from exc
        except KeyUnavailable as exc:
            raise SchemaError(f"no usable key for document {doc_id}: {exc}") from exc

    def _encode(self, topic: str, record: dict[str, Any]) -> bytes:
        schema = self._schema_for(topic)
        buf = io.BytesIO()
        if self.confluent:
            buf.write(CONFLUENT_MAGIC + struct.pack(">I", self._registry_id(topic, schema)))
        else:
            buf.write(SINGLE_OBJECT_MAGIC + schema.fingerprint_bytes)
        try:
            fastavro.schemaless_writer(buf, schema.parsed, record, strict_allow_default=True)
        except Exception as exc:  # ValueError/TypeError/KeyError/AttributeError from fastavro
            raise SchemaError(f"record does not match {schema.name} for topic {topic!r}: {exc}") from exc
        return buf.getvalue()

    def _registry_id(self, topic: str, schema: _Schema) -> int:
        subject = f"{topic}-value"
        with self._lock:
            if subject not in self._ids:
                if self.registry is None:  # confluent is only on with a registry
                    raise SchemaError(f"cannot write the Confluent wire format for {topic!r} without a registry")
                schema_id = self.registry.register(subject, schema.json)
                self._ids[subject] = schema_id
                self._by_id.setdefault(schema_id, schema)
            return self._ids[subject]

    # -- decode ----------------------------------------------------------------
    def decode(self, data: bytes, topic: str | None = None, *, erased: str = "raise") -> dict[str, Any]:
        """Read either wire format into the current reader schema of the same record name.

        Encrypted personal fields are opened with the document's key: once it was
        destroyed, ``RecordErased`` (``erased="raise"``, what processors want: nothing is
        done about an erased document) or the record with ``ERASED`` in place of each
        personal value (``erased="mark"``, for readers that show what is left). A record
        sealed whole (earlier releases) is opened first; ``topic``, the topic it was read
        from, must then be the one it was sealed for, and it has nothing left to show
        once erased (``RecordErased`` either way)."""
        if erased not in ("raise", "mark"):
            raise ValueError(f"erased must be 'raise' or 'mark', not {erased!r}")
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise SchemaError(f"expected bytes, got {type(data).__name__}")
        data = bytes(data)
        sealed = data[:2] == SEALED_MAGIC
        if sealed:
            expected = logical_topic(topic, self.topics) if topic else None
            data = unseal(self._keys(), data, expected)
            if data[:2] == SEALED_MAGIC:
                raise SchemaError("sealed record inside a sealed record")
        if data[:2] == SINGLE_OBJECT_MAGIC and len(data) >= 10:
            writer = self._by_fp.get(data[2:10])
            if writer is None:
                raise SchemaError(f"unknown schema fingerprint {data[2:10].hex()} (not a current or released schema)")
            body = 10
        elif data[:1] == CONFLUENT_MAGIC and len(data) >= 5:
            writer = self._writer_by_id(struct.unpack(">I", data[1:5])[0])
            body = 5
        else:
            raise SchemaError(f"not an inkstream Avro record (starts with {data[:4].hex() or 'nothing'}): "
                              "expected single-object (c301) or Confluent (00) framing")
        reader = self._by_name.get(writer.name)
        if reader is None:
            raise SchemaError(f"writer schema {writer.name} has no current reader schema")
        record = self._read(data, body, writer, reader)
        plan = None if sealed else self._plans.get(reader.name)
        doc_id = record.get("doc_id")
        if plan is not None and isinstance(doc_id, str) and doc_id:
            record = self._open_fields(plan, record, doc_id, erased)
        return record

    def _open_fields(self, plan: FieldPlan, record: dict[str, Any], doc_id: str, erased: str) -> dict[str, Any]:
        asked: list[bool] = []

        def key_for() -> bytes | None:  # only called when the record holds an encrypted value
            asked.append(True)
            try:
                key = self._key(doc_id, create=False)
            except RecordErased:
                if erased == "mark":
                    return None
                raise
            if key is None:
                raise SchemaError(f"personal fields of document {doc_id} are encrypted and it has no data key "
                                  "here (another key store?)")
            return key

        record = plan.decrypt(record, doc_id, key_for)
        # Every record of an erased document is erased, even one whose values were written in
        # clear: readers forget the document on RecordErased, as they did with sealing. A codec
        # without a key store knows of no erasure: it reads records written in clear as they are.
        if not asked and self.keys is not None and self.keys.is_destroyed(key_id(doc_id)):
            if erased == "raise":
                raise RecordErased(doc_id)
            record = plan.erase(record)
        return record

    def _read(self, data: bytes, start: int, writer: _Schema, reader: _Schema) -> dict[str, Any]:
        fo = io.BytesIO(data)
        fo.seek(start)
        try:
            record = fastavro.schemaless_reader(
                fo, writer.parsed, reader.parsed if reader is not writer else None)
        except Exception as exc:  # EOFError, StopIteration, UnicodeDecodeError, SchemaResolutionError...
            raise SchemaError(f"cannot decode {writer.name}: {type(exc).__name__}: {exc}") from exc
        if fo.tell() != len(data):
            raise SchemaError(f"cannot decode {writer.name}: {len(data) - fo.tell()} trailing bytes")
        if not isinstance(record, dict):  # every inkstream schema is a record
            raise SchemaError(f"cannot decode {writer.name}: not a record")
        return record

    def _writer_by_id(self, schema_id: int) -> _Schema:
        with self._lock:
            cached = self._by_id.get(schema_id)
        if cached is not None:
            return cached
        if self.registry is None:
            raise SchemaError(f"Confluent-framed record (schema id {schema_id}) but no schema registry configured")
        raw = self.registry.schema_by_id(schema_id)
        try:
            schema = _Schema(json.loads(raw), f"registry id {schema_id}")
        except json.JSONDecodeError as exc:
            raise SchemaError(f"registry id {schema_id} returned invalid JSON") from exc
        with self._lock:
            return self._by_id.setdefault(schema_id, schema)

    @classmethod
    def from_settings(cls, settings: Any, *, keys: DocumentKeys | None = None) -> "Codec":
        """Codec for ``settings``: Confluent framing with ``kafka.schema_registry_url``, or with
        the stack's own registry (``registry.enabled``) while it answers, else single-object
        encoding; personal fields encrypted with the settings' key store (``keys``, or a new
        one: ``schemas.sealing.document_keys``) if ``crypto.encrypt_records``. Parses every
        schema: build it once per process, at its edge, and pass it down."""
        registry, confluent = registry_for(settings)
        return cls(registry=registry, confluent=confluent, keys=keys or document_keys(settings),
                   seal=settings.crypto.encrypt_records)


def registry_for(settings: Any) -> tuple[SchemaRegistry | None, bool]:
    """The registry of ``settings`` and whether to write the Confluent wire format through
    it: always with ``kafka.schema_registry_url``; with the stack's own registry
    (``registry.enabled``) while it answers (a stack without one, or a test without the
    stack, writes single-object encoding, which every inkstream reader reads too; Confluent
    ids are resolved through it either way)."""
    url = settings.kafka.schema_registry_url
    if url:
        return SchemaRegistry(url), True
    local = getattr(settings, "registry", None)
    if local is None or not local.enabled:
        return None, False
    return SchemaRegistry(local.url), registry_answers(local.url)
