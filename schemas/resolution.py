"""Can a reader schema read what a writer schema wrote? The Avro specification's "Schema
Resolution" rules, checked on the schemas alone (no records), as a registry checks a new
version against the ones before it.

>>> old = {"type": "record", "name": "R", "fields": [{"name": "a", "type": "long"}]}
>>> new = {**old, "fields": old["fields"] + [{"name": "b", "type": "string"}]}
>>> incompatibilities(reader=new, writer=old)
['R.b: field missing in the writer and has no default']
>>> incompatibilities(reader=old, writer=new)
[]
"""

from __future__ import annotations

from typing import Any

__all__ = ["incompatibilities", "compatible"]

_PROMOTIONS = {("int", "long"), ("int", "float"), ("int", "double"), ("long", "float"), ("long", "double"),
               ("float", "double"), ("string", "bytes"), ("bytes", "string")}
_PRIMITIVES = {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}


def _named(schema: Any, names: dict[str, dict[str, Any]], namespace: str = "") -> None:
    """Collect named types (records, enums, fixed) by short and full name."""
    if isinstance(schema, list):
        for s in schema:
            _named(s, names, namespace)
    elif isinstance(schema, dict):
        kind = schema.get("type")
        if kind in ("record", "error", "enum", "fixed"):
            ns = schema.get("namespace", namespace)
            names[schema["name"]] = schema
            names[f"{ns}.{schema['name']}" if ns and "." not in schema["name"] else schema["name"]] = schema
            for f in schema.get("fields", []):
                _named(f["type"], names, ns)
        elif kind == "array":
            _named(schema["items"], names, namespace)
        elif kind == "map":
            _named(schema["values"], names, namespace)


def _kind(schema: Any, names: dict[str, dict[str, Any]]) -> tuple[str, Any]:
    if isinstance(schema, list):
        return "union", schema
    if isinstance(schema, str):
        return (schema, schema) if schema in _PRIMITIVES else _kind(names[schema], names)
    kind = schema["type"]
    if isinstance(kind, (dict, list)) or (isinstance(kind, str) and kind not in _PRIMITIVES | {
            "record", "error", "enum", "fixed", "array", "map"}):
        return _kind(kind, names)
    return kind, schema


def _check(reader: Any, writer: Any, rn: dict[str, Any], wn: dict[str, Any], where: str, seen: set[Any], out: list[str]) -> None:
    rk, r = _kind(reader, rn)
    wk, w = _kind(writer, wn)
    if wk == "union":  # every branch the writer may have used must be readable
        for branch in w:
            _check(r if rk != "union" else reader, branch, rn, wn, where, seen, out)
        return
    if rk == "union":
        if not any(_readable(branch, writer, rn, wn, seen) for branch in r):
            out.append(f"{where}: the writer's {wk} matches no branch of the reader's union")
        return
    if rk != wk:
        if (wk, rk) not in _PROMOTIONS:
            out.append(f"{where}: the writer's {wk} cannot be read as {rk}")
        return
    if rk == "record":
        key = (r["name"], w["name"], where)
        if key in seen:
            return
        seen.add(key)
        written = {f["name"]: f for f in w["fields"]}
        for alias_field in w["fields"]:
            for alias in alias_field.get("aliases", []):
                written.setdefault(alias, alias_field)
        for field in r["fields"]:
            source = written.get(field["name"]) or next(
                (written[a] for a in field.get("aliases", []) if a in written), None)
            if source is None:
                if "default" not in field:
                    out.append(f"{where}.{field['name']}: field missing in the writer and has no default")
                continue
            _check(field["type"], source["type"], rn, wn, f"{where}.{field['name']}", seen, out)
    elif rk == "enum":
        missing = set(w["symbols"]) - set(r["symbols"])
        if missing and "default" not in r:
            out.append(f"{where}: enum symbols {sorted(missing)} unknown to the reader, which has no default")
    elif rk == "fixed":
        if r["size"] != w["size"]:
            out.append(f"{where}: fixed size {w['size']} read as {r['size']}")
    elif rk == "array":
        _check(r["items"], w["items"], rn, wn, f"{where}[]", seen, out)
    elif rk == "map":
        _check(r["values"], w["values"], rn, wn, f"{where}{{}}", seen, out)


def _readable(reader: Any, writer: Any, rn: dict[str, Any], wn: dict[str, Any], seen: set[Any]) -> bool:
    out: list[str] = []
    _check(reader, writer, rn, wn, "", set(seen), out)
    return not out


def incompatibilities(*, reader: Any, writer: Any) -> list[str]:
    """Why ``reader`` cannot read data written with ``writer`` (empty: it can)."""
    rn: dict[str, dict[str, Any]] = {}
    wn: dict[str, dict[str, Any]] = {}
    _named(reader, rn)
    _named(writer, wn)
    out: list[str] = []
    name = reader.get("name", "") if isinstance(reader, dict) else ""
    _check(reader, writer, rn, wn, name, set(), out)
    return out


def compatible(new: Any, old: Any, level: str) -> list[str]:
    """Problems of ``new`` against ``old`` under a Confluent compatibility level
    (BACKWARD, FORWARD, FULL, their _TRANSITIVE forms are the caller's loop; NONE)."""
    level = level.upper().removesuffix("_TRANSITIVE")
    problems: list[str] = []
    if level in ("BACKWARD", "FULL"):
        problems += [f"backward: {p}" for p in incompatibilities(reader=new, writer=old)]
    if level in ("FORWARD", "FULL"):
        problems += [f"forward: {p}" for p in incompatibilities(reader=old, writer=new)]
    return problems
