"""ClickHouse TTLs: per document type on the tables that have a ``doc_type`` column,
per table (``retention.tables``) on the other analytics tables.

``fields`` (the values, personal data) expire after the type's ``fields_days``;
``extractions`` (type and status, no values) live as long as the type's longest retention,
because S3 expiry finds a file's type through them.

The audit trail (``audit_events``, ``audit_chain_heads``) never gets a TTL: a deleted link
is exactly what ``inkstream audit verify`` must flag, so the chain keeps every row (the OCR
text inside ``ocr.results`` payloads included; see the report's note). Rows expire when
ClickHouse merges (``MODIFY TTL`` also materialises the TTL on existing parts).

Who applies it: chDB has one writer, the audit sink, so the sink applies the TTLs at every
start (``streams.audit.processor.factory``) from the same settings; ``retention apply``
applies them itself when it can open the store (a ClickHouse server, or chDB while no sink
runs) and otherwise says the running sink has them pending until its restart.
"""

from __future__ import annotations

import re
from typing import Any

from inkstream.settings import DocRetention, Settings
from ops.retention.policy import Item

__all__ = ["DOC_TYPE_TABLES", "KEPT_TABLES", "desired", "actual", "report", "apply", "parse_ttl"]

# Have doc_type: fields per fields_days; extractions (the type decision) as long as the type's longest.
DOC_TYPE_TABLES = ("extractions", "fields")
KEPT_TABLES = ("audit_events", "audit_chain_heads")  # the hash chain: never expires
_TIME_COLUMN = {"documents": "ingested_at"}   # others: occurred_at
_TTL = re.compile(r"\sTTL\s(.*?)(?:\sSETTINGS\s|$)", re.S)
_RULE = re.compile(r"toIntervalDay\((\d+)\)(?:\sWHERE\s(.*))?$")


def _rule(column: str, n: int, where: str | None = None) -> str:
    # Written exactly as ClickHouse prints it back (system.tables.engine_full), so the
    # report compares text with text.
    return f"toDateTime({column}) + toIntervalDay({n})" + (f" WHERE {where}" if where else "")


def ttl_for(settings: Settings, table: str) -> str | None:
    """The TTL clause ``table`` should have; None = no TTL."""
    r = settings.retention
    column = _TIME_COLUMN.get(table, "occurred_at")
    if table in DOC_TYPE_TABLES:
        days_of = _fields_days if table == "fields" else _decision_days
        rules = [_rule(column, days, f"doc_type = '{name}'")
                 for name, p in sorted(r.doc_types.items()) if (days := days_of(p)) is not None]
        default_days = days_of(r.default)
        if default_days is not None:
            named = ", ".join(f"'{n}'" for n in sorted(r.doc_types))
            rules.append(_rule(column, default_days, f"doc_type NOT IN ({named})" if named else None))
        return ", ".join(rules) or None
    table_days = r.tables.get(table)
    return _rule(column, table_days) if table_days is not None else None


def _fields_days(p: DocRetention) -> int | None:
    return p.fields_days


def _decision_days(p: DocRetention) -> int | None:
    """``extractions`` holds the document type S3 expiry looks up (no field values), so it
    lives as long as the longest of the type's retentions."""
    values = [p.fields_days, p.originals_days, p.signed_days]
    known = [v for v in values if v is not None]
    return max(known) if len(known) == len(values) else None


def _lookup_conflicts(settings: Settings) -> dict[str, str]:
    """``documents``/``signatures`` rows map S3 keys to documents: a shorter TTL than the
    files they name would leave files of unknown type (the default retention)."""
    r = settings.retention
    out = {}
    for table, field in (("documents", "originals_days"), ("signatures", "signed_days")):
        days = r.tables.get(table)
        if days is None:
            continue
        longest = [getattr(p, field) for p in (r.default, *r.doc_types.values())]
        if None in longest or days < max(longest):
            out[table] = (f"S3 expiry finds a file's type through this table: keep it at least as long as the "
                          f"longest {field} ({'forever' if None in longest else f'{max(longest)}d'})")
    return out


def parse_ttl(engine_full: str) -> str | None:
    match = _TTL.search(engine_full or "")
    return match.group(1).strip() if match else None


def _human(ttl: str | None) -> str:
    """``contract 3650d, invoice 3650d, other 365d`` from a TTL clause (text as is if foreign)."""
    if not ttl:
        return "none"
    parts = []
    for rule in ttl.split(", toDateTime("):
        m = _RULE.search(rule)
        if not m:
            return ttl
        where = m.group(2) or ""
        label = ("other types" if "NOT IN" in where else
                 (_quoted(where) if where else "all rows"))
        parts.append(f"{label} {m.group(1)}d")
    return ", ".join(parts)


def actual(reader: Any) -> dict[str, str | None]:
    """Table -> its current TTL clause, for the MergeTree tables of the configured database."""
    _, rows = reader.query("SELECT name, engine_full FROM system.tables "
                           "WHERE database = currentDatabase() AND engine LIKE '%MergeTree%'")
    return {name: parse_ttl(engine) for name, engine in rows}


def desired(settings: Settings, tables: list[str]) -> dict[str, str | None]:
    return {t: ttl_for(settings, t) for t in tables if t not in KEPT_TABLES}


def report(settings: Settings, reader: Any) -> list[Item]:
    have = actual(reader)
    want = desired(settings, sorted(have))
    conflicts = _lookup_conflicts(settings)
    out = []
    for table in sorted(have):
        if table in KEPT_TABLES:
            state = "ok" if have[table] is None else "drift"
            note = "hash chain: every link kept (audit verify); OCR text in ocr.results payloads is kept with it"
            out.append(Item("clickhouse", table, "kept", _human(have[table]), state, note))
            continue
        state = "ok" if have[table] == want[table] else "drift"
        if table in conflicts:
            state = "conflict"
        out.append(Item("clickhouse", table, _human(want[table]), _human(have[table]), state, conflicts.get(table, "")))
    for table in sorted(set(settings.retention.tables) - set(have)):
        out.append(Item("clickhouse", table, _human(ttl_for(settings, table)), "-", "missing",
                        "retention.tables names a table the database does not have"))
    return out


def apply(settings: Settings, store: Any, *, dry_run: bool = False) -> list[Item]:
    """``MODIFY TTL`` / ``REMOVE TTL`` where a table differs from the policy (idempotent)."""
    have = actual(store)
    out = []
    for table in sorted(have):
        want = None if table in KEPT_TABLES else ttl_for(settings, table)
        configured = "kept" if table in KEPT_TABLES else _human(want)
        if have[table] == want:
            out.append(Item("clickhouse", table, configured, _human(have[table]), "unchanged"))
            continue
        if not dry_run:
            store.command(f"ALTER TABLE `{table}` MODIFY TTL {want}" if want else f"ALTER TABLE `{table}` REMOVE TTL")
        out.append(Item("clickhouse", table, configured, _human(have[table]), "would change" if dry_run else "changed"))
    return out


def _quoted(where: str) -> str:
    """The doc type a rule's ``doc_type = '<name>'`` condition names."""
    m = re.search(r"'([^']*)'", where)
    return m.group(1) if m else where
