"""Hypothesis strategies that generate records for an Avro schema (plain types:
timestamps as int, uuids as str), used by the codec and compatibility tests."""

from __future__ import annotations

from hypothesis import strategies as st

__all__ = ["records_for"]

_PRIMITIVES = {
    "null": st.none(),
    "boolean": st.booleans(),
    "int": st.integers(-(2**31), 2**31 - 1),
    "long": st.integers(-(2**63), 2**63 - 1),
    "float": st.floats(allow_nan=False, width=32),
    "double": st.floats(allow_nan=False),
    "bytes": st.binary(max_size=40),
    "string": st.text(max_size=20),
}
_LOGICAL = {
    "uuid": st.uuids().map(str),
    "timestamp-millis": st.integers(0, 4_102_444_800_000),
}


def records_for(schema: dict) -> st.SearchStrategy:
    """A strategy for values of ``schema`` (a parsed-JSON Avro schema)."""
    return _strategy(schema, {}, schema.get("namespace", ""))


def _fullname(schema: dict, namespace: str) -> str:
    name = schema["name"]
    return name if "." in name else f"{schema.get('namespace', namespace)}.{name}".lstrip(".")


def _strategy(schema, named: dict, namespace: str) -> st.SearchStrategy:
    if isinstance(schema, str):
        if schema in _PRIMITIVES:
            return _PRIMITIVES[schema]
        key = schema if "." in schema else f"{namespace}.{schema}".lstrip(".")
        return st.deferred(lambda: named[key])
    if isinstance(schema, list):
        return st.one_of([_strategy(s, named, namespace) for s in schema])
    kind = schema["type"]
    if schema.get("logicalType") in _LOGICAL:
        return _LOGICAL[schema["logicalType"]]
    if kind in ("record", "error"):
        full = _fullname(schema, namespace)
        ns = full.rpartition(".")[0]
        fields = {}
        named[full] = st.deferred(lambda: st.fixed_dictionaries(fields))
        for field in schema["fields"]:
            fields[field["name"]] = _strategy(field["type"], named, ns)
        return named[full]
    if kind == "enum":
        named[_fullname(schema, namespace)] = st.sampled_from(schema["symbols"])
        return named[_fullname(schema, namespace)]
    if kind == "fixed":
        named[_fullname(schema, namespace)] = st.binary(min_size=schema["size"], max_size=schema["size"])
        return named[_fullname(schema, namespace)]
    if kind == "array":
        return st.lists(_strategy(schema["items"], named, namespace), max_size=3)
    if kind == "map":
        return st.dictionaries(st.text(max_size=8), _strategy(schema["values"], named, namespace), max_size=3)
    return _strategy(kind, named, namespace)

