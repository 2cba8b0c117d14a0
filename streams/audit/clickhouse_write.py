"""The write side of the ClickHouse HTTP interface: what an audit *writer* may run.

Why: with ``CLICKHOUSE_URL`` the audit sink speaks ClickHouse's HTTP protocol to a server
(``streams.audit.store``). No ClickHouse server installs here, so the tests, and a
single host that wants several sink instances, point that URL at the interface one
inkstream process serves from its chDB (``streams.audit.clickhouse_http``). Writers are
separate users (``<data_dir>/audit-writers.json``, ``streams.audit.analysts.writers_path``);
analysts stay read-only.

Least privilege, the same grants a real server needs (``docs/clickhouse-server.md``),
checked on the engine's own parse tree (``EXPLAIN AST``):

- ``INSERT INTO <audit table> [(cols)] FORMAT <Native|RowBinary|TSV|CSV|JSONEachRow…>``
  with the data in the body; never ``INSERT … SELECT`` (it could read ``file()``/``url()``);
- ``CREATE DATABASE`` of the audit database only; ``CREATE TABLE`` with a MergeTree-family
  engine, ``CREATE [OR REPLACE] VIEW`` over the store's tables (``ops/clickhouse/*.sql``);
- ``ALTER TABLE … UPDATE`` (erasure blanking, ``streams.audit.erasure``) and
  ``ALTER TABLE … MODIFY TTL`` / ``REMOVE TTL`` (``ops.retention``);
- reads as analysts read them (``sql_guard``), without the analysts' row cap: the sink's
  duplicate check must never see a cut result.

No DROP, TRUNCATE, ALTER … DELETE, OPTIMIZE, RENAME, SYSTEM, GRANT, SET or KILL, and
every object is in the audit database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from inkstream.errors import ConnectorError, ReadOnlyViolation
from streams.audit.sql_guard import check_statement, check_tree, output_format, statement_kind_ok
from streams.audit.store import ClickHouse

__all__ = ["WRITER_SETTINGS", "Insert", "parse_insert", "check_command", "run_insert"]

# Settings a writer may send with a statement (the sink's erasures wait for their mutation).
WRITER_SETTINGS = frozenset({"mutations_sync", "insert_deduplicate",
                             # limits a reader puts on itself (streams.audit.query.run_readonly)
                             "max_memory_usage", "max_execution_time", "max_result_rows", "result_overflow_mode"})
# Format settings clickhouse_connect sends with every statement once it sees a writable
# session (they change how data is parsed or printed, never what may run).
WRITER_SETTING_PREFIXES = ("input_format_", "output_format_", "date_time_", "cast_string_to_")


def writer_setting(name: str) -> bool:
    return name in WRITER_SETTINGS or name.startswith(WRITER_SETTING_PREFIXES)
_FORMATS = {"native": "Native", "rowbinary": "RowBinary", "rowbinarywithnamesandtypes": "RowBinaryWithNamesAndTypes",
            "tabseparated": "TabSeparated", "tsv": "TabSeparated", "csv": "CSV", "jsoneachrow": "JSONEachRow"}
_IDENT = r"(?:`[^`\n]+`|[A-Za-z_][A-Za-z0-9_]*)"
_INSERT = re.compile(
    rf"^\s*INSERT\s+INTO\s+(?:TABLE\s+)?(?P<table>{_IDENT}(?:\.{_IDENT})?)\s*(?:\((?P<cols>[^)]*)\))?\s*"
    r"FORMAT\s+(?P<fmt>\w+)[ \t]*(?:\r?\n|$)", re.IGNORECASE)
_STARTS_INSERT = re.compile(r"^\s*INSERT\b", re.IGNORECASE)
_ENGINES = frozenset({"mergetree", "replacingmergetree", "summingmergetree", "aggregatingmergetree",
                      "collapsingmergetree", "versionedcollapsingmergetree"})
_ALTER_OK = frozenset({"UPDATE", "MODIFY_TTL", "REMOVE_TTL"})
_ALTER_CMD = re.compile(r"^\s*AlterCommand (\S+)")
_TOP = re.compile(r"^(\w+Query)\s+(\S*)")


@dataclass(frozen=True)
class Insert:
    table: str
    columns: tuple[str, ...] | None
    fmt: str
    data: bytes


def _unquote(name: str) -> str:
    return name[1:-1] if name.startswith("`") and name.endswith("`") else name


def is_insert(head: bytes) -> bool:
    return bool(_STARTS_INSERT.match(head[:64].decode("utf-8", "replace")))


def parse_insert(statement: str, data: bytes, database: str) -> Insert:
    """``statement`` is the ``INSERT … FORMAT x`` line; ``data`` what follows it."""
    match = _INSERT.match(statement)
    if match is None:
        raise ReadOnlyViolation("a writer inserts with INSERT INTO <table> [(columns)] FORMAT <format> and the "
                                "rows in the body; INSERT … SELECT and VALUES are not allowed")
    parts = [_unquote(p) for p in re.findall(_IDENT, match["table"])]
    if len(parts) == 2 and parts[0] != database:
        raise ReadOnlyViolation(f"writers insert into the audit database {database} only, not {parts[0]}")
    fmt = _FORMATS.get(match["fmt"].lower())
    if fmt is None:
        raise ReadOnlyViolation(f"format {match['fmt']} is not accepted here; use one of "
                                f"{', '.join(sorted(set(_FORMATS.values())))}")
    cols = None
    if match["cols"] is not None:
        cols = tuple(_unquote(c.strip()) for c in match["cols"].split(",") if c.strip())
    return Insert(parts[-1], cols, fmt, data)


def split_insert(sql_or_body: bytes) -> tuple[str, bytes]:
    """``INSERT … FORMAT x\\n<rows>`` → (statement, rows): the statement ends at the
    line end after its FORMAT name, as ClickHouse's HTTP interface reads it."""
    head = sql_or_body[:4096].decode("utf-8", "replace")
    match = _INSERT.match(head)
    if match is None:
        return head.split("\n", 1)[0], b""
    return match.group(0), sql_or_body[len(match.group(0).encode()):]


