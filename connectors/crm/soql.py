"""SOQL string literals (Salesforce SOQL and SOSL Reference, "Quoted String Escape Sequences")."""

from __future__ import annotations

__all__ = ["soql_literal"]


def soql_literal(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
