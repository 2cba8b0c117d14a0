"""The finance dashboard (ops/grafana/finance.py): every panel's query runs through the
ClickHouse HTTP interface with the stock clickhouse_connect client, and the figures are
the ones the data says."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import audit_samples as s
import clickhouse_connect
import pytest

from ops.grafana.finance import DATASOURCE, PATH, build
from streams.audit.analysts import Analysts, analysts_path
from streams.audit.query import QueryServer
from streams.audit.sink import AuditSink
from streams.runtime import Processor
from streams.runtime.testing import run_processor

D = s.DAY_MS
JAN, FEB = s.T0, s.T0 + 31 * D
# doc: (doc_type, supplier field, ingested_at, decisions, amount, currency, signed after ms)
DOCS = {
    "c1": ("contract", ("counterparty", "Acme GmbH"), JAN + 4 * D, ["accepted"], "1000.00", "EUR", 2 * D),
    "c2": ("contract", ("counterparty", "Acme GmbH"), JAN + 19 * D, ["review", "approved"], "500.50", "EUR", 4 * D),
    "c3": ("contract", ("counterparty", "Globex"), FEB + 2 * D, ["accepted"], "200.00", "USD", D),
    "i1": ("invoice", ("seller", "Globex"), JAN + 6 * D, ["accepted"], "80.00", "EUR", None),
    "i2": ("invoice", None, JAN + 8 * D, ["review", "rejected"], "90.00", "EUR", None),
}


def _records() -> list[tuple[str, dict]]:
    out = []
    for doc, (doc_type, supplier, at, decisions, amount, currency, signed_after) in DOCS.items():
        out.append(("documents.ingested", s.ingested(doc, at=at, source="email")))
        for n, status in enumerate(decisions):
            later = 1 + n * 3_600_000
            review = s.review(status, at + later) if n else None
            record = s.validated(doc, at=at + later, doc_type=doc_type, status=status, amount=amount,
                                 currency=currency, review=review)
            if supplier:
                record["fields"].append({"name": supplier[0], "value": supplier[1], "normalized": supplier[1],
                                         "confidence": 0.9, "status": "accept", "page": 1, "box": None,
                                         "reason": None})
            out.append(("fields.validated", record))
        if signed_after is not None:
            out.append(("esign.events", s.esign(doc, "completed", at=at + signed_after)))
    return out


@pytest.fixture
def grafana(store, audit_settings):
    from session_codec import session_codec

    codec = session_codec()
    run_processor(Processor(name="audit", inputs=("x",), batch_sink=AuditSink(lambda: store, decode=codec.decode)),
                  _records())
    settings = audit_settings.model_copy(update={"audit": audit_settings.audit.model_copy(update={"query_port": 0})})
    analysts = Analysts(analysts_path(settings))
    secret = analysts.add("grafana")
    srv = QueryServer(store, settings).start()
    client = clickhouse_connect.get_client(host="127.0.0.1", port=srv.port, username="grafana", password=secret,
                                           database=settings.clickhouse.database)
    yield client
    srv.stop()
    analysts.remove("grafana")


def _expand(sql: str) -> str:
    """The plugin's $__timeFilter(col): col between the dashboard's from and to, in seconds
    (grafana/clickhouse-datasource, pkg/macros/macros.go)."""
    return re.sub(r"\$__timeFilter\((\w+)\)", r"\1 >= toDateTime(0) AND \1 <= toDateTime(4102444800)", sql)


def _panels() -> dict[str, str]:
    return {p["title"]: p["targets"][0]["rawSql"] for p in build()["panels"]}


def test_the_committed_dashboard_is_what_the_generator_builds():
    assert json.loads(PATH.read_text()) == build(), "run python -m ops.grafana.finance"
    for panel in build()["panels"]:
        assert panel["datasource"] == DATASOURCE and panel["targets"][0]["datasource"] == DATASOURCE


def test_every_panel_query_runs_through_the_interface(grafana):
    for title, sql in _panels().items():
        result = grafana.query(_expand(sql))
        assert result.column_names and result.result_rows, title


def test_contract_value_by_month(grafana):
    rows = grafana.query(_expand(_panels()["Contract value by month and currency"])).result_rows
    assert [(t.month, c, v) for t, c, v in rows] == [(1, "EUR", Decimal("1500.50")), (2, "USD", Decimal("200.00"))]


def test_time_to_sign(grafana):
    rows = grafana.query(_panels()["Time from scan to signature (p50, p90)"]).result_rows
    by_source = {r[0]: r[1:] for r in rows}
    assert by_source["all sources"][0] == 3 and by_source["email"][0] == 3
    assert by_source["email"][1] == pytest.approx(2 * D / 1000)   # median of 1, 2 and 4 days


def test_review_rate(grafana):
    rows = grafana.query(_panels()["Review and reject rates by source and type"]).result_rows
    assert rows == [("email", "contract", 3, pytest.approx(1 / 3, abs=1e-4), 0.0),
                    ("email", "invoice", 2, 0.5, 0.5)]


def test_straight_through_rate_by_supplier(grafana):
    rows = grafana.query(_panels()["Straight-through rate by supplier"]).result_rows
    assert rows == [("Acme GmbH", 2, 0.5, 0.5), ("Globex", 2, 1.0, 0.0), ("(unknown)", 1, 0.0, 1.0)]
