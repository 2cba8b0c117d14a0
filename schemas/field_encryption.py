"""Field-level encryption: only the fields that carry personal data are encrypted.

Done the way Confluent's client-side field-level encryption (CSFLE) does it: a schema
field tagged ``"confluent:tags": ["PII"]`` holds its value encrypted, in the same field,
so the record stays a plain Avro record of the same schema that any Avro reader (a stock
``AvroDeserializer``, fastavro, Kafka Connect, ClickHouse's Kafka engine) reads: doc_id,
status, timings, versions, hashes and confidences in clear, personal values as
ciphertext. A string becomes the base64 text of::

    C5 02 | nonce (12) | AES-256-GCM(document key, type byte + value) + tag (16)

The key reference is the record's own ``doc_id`` (one data key per document,
``inkstream.crypto.datakeys``), readable without any key. The AAD binds each value to
the record type, the field's path and the document, so a value copied into another
field, record type or document does not decrypt. The type byte (``s`` UTF-8 text, ``j``
JSON) lets a union such as ``crm.commands.fields`` (null, boolean, long, double, string)
hold a number encrypted in its string branch and get the number back. ``null`` stays
``null`` (as in CSFLE: that a value is absent is not hidden).

Taggable fields: ``string``, a union with a ``string`` branch, and maps or arrays of
those; a tagged field of another type is refused when the schema is loaded. Destroying
the document's key (erasure) leaves every record as it was, readable in everything but
its personal values (crypto-shredding): ``decrypt_record`` raises ``RecordErased`` or,
for readers that show what is left, puts ``ERASED`` in their place.
"""

from __future__ import annotations

import base64
import binascii
import json
import functools
import os
from typing import Any, Callable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from inkstream.errors import SchemaError

__all__ = ["PII_TAG", "FIELD_MAGIC", "ERASED", "FieldPlan", "compile_plan", "tagged_paths",
           "is_encrypted_value"]

PII_TAG = "PII"
TAGS_KEY = "confluent:tags"
FIELD_MAGIC = b"\xc5\x02"  # beside record sealing's C5 01
ERASED = "[erased]"  # what a reader that asks for marks sees in place of an erased value
_NONCE = 12
_MIN_BLOB = len(FIELD_MAGIC) + _NONCE + 1 + 16
_AAD_LABEL = b"inkstream-field\x00"
_PREFIX = base64.b64encode(FIELD_MAGIC + b"\x00")[:2]  # every such value starts with these characters


class _Leaf:
    """A tagged field: its values are encrypted (through maps and arrays of them)."""

    def __init__(self, path: str, depth: str) -> None:
        self.path, self.aad = path, path.encode()
        self.depth = depth  # "" value, "m" map of values, "a" array of values


class _Nested:
    """An untagged field whose type holds records with tagged fields."""

    def __init__(self, plan: "dict[str, Any]", depth: str) -> None:
        self.plan, self.depth = plan, depth


def _branches(schema: Any) -> list[Any]:
    return schema if isinstance(schema, list) else [schema]


def _type_name(schema: Any) -> str:
    if isinstance(schema, str):
        return schema
    return str(schema.get("type")) if isinstance(schema, dict) else "union"


def _leaf_depth(schema: Any, where: str) -> str:
    """How a tagged field's type holds strings: '' directly, 'm'/'a' in a map/array."""
    kinds = {_type_name(b) for b in _branches(schema)}
    if "string" in kinds:
        return ""
    if isinstance(schema, dict) and schema.get("type") in ("map", "array"):
        inner = schema["values"] if schema["type"] == "map" else schema["items"]
        if "string" in {_type_name(b) for b in _branches(inner)}:
            return "m" if schema["type"] == "map" else "a"
    raise SchemaError(f"{where} is tagged {PII_TAG} but cannot hold ciphertext: only string, a union with "
                      "string, or a map/array of those can be encrypted in place")


def _compile(schema: Any, path: str, named: dict[str, Any]) -> tuple[Any, str] | None:
    """The plan of an untagged field's type: (plan, depth) when records inside it have
    tagged fields, else None. ``named`` maps record names to their plans (or None)."""
    for branch in _branches(schema):
        if isinstance(branch, str):
            if branch in named and named[branch] is not None:
                return named[branch], ""
            continue
        kind = branch.get("type")
        if kind == "record":
            plan = _record(branch, path, named)
            if plan:
                return plan, ""
        elif kind in ("array", "map"):
            found = _compile(branch["items"] if kind == "array" else branch["values"],
                             path + ("[]" if kind == "array" else "{}"), named)
            if found and found[1] == "":
                return found[0], "a" if kind == "array" else "m"
            if found:
                raise SchemaError(f"{path}: tagged fields nested two containers deep are not supported")
    return None


def _record(schema: dict[str, Any], path: str, named: dict[str, Any]) -> dict[str, Any]:
    plan: dict[str, Any] = {}
    for field in schema["fields"]:
        where = f"{path}.{field['name']}" if path else field["name"]
        if PII_TAG in (field.get(TAGS_KEY) or []):
            plan[field["name"]] = _Leaf(where, _leaf_depth(field["type"], where))
        else:
            found = _compile(field["type"], where, named)
            if found:
                plan[field["name"]] = _Nested(*found)
    name = schema["name"]
    named[name] = plan or None
    if schema.get("namespace"):
        named[f"{schema['namespace']}.{name}"] = plan or None
    return plan


