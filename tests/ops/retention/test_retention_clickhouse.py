"""ClickHouse TTLs per document type (real chDB): apply sets them, rows past them go at the
next merge, the audit chain never gets one, and the report sees drift."""

from __future__ import annotations

from inkstream.settings import DocRetention
from ops.retention import clickhouse
from streams.audit.processor import _apply_retention


def _with(settings, **retention):
    return settings.model_copy(update={"retention": settings.retention.model_copy(update=retention)})


def _engine(store, table: str) -> str:
    _, rows = store.query("SELECT engine_full FROM system.tables WHERE database = currentDatabase() AND name = {t:String}",
                          {"t": table})
    return rows[0][0]


def _states(items) -> dict[str, str]:
    return {i.target: i.state for i in items}


def test_apply_sets_per_type_ttl_and_rows_expire(rsettings, rstore):
    s = _with(rsettings, doc_types={"contract": DocRetention(fields_days=3650, originals_days=3650, signed_days=3650),
                                    "invoice": DocRetention(fields_days=30, originals_days=2555, signed_days=2555)},
              default=DocRetention(fields_days=10, originals_days=365, signed_days=None), tables={"crm_dryrun": 90})
    assert _states(clickhouse.report(s, rstore))["fields"] == "drift"

    changed = _states(clickhouse.apply(s, rstore))
    assert changed["fields"] == changed["extractions"] == changed["crm_dryrun"] == "changed"
    assert changed["audit_events"] == "unchanged" and changed["documents"] == "unchanged"
    assert "toIntervalDay(30) WHERE doc_type = 'invoice'" in _engine(rstore, "fields")
    assert "doc_type NOT IN ('contract', 'invoice')" in _engine(rstore, "fields")
    # extractions (the type S3 expiry looks up) last as long as the type's files; the
    # default type keeps signed files forever, so its decisions get no rule.
    assert "toIntervalDay(2555) WHERE doc_type = 'invoice'" in _engine(rstore, "extractions")
    assert "NOT IN" not in _engine(rstore, "extractions")
    assert " TTL " not in _engine(rstore, "audit_events")  # the hash chain keeps every link
    assert all(i.state == "ok" for i in clickhouse.report(s, rstore))
    assert all(i.state == "unchanged" for i in clickhouse.apply(s, rstore))  # idempotent

    # 40-day-old rows: the contract's stays (3650 d), the invoice's (30 d) and the
    # unknown type's (10 d) go; a fresh invoice row stays.
    rstore.command(
        "INSERT INTO fields (doc_id, event_id, name, occurred_at, source, doc_type, doc_status, value, normalized, "
        "confidence, status, page) VALUES "
        "('c', 'e', 'n', now64(3) - INTERVAL 40 DAY, 'api', 'contract', 'accepted', 'v', 'v', 1, 'ok', 1), "
        "('i', 'e', 'n', now64(3) - INTERVAL 40 DAY, 'api', 'invoice', 'accepted', 'v', 'v', 1, 'ok', 1), "
        "('o', 'e', 'n', now64(3) - INTERVAL 40 DAY, 'api', 'receipt', 'accepted', 'v', 'v', 1, 'ok', 1), "
        "('f', 'e', 'n', now64(3), 'api', 'invoice', 'accepted', 'v', 'v', 1, 'ok', 1)")
    rstore.command("ALTER TABLE fields MATERIALIZE TTL")
    _, rows = rstore.query("SELECT doc_id FROM fields ORDER BY doc_id")
    assert [r[0] for r in rows] == ["c", "f"]


def test_report_detects_drift_and_apply_repairs_it(rsettings, rstore):
    s = _with(rsettings, tables={"dlq_events": 90})
    clickhouse.apply(s, rstore)
    # Someone shortens a TTL by hand and puts one on the audit trail: both are drift.
    rstore.command("ALTER TABLE dlq_events MODIFY TTL toDateTime(occurred_at) + toIntervalDay(1)")
    rstore.command("ALTER TABLE audit_events MODIFY TTL toDateTime(occurred_at) + toIntervalDay(1)")
    found = {i.target: i for i in clickhouse.report(s, rstore)}
    assert found["dlq_events"].state == "drift" and found["dlq_events"].actual == "all rows 1d"
    assert found["audit_events"].state == "drift"
    # A policy change is drift too, until applied.
    s2 = _with(s, tables={"dlq_events": 30})
    assert _states(clickhouse.report(s2, rstore))["dlq_events"] == "drift"
    changed = _states(clickhouse.apply(s2, rstore, dry_run=True))
    assert changed["dlq_events"] == "would change"
    assert "toIntervalDay(1)" in _engine(rstore, "dlq_events")  # dry run changed nothing
    clickhouse.apply(s2, rstore)
    assert "toIntervalDay(30)" in _engine(rstore, "dlq_events")
    assert " TTL " not in _engine(rstore, "audit_events")
    assert all(i.state == "ok" for i in clickhouse.report(s2, rstore))


def test_audit_sink_applies_ttls_at_start(rsettings, rstore):
    s = _with(rsettings, tables={"webhook_rejections": 45})
    _apply_retention(s, rstore)
    assert "toIntervalDay(45)" in _engine(rstore, "webhook_rejections")
