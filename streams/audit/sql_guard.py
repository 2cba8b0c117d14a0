"""What an analyst's SQL may do, checked by ClickHouse itself before it runs.

Why not ``readonly=1`` alone (measured on chDB 26.9, clickhouse-connect 1.12): it refuses
writes, DDL, SETTINGS changes and ``SELECT … FROM file()/url()/remote()/executable()``, but
it lets through ``DESCRIBE file(…)`` / ``DESCRIBE url(…)`` (reads a file's first line, makes
requests), ``SELECT … INTO OUTFILE … TRUNCATE`` (writes files) and the scalar
``file('/path')`` (returns a whole file). So every statement is first parsed by the
engine (``EXPLAIN AST`` and ``formatQuerySingleLine``, never by our own SQL parser) and
refused when its tree holds:

- a table function other than the pure generators (``numbers``, ``zeros``, ``values``,
  ``generate_series``), in any position, DESCRIBE and sub-queries included;
- a function that touches the host (``file``, ``url``, ``s3``, ``remote`` … see ``_HOST_FUNCTIONS``),
  anywhere in the tree (``IN url(…)``, ``WITH file(…) AS x``);
- ``INTO OUTFILE``.

What runs then runs under ``caps()``: ``readonly=1`` plus a memory cap, a time cap and
a row cap that the statement cannot lift (readonly refuses SETTINGS changes).

>>> caps(row_limit=100, max_memory=1 << 30, max_seconds=30)["readonly"]
1
"""

from __future__ import annotations

from inkstream.errors import ReadOnlyViolation  # noqa: F401 - defined in the one error tree

import re
from typing import Any

from inkstream.errors import ConnectorError

__all__ = ["ReadOnlyViolation", "check_statement", "caps", "output_format", "statement_kind_ok", "check_tree"]

_ALLOWED = re.compile(r"^\s*(\(\s*)*(select|with|show|describe|desc|explain|exists)\b", re.IGNORECASE)
# Table functions that only generate values in memory; everything else reaches a file, a
# socket, another server, a process or the chDB host's Python objects.
_GENERATORS = frozenset({"numbers", "numbers_mt", "zeros", "zeros_mt", "generate_series", "generateseries",
                         "values", "null"})
# Scalar (or table) functions that read the host or the network wherever they appear.
_HOST_FUNCTIONS = frozenset({
    "file", "filecluster", "url", "urlcluster", "s3", "s3cluster", "gcs", "oss", "cosn", "azureblobstorage",
    "azureblobstoragecluster", "hdfs", "hdfscluster", "remote", "remotesecure", "cluster", "clusterallreplicas",
    "mysql", "postgresql", "sqlite", "mongodb", "redis", "jdbc", "odbc", "executable", "executablepool",
    "python", "input", "iceberg", "icebergs3", "deltalake", "hudi", "catboostevaluate", "getserversetting",
})
_FUNCTION = re.compile(r"^( *)Function (\S+)")
_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'|`(?:[^`\\]|\\.)*`|\"(?:[^\"\\]|\\.)*\"")
_FORMAT = re.compile(r"\bFORMAT\s+(\w+)\s*$", re.IGNORECASE)
_OUTFILE = re.compile(r"\bINTO\s+OUTFILE\b", re.IGNORECASE)


def statement_kind_ok(sql: str) -> bool:
    """One SELECT/WITH/SHOW/DESCRIBE/EXPLAIN/EXISTS statement (the engine parses the rest)."""
    return bool(_ALLOWED.match(sql)) and ";" not in sql.strip().rstrip(";")


def check_statement(store: Any, sql: str, params: dict | None = None) -> str:
    """Raise ``ReadOnlyViolation`` unless ``sql`` is a read that stays inside the store;
    return the engine's single-line form of it (``output_format`` reads its FORMAT).

    ``store`` is a ``streams.audit.store.ClickHouse``: the tree comes from the same engine
    that would run the statement, so what we check is what it would execute."""
    if not statement_kind_ok(sql):
        raise ReadOnlyViolation("only one SELECT/WITH/SHOW/DESCRIBE/EXPLAIN/EXISTS statement is allowed")
    body = sql.strip().rstrip(";")
    try:
        _, tree = store.query(f"EXPLAIN AST {body}", params or {}, settings={"readonly": 1})
        _, formatted = store.query("SELECT formatQuerySingleLine({q:String})", {"q": body}, settings={"readonly": 1})
    except ConnectorError as exc:
        raise ReadOnlyViolation(f"ClickHouse refused to parse the statement: {exc}") from exc
    check_tree([str(r[0]) for r in tree])
    canonical = str(formatted[0][0])
    if _OUTFILE.search(_QUOTED.sub("''", canonical)):
        raise ReadOnlyViolation("INTO OUTFILE is not allowed: results come back over the connection only")
    return canonical


def output_format(canonical: str) -> str | None:
    """The statement's own ``FORMAT x`` (from ``check_statement``'s canonical text), if any."""
    match = _FORMAT.search(_QUOTED.sub("''", canonical))
    return match.group(1) if match else None


def check_tree(lines: list[str]) -> None:
    """Refuse host functions anywhere and table functions other than generators in FROM
    (``EXPLAIN AST`` lines of any statement)."""
    parents: list[tuple[int, str]] = []   # (indent, node text) of the current ancestors
    for line in lines:
        indent = len(line) - len(line.lstrip(" "))
        while parents and parents[-1][0] >= indent:
            parents.pop()
        match = _FUNCTION.match(line)
        if match:
            name = match.group(2).lower()
            in_from = bool(parents) and parents[-1][1].startswith("TableExpression")
            if name in _HOST_FUNCTIONS:
                raise ReadOnlyViolation(f"function {match.group(2)}() reaches files, URLs or other servers "
                                        "and is not allowed")
            if in_from and name not in _GENERATORS:
                raise ReadOnlyViolation(f"table function {match.group(2)}() is not allowed; only "
                                        f"{', '.join(sorted(_GENERATORS))} and the store's tables")
        parents.append((indent, line.strip()))


def caps(*, row_limit: int, max_memory: int, max_seconds: float) -> dict[str, Any]:
    """Settings every analyst statement runs under; ``readonly=1`` stops the statement's
    own SETTINGS clause from lifting them."""
    # readonly LAST: chDB applies the settings in order, and readonly refuses the ones after it
    return {"max_memory_usage": max_memory, "max_execution_time": max_seconds,
            "max_result_rows": row_limit, "result_overflow_mode": "break", "readonly": 1}