def compile_plan(schema: dict[str, Any]) -> "FieldPlan | None":
    """The encryption plan of a record schema (JSON dict), None when nothing is tagged."""
    plan = _record(schema, "", {})
    return FieldPlan(schema["name"], plan) if plan else None


def tagged_paths(schema: dict[str, Any]) -> list[str]:
    """Paths of the tagged fields, e.g. ``pages[].lines[].text`` (for docs and tests)."""
    plan = compile_plan(schema)
    out: list[str] = []

    def walk(p: dict[str, Any]) -> None:
        for node in p.values():
            out.append(node.path) if isinstance(node, _Leaf) else walk(node.plan)
    if plan:
        walk(plan.plan)
    return out


def is_encrypted_value(value: Any) -> bool:
    """True for a string that holds a field ciphertext (cheap check, then a decode)."""
    if not isinstance(value, str) or not value.startswith(_PREFIX.decode()):
        return False
    try:
        blob = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return False
    return blob[:2] == FIELD_MAGIC and len(blob) >= _MIN_BLOB


class FieldPlan:
    """Encrypts/decrypts the tagged fields of one record type."""

    def __init__(self, name: str, plan: dict[str, Any]) -> None:
        self.name, self.plan = name, plan
        self._label = _AAD_LABEL + name.encode() + b"\x00"

    def _aad(self, leaf: _Leaf, doc_id: str) -> bytes:
        return self._label + leaf.aad + b"\x00" + doc_id.encode()

    # -- encrypt ---------------------------------------------------------------------------
    def encrypt(self, record: dict[str, Any], key: bytes, doc_id: str) -> dict[str, Any]:
        """A copy of ``record`` with every tagged value encrypted under ``key``."""
        aes = AESGCM(key)

        def seal(value: Any, leaf: _Leaf) -> Any:
            if value is None:
                return None
            if isinstance(value, str):
                plain = b"s" + value.encode()
            else:
                plain = b"j" + json.dumps(value).encode()
            nonce = os.urandom(_NONCE)
            return base64.b64encode(FIELD_MAGIC + nonce + aes.encrypt(nonce, plain, self._aad(leaf, doc_id))).decode()

        return _apply(self.plan, record, seal, copy=True)

    # -- decrypt ---------------------------------------------------------------------------
    def decrypt(self, record: dict[str, Any], doc_id: str, key_for: Callable[[], bytes | None]) -> dict[str, Any]:
        """``record`` with its encrypted values opened (in place). ``key_for()`` gives the
        document's key, None once it was destroyed (values become ``ERASED``); it is only
        called when the record holds an encrypted value. Values in clear (written before
        field encryption, or with it off) pass as they are."""
        state: dict[str, Any] = {}

        def open_(value: Any, leaf: _Leaf) -> Any:
            if not is_encrypted_value(value):
                return value
            if "aes" not in state:
                key = key_for()
                state["aes"] = AESGCM(key) if key is not None else None
            if state["aes"] is None:
                return ERASED
            blob = base64.b64decode(value)
            try:
                plain = state["aes"].decrypt(blob[2:2 + _NONCE], blob[2 + _NONCE:], self._aad(leaf, doc_id))
            except InvalidTag as exc:
                raise SchemaError(f"{self.name}.{leaf.path} of document {doc_id} does not authenticate "
                                  "(altered, or moved from another field or document)") from exc
            try:
                return plain[1:].decode() if plain[:1] == b"s" else json.loads(plain[1:])
            except (UnicodeDecodeError, ValueError) as exc:
                raise SchemaError(f"{self.name}.{leaf.path}: decrypted value is malformed") from exc

        return _apply(self.plan, record, open_, copy=False)

    def erase(self, record: dict[str, Any]) -> dict[str, Any]:
        """``record`` with ``ERASED`` in place of every personal value (in place)."""
        return _apply(self.plan, record, lambda value, leaf: None if value is None else ERASED, copy=False)

    def has_encrypted_value(self, record: dict[str, Any]) -> bool:
        found: list[bool] = []

        def probe(value: Any, leaf: _Leaf) -> Any:
            if not found and is_encrypted_value(value):
                found.append(True)
            return value

        _apply(self.plan, record, probe, copy=False)
        return bool(found)


def _over(depth: str, value: Any, fn: Callable[[Any], Any]) -> Any:
    if value is None:
        return None
    if depth == "m":
        return {k: fn(v) for k, v in value.items()}
    if depth == "a":
        return [fn(v) for v in value]
    return fn(value)


def _leaf(fn: Callable[[Any, _Leaf], Any], leaf: _Leaf, value: Any) -> Any:
    return fn(value, leaf)


def _nested(plan: dict[str, Any], fn: Callable[[Any, _Leaf], Any], copy: bool, value: Any) -> Any:
    return _apply(plan, value, fn, copy=copy) if isinstance(value, dict) else value


def _apply(plan: dict[str, Any], record: dict[str, Any], fn: Callable[[Any, _Leaf], Any], *, copy: bool) -> dict[str, Any]:
    out = dict(record) if copy else record
    for name, node in plan.items():
        if name not in out:
            continue  # fastavro fills it with the schema's default; a default is never personal
        if isinstance(node, _Leaf):
            out[name] = _over(node.depth, out[name], functools.partial(_leaf, fn, node))
        else:
            out[name] = _over(node.depth, out[name], functools.partial(_nested, node.plan, fn, copy))
    return out
