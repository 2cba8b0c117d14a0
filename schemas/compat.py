"""Schema compatibility between a topic's released versions (``schemas/history``) and
its current schema, checked on records with fastavro's schema resolution.

Full compatibility = both directions must read:

- *backward*: records written with the previous release are read by the current schema
  (a new consumer reading old data; fails e.g. when a field is added without a default);
- *forward*: records written with the current schema are read by the previous release
  (an old consumer reading new data; fails e.g. when a field is removed that had no default).

>>> old = {"type": "record", "name": "R", "fields": [{"name": "a", "type": "long"}]}
>>> new = {**old, "fields": old["fields"] + [{"name": "b", "type": "string"}]}
>>> try:
...     check_record("t", old, new, {"a": 1})
... except IncompatibleSchema as exc:
...     print(str(exc)[:153])
t: a record written with the previous release cannot be read with the current schema (backward): SchemaResolutionError: No default value for field b in R
"""

from __future__ import annotations

from typing import Any
from inkstream.errors import IncompatibleSchema  # noqa: F401 - defined in the one error tree

import io
import json
from pathlib import Path

import fastavro

from schemas.codec import HISTORY_DIR, SCHEMA_DIR, _plain

__all__ = ["IncompatibleSchema", "releases", "latest_release", "check_record", "resolve"]

_HINT = ("Add new fields with a default, never remove or rename a field without a default, "
         "and never change a field's type (see schemas/history/README.md).")


def releases(topic: str, history_dir: Path = HISTORY_DIR) -> list[Path]:
    """Released versions of ``topic``, oldest first (``v1.avsc``, ``v2.avsc``, ...)."""
    return sorted((history_dir / topic).glob("v*.avsc"), key=lambda p: int(p.stem[1:]))


def latest_release(topic: str, history_dir: Path = HISTORY_DIR) -> dict[str, Any] | None:
    found = releases(topic, history_dir)
    return json.loads(found[-1].read_text()) if found else None


def current(topic: str, schema_dir: Path = SCHEMA_DIR) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((schema_dir / f"{topic}.avsc").read_text())
    return schema


def resolve(writer: dict[str, Any], reader: dict[str, Any], record: dict[str, Any]) -> dict[str, Any]:
    """Write ``record`` with ``writer`` and read it back with ``reader`` (Avro resolution)."""
    writer_parsed = fastavro.parse_schema(_plain(writer))
    reader_parsed = fastavro.parse_schema(_plain(reader))
    buf = io.BytesIO()
    fastavro.schemaless_writer(buf, writer_parsed, record)
    buf.seek(0)
    out = fastavro.schemaless_reader(buf, writer_parsed, reader_parsed)
    assert isinstance(out, dict)  # a record schema reads back a record
    return out


def check_record(topic: str, previous: dict[str, Any], new: dict[str, Any], record: dict[str, Any], *, written_with: str = "previous") -> dict[str, Any]:
    """Resolve ``record`` (valid for the schema named by ``written_with``) across the pair.

    Raises :class:`IncompatibleSchema` with the direction, fastavro's reason and the fix."""
    if written_with == "previous":
        writer, reader, direction = previous, new, ("the previous release", "the current schema", "backward")
    else:
        writer, reader, direction = new, previous, ("the current schema", "the previous release", "forward")
    try:
        return resolve(writer, reader, record)
    except Exception as exc:  # SchemaResolutionError, ValueError, KeyError from fastavro
        raise IncompatibleSchema(
            f"{topic}: a record written with {direction[0]} cannot be read with {direction[1]} "
            f"({direction[2]}): {type(exc).__name__}: {exc}. {_HINT}") from exc
