"""The finance dashboard, as code: ``python -m ops.grafana.finance`` writes
``ops/grafana/dashboards/finance/finance.json``, on the Grafana ClickHouse data source
(``grafana-clickhouse-datasource``, provisioned by ``ops/grafana/datasources/clickhouse.yaml``)
pointed at the audit sink's ClickHouse HTTP interface (``streams.audit.clickhouse_http``).

It sits in a folder of its own beside the SRE dashboards on Prometheus (``dashboards.py``),
so their checks (PromQL, exported metric names) stay theirs; Grafana's file provider reads
sub-folders. Every query reads the views of ``ops/clickhouse/020_finance_views.sql`` and
``010_views.sql``; ``tests/streams/audit/test_finance_dashboard.py`` runs each one
through the interface with the stock ``clickhouse_connect`` client.
"""

from __future__ import annotations

import json
from pathlib import Path

__all__ = ["DATASOURCE", "PATH", "build", "write"]

PATH = Path(__file__).resolve().parent / "dashboards" / "finance" / "finance.json"
DATASOURCE = {"type": "grafana-clickhouse-datasource", "uid": "inkstream-clickhouse"}
# The plugin's query format enum (grafana/clickhouse-datasource, src/types/queryBuilder.ts).
_TABLE, _TIME_SERIES = 1, 0


def _panel(title: str, sql: str, *, kind: str = "table", unit: str = "short", description: str = "") -> dict:
    series = kind == "timeseries" or kind == "barchart"
    return {
        "type": kind, "title": title, "description": description, "datasource": DATASOURCE,
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []}, "options": {},
        "targets": [{"datasource": DATASOURCE, "refId": "A", "editorType": "sql", "rawSql": sql,
                     "queryType": "timeseries" if kind == "timeseries" else "table",
                     "format": _TIME_SERIES if kind == "timeseries" else _TABLE}],
        **({"interval": "1M"} if series else {}),
    }


PANELS = [
    _panel("Contract value by month and currency",
           "SELECT toDateTime(month) AS time, currency, sum(total_value) AS value\n"
           "FROM v_contract_value_by_month\nWHERE $__timeFilter(month)\n"
           "GROUP BY time, currency\nORDER BY time, currency",
           kind="timeseries", description="Contracts whose standing decision is accepted or approved, by month "
                                          "of ingestion (v_contract_value_by_month)."),
    _panel("Contracts by month and capture source",
           "SELECT month, source, currency, contracts, total_value\nFROM v_contract_value_by_month\n"
           "WHERE $__timeFilter(month)\nORDER BY month, source, currency"),
    _panel("Time from scan to signature (p50, p90)",
           "SELECT if(source = '', 'all sources', source) AS source, documents, p50_seconds, p90_seconds\n"
           "FROM v_time_to_signature\nORDER BY source = '' DESC, source",
           unit="s", description="Seconds from ingestion to the completed signature (v_time_to_signature)."),
    _panel("Review and reject rates by source and type",
           "SELECT source, doc_type, documents, review_rate, reject_rate\nFROM v_review_reject_rates\n"
           "ORDER BY source, doc_type", unit="percentunit"),
    _panel("Straight-through rate by supplier",
           "SELECT supplier, documents, straight_through_rate, review_rate\n"
           "FROM v_straight_through_by_supplier\nORDER BY documents DESC, supplier\nLIMIT 50",
           kind="barchart", unit="percentunit",
           description="Share of a supplier's documents accepted without review (v_straight_through_by_supplier)."),
    _panel("Documents per supplier", "SELECT supplier, documents, straight_through\n"
           "FROM v_straight_through_by_supplier\nORDER BY documents DESC, supplier\nLIMIT 50"),
]


def build() -> dict:
    panels = []
    for i, panel in enumerate(PANELS):
        panels.append({**panel, "id": i + 1, "gridPos": {"h": 8, "w": 12, "x": (i % 2) * 12, "y": (i // 2) * 8}})
    return {
        "uid": "inkstream-finance", "title": "inkstream / finance", "tags": ["inkstream", "finance"],
        "timezone": "utc", "schemaVersion": 39, "version": 1, "editable": True, "refresh": "5m",
        "time": {"from": "now-2y", "to": "now"}, "templating": {"list": []}, "annotations": {"list": []},
        "panels": panels,
    }


def write(path: Path = PATH) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(build(), indent=2, sort_keys=True) + "\n")
    return path


if __name__ == "__main__":
    print(write())
