"""ClickHouse DDL for the audit trail and analytics, applied in file-name order by
``streams.audit.store.apply_ddl``. Every statement is idempotent (``IF NOT EXISTS`` for
tables, ``CREATE OR REPLACE`` for views) and unqualified: the client's database decides
where it lands, so the same files run on chDB and on a ClickHouse server."""

from __future__ import annotations

from importlib import resources

__all__ = ["ddl_statements"]


def ddl_statements() -> list[tuple[str, str]]:
    """``(file name, statement)`` pairs in order. Statements end with ``;`` at a line end;
    the files hold no string literal that contains one."""
    out: list[tuple[str, str]] = []
    files = sorted((p for p in resources.files(__name__).iterdir() if p.name.endswith(".sql")), key=lambda p: p.name)
    for path in files:
        text = "\n".join(line for line in path.read_text().splitlines() if not line.lstrip().startswith("--"))
        for stmt in text.split(";\n"):
            if stmt.strip().rstrip(";").strip():
                out.append((path.name, stmt.strip().rstrip(";")))
    return out
