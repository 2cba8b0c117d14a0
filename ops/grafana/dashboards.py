"""The Grafana dashboards, as code: ``python -m ops.grafana.dashboards`` writes
``ops/grafana/dashboards/*.json`` (provisioned by ``ops/grafana/provisioning``).

Every query names only metrics the code exports (tests/ops/test_observability.py checks
the committed JSON against this module, each metric name against the ``Metrics.create``
classes, and each query's syntax with promtool).
"""

from __future__ import annotations

import json
from pathlib import Path

__all__ = ["DATASOURCE", "build", "write", "DASHBOARD_DIR"]

DASHBOARD_DIR = Path(__file__).resolve().parent / "dashboards"
DATASOURCE = {"type": "prometheus", "uid": "inkstream-prometheus"}
RATE = "$__rate_interval"


def _panel(title: str, exprs: list[tuple[str, str]], *, unit: str = "short", kind: str = "timeseries",
           description: str = "") -> dict:
    return {
        "type": kind, "title": title, "description": description, "datasource": DATASOURCE,
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "options": {"legend": {"displayMode": "table", "placement": "bottom"}} if kind == "timeseries" else {},
        "targets": [{"datasource": DATASOURCE, "refId": chr(ord("A") + i), "expr": expr, "legendFormat": legend}
                    for i, (expr, legend) in enumerate(exprs)],
    }


def _quantiles(metric: str, by: str, selector: str = "", qs=(0.5, 0.9, 0.99)) -> list[tuple[str, str]]:
    return [(f"histogram_quantile({q}, sum by ({by}, le) (rate({metric}_bucket{selector}[{RATE}])))",
             f"p{int(q * 100)} {{{{{by}}}}}") for q in qs]


