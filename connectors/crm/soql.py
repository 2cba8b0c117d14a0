"""SOQL string literals, shared by the Salesforce connector and its setup (Tooling API)."""

from __future__ import annotations

__all__ = ["soql_literal"]


def soql_literal(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