def check_command(session: ClickHouse, sql: str, params: dict, database: str) -> tuple[str, str | None]:
    """Raise ``ReadOnlyViolation`` unless ``sql`` is a read or a DDL/ALTER a writer may
    run (module docstring); returns its kind (``read`` | ``create`` | ``alter``) and, for
    a read, the statement's own FORMAT if it names one."""
    if statement_kind_ok(sql):
        return "read", output_format(check_statement(session, sql, params))
    if ";" in sql.strip().rstrip(";"):
        raise ReadOnlyViolation("one statement per request")
    try:
        _, tree = session.query(f"EXPLAIN AST {sql.strip().rstrip(';')}", params or {}, settings={"readonly": 1})
    except ConnectorError as exc:
        raise ReadOnlyViolation(f"ClickHouse refused to parse the statement: {exc}") from exc
    lines = [str(r[0]) for r in tree]
    top = _TOP.match(lines[0] if lines else "")
    kind = top.group(1) if top else "?"
    target = top.group(2) if top else ""
    if "." in target and target.split(".", 1)[0].strip("`") != database:
        raise ReadOnlyViolation(f"writers change the audit database {database} only")
    if kind == "CreateQuery":
        is_database = not any(x.strip().startswith(("Columns definition", "SelectWithUnionQuery", "Storage definition"))
                              for x in lines) or _engine(lines) in ("atomic",)
        if is_database and target.strip("`") != database:
            raise ReadOnlyViolation(f"writers may create the audit database {database} only")
        engine = _engine(lines)
        if engine is not None and engine not in _ENGINES and not (is_database and engine == "atomic"):
            raise ReadOnlyViolation(f"engine {engine} is not allowed; writers create MergeTree-family tables only")
        check_tree(lines)
        return "create", None
    if kind == "AlterQuery":
        commands = [m.group(1) for m in (_ALTER_CMD.match(x) for x in lines) if m]
        refused = [c for c in commands if c not in _ALTER_OK]
        if refused or not commands:
            raise ReadOnlyViolation(f"ALTER {', '.join(refused) or '?'} is not allowed; writers may ALTER … UPDATE "
                                    "and MODIFY/REMOVE TTL only")
        check_tree(lines)
        return "alter", None
    raise ReadOnlyViolation(f"{kind.removesuffix('Query').upper() or 'this statement'} is not allowed for writers")


def _engine(lines: list[str]) -> str | None:
    """The engine named under the tree's ``Storage definition`` (lower case), if any."""
    for i, line in enumerate(lines[:-1]):
        if line.strip().startswith("Storage definition"):
            words = lines[i + 1].split()
            return words[1].lower() if len(words) >= 2 and words[0] == "Function" else None
    return None


def run_insert(store: ClickHouse, insert: Insert, settings: dict) -> int:
    return store.raw_insert(insert.table, insert.columns, insert.data, insert.fmt, settings)