def _dashboard(uid: str, title: str, panels: list[dict]) -> dict:
    laid_out = []
    for i, panel in enumerate(panels):
        width = 12
        laid_out.append({**panel, "id": i + 1, "gridPos": {"h": 8, "w": width, "x": (i % 2) * width, "y": (i // 2) * 8}})
    return {
        "uid": uid, "title": title, "tags": ["inkstream"], "timezone": "utc", "schemaVersion": 39,
        "version": 1, "editable": True, "refresh": "10s", "time": {"from": "now-1h", "to": "now"},
        "templating": {"list": []}, "annotations": {"list": []}, "panels": laid_out,
    }


def _pipeline() -> dict:
    return _dashboard("inkstream-pipeline", "inkstream / pipeline overview", [
        _panel("Records consumed per second", [
            (f"sum by (processor) (rate(inkstream_records_in_total[{RATE}]))", "{{processor}}")], unit="ops"),
        _panel("Records produced per second", [
            (f"sum by (topic) (rate(inkstream_records_out_total[{RATE}]))", "{{topic}}")], unit="ops"),
        _panel("Consumer lag per group and topic", [
            ("sum by (processor, topic) (inkstream_consumer_lag)", "{{processor}} {{topic}}")],
            description="High watermark minus committed position, summed over partitions."),
        _panel("Dead letters (last hour)", [
            ("sum by (processor, topic) (increase(inkstream_dlq_records_total[1h]))", "{{processor}} {{topic}}")]),
        _panel("Errors per second by type", [
            (f"sum by (processor, error_type) (rate(inkstream_errors_total[{RATE}]))",
             "{{processor}} {{error_type}}")], unit="ops"),
        _panel("Processing time per record", _quantiles("inkstream_processing_seconds", "processor"), unit="s"),
        _panel("Processes up", [('up{job!="prometheus"}', "{{job}}")], kind="stat"),
        _panel("Checkpoints by result", [
            (f"sum by (processor, result) (rate(inkstream_checkpoints_total[{RATE}]))",
             "{{processor}} {{result}}")], unit="ops"),
        _panel("Audit sink rows written per second", [
            (f"sum by (table) (rate(inkstream_audit_rows_total[{RATE}]))", "{{table}}"),
            (f"sum(rate(inkstream_audit_duplicates_total[{RATE}]))", "redelivered, skipped")], unit="ops"),
        _panel("Audit sink flush time", [
            (f"histogram_quantile(0.99, sum by (le) (rate(inkstream_audit_flush_seconds_bucket[{RATE}])))", "p99"),
            (f"sum(rate(inkstream_audit_flush_failures_total[{RATE}]))", "failures/s")], unit="s"),
    ])


def _ocr() -> dict:
    ocr = '{processor=~"ocr.*"}'
    return _dashboard("inkstream-ocr", "inkstream / OCR", [
        _panel("Documents read per second, by lane", [
            (f"sum by (processor) (rate(inkstream_records_in_total{ocr}[{RATE}]))", "{{processor}}")], unit="ops"),
        _panel("OCR latency per document", _quantiles("inkstream_processing_seconds", "processor", ocr), unit="s",
               description="Time in the OCR handler per document (rasterise, preprocess, detect, recognise)."),
        _panel("OCR error rate", [
            (f"sum(rate(inkstream_errors_total{ocr}[{RATE}])) / sum(rate(inkstream_records_in_total{ocr}[{RATE}]))",
             "failed share")], unit="percentunit"),
        _panel("OCR backlog (consumer lag)", [
            (f"sum by (processor, topic) (inkstream_consumer_lag{ocr})", "{{processor}} {{topic}}")]),
        _panel("OCR dead letters (last hour)", [
            (f"sum by (processor, topic) (increase(inkstream_dlq_records_total{ocr}[1h]))",
             "{{processor}} {{topic}}")]),
        _panel("OCR retries per second", [
            (f"sum by (processor) (rate(inkstream_retries_total{ocr}[{RATE}]))", "{{processor}}")], unit="ops"),
        _panel("Pages read per second, by text source", [
            (f"sum by (text_source) (rate(inkstream_ocr_pages_total[{RATE}]))", "{{text_source}}")], unit="ops",
               description="text_layer: a digital page read from its text; ocr: a scanned page recognised."),
        _panel("Seconds per page", _quantiles("inkstream_ocr_page_seconds", "text_source"), unit="s",
               description="A document's read time divided by its pages, by its slowest text source."),
    ])


def _connectors() -> dict:
    crm = '{processor=~"crm.*"}'
    return _dashboard("inkstream-connectors", "inkstream / connectors", [
        _panel("Documents captured per second", [
            (f"sum by (source, outcome) (rate(inkstream_ingest_documents_total[{RATE}]))",
             "{{source}} {{outcome}}")], unit="ops"),
        _panel("Capture latency", _quantiles("inkstream_ingest_seconds", "source"), unit="s"),
        _panel("Captured bytes per second", [
            (f"sum by (source) (rate(inkstream_ingest_bytes_total[{RATE}]))", "{{source}}")], unit="Bps"),
        _panel("Refused documents by reason", [
            (f"sum by (source, reason) (rate(inkstream_ingest_refused_total[{RATE}]))", "{{source}} {{reason}}")],
            unit="ops"),
        _panel("Webhook verification failures", [
            (f"sum by (provider, reason) (rate(inkstream_webhook_verification_failures_total[{RATE}]))",
             "{{provider}} {{reason}}")], unit="ops"),
        _panel("Verified webhook events", [
            (f"sum by (provider, outcome) (rate(inkstream_webhook_events_total[{RATE}]))",
             "{{provider}} {{outcome}}")], unit="ops"),
        _panel("CRM rate-limit pauses (429 / quota)", [
            (f"sum by (processor) (rate(inkstream_backpressure_total{crm}[{RATE}]))", "{{processor}}")], unit="ops"),
        _panel("CRM errors by type", [
            (f"sum by (processor, error_type) (rate(inkstream_errors_total{crm}[{RATE}]))",
             "{{processor}} {{error_type}}")], unit="ops"),
        _panel("CRM commands sent to the DLQ (last hour)", [
            (f"sum by (processor) (increase(inkstream_dlq_records_total{crm}[1h]))", "{{processor}}")]),
        _panel("CRM command latency", _quantiles("inkstream_processing_seconds", "processor", crm), unit="s"),
        _panel("CRM API requests by outcome", [
            (f"sum by (crm, outcome) (rate(inkstream_crm_requests_total[{RATE}]))", "{{crm}} {{outcome}}")],
            unit="reqps"),
        _panel("CRM time spent waiting on rate limits", [
            (f"sum by (crm) (rate(inkstream_crm_rate_limit_wait_seconds_sum[{RATE}]))", "{{crm}}")],
            unit="percentunit", description="Seconds waited per second: client-side pacing, Retry-After, "
                                            "partition pauses."),
        _panel("CRM rate-limit wait length", _quantiles("inkstream_crm_rate_limit_wait_seconds", "crm"), unit="s"),
    ])


def build() -> dict[str, dict]:
    """File name → dashboard JSON model."""
    return {"pipeline.json": _pipeline(), "ocr.json": _ocr(), "connectors.json": _connectors()}


def write(directory: Path = DASHBOARD_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, model in build().items():
        path = directory / name
        path.write_text(json.dumps(model, indent=2, sort_keys=True) + "\n")
        paths.append(path)
    return paths


if __name__ == "__main__":
    for p in write():
        print(p)
