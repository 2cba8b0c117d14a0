"""Alert rules and dashboards: valid PromQL (promtool), unit-tested alerts, and every
query names only metrics (and labels) the code really exports."""

from __future__ import annotations

import ast
import functools
import importlib
import inspect
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from prometheus_client import CollectorRegistry

from ops.grafana.dashboards import DASHBOARD_DIR, DATASOURCE, build

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "ops/prometheus/rules/inkstream.yml"
RULE_TESTS = ROOT / "ops/prometheus/tests/inkstream_test.yml"
GRAFANA = ROOT / "ops/grafana"  # mounted at /etc/grafana/provisioning by docker-compose.yml
# Debian's `prometheus` package ships promtool; without it these tests fail, never skip.
PROMTOOL = shutil.which("promtool") or "promtool"

_METRIC = re.compile(r"\b(inkstream_[a-zA-Z0-9_]+)\b")
_SELECTOR = re.compile(r"\b(inkstream_[a-zA-Z0-9_]+)\{([^}]*)\}")
_MATCHER = re.compile(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)")
_SERIES_LABELS = {"job", "instance"}  # added by Prometheus at scrape time


# -- what the code exports -------------------------------------------------------------

@functools.cache
def _metrics_classes() -> tuple[type, ...]:
    """Every ``*Metrics`` class with a ``create(cls, registry, ...)`` classmethod under
    streams/, connectors/ and ops/ (found by parsing, imported only when found)."""
    found = []
    for path in sorted([*ROOT.glob("streams/**/*.py"), *ROOT.glob("connectors/**/*.py"), *ROOT.glob("ops/**/*.py")]):
        tree = ast.parse(path.read_text())
        for node in tree.body:
            if isinstance(node, ast.ClassDef) and node.name.endswith("Metrics") and any(
                    isinstance(f, ast.FunctionDef) and f.name == "create" for f in node.body):
                module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
                found.append(getattr(importlib.import_module(module), node.name))
    return tuple(found)


def exported() -> dict[str, set[str]]:
    """Exposed sample name → label names, for every metric the code can register."""
    registry = CollectorRegistry()
    for cls in _metrics_classes():
        params = inspect.signature(cls.create).parameters
        kwargs = {n: "x" for n, p in params.items() if p.kind is p.KEYWORD_ONLY and p.default is p.empty}
        cls.create(registry, **kwargs)
    names: dict[str, set[str]] = {}
    for collector, metric_names in registry._collector_to_names.items():
        labels = set(getattr(collector, "_labelnames", ()))
        for name in metric_names:
            names[name] = labels | ({"le"} if name.endswith("_bucket") else set())
    return names


# -- what the rules and dashboards query -----------------------------------------------

def rule_exprs() -> list[tuple[str, str]]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [(r.get("alert") or r.get("record"), r["expr"]) for g in groups for r in g["rules"]]


def dashboard_exprs() -> list[tuple[str, str]]:
    out = []
    for path in sorted(DASHBOARD_DIR.glob("*.json")):
        for panel in json.loads(path.read_text())["panels"]:
            for target in panel["targets"]:
                out.append((f"{path.name}: {panel['title']}", target["expr"]))
    return out


def unknown_names(expr: str, known: dict[str, set[str]]) -> list[str]:
    """Metric names in ``expr`` the code does not export, and labels those metrics lack."""
    problems = [m for m in _METRIC.findall(expr) if m not in known]
    for metric, matchers in _SELECTOR.findall(expr):
        for label in _MATCHER.findall(matchers):
            if metric in known and label not in known[metric] | _SERIES_LABELS:
                problems.append(f"{metric}{{{label}}}")
    return problems


# -- tests -----------------------------------------------------------------------------

def test_metric_names_are_collected_from_every_area():
    names = exported()
    # The runtime, capture, e-sign gateway and audit sink each contribute theirs.
    for name in ("inkstream_records_in_total", "inkstream_consumer_lag", "inkstream_processing_seconds_bucket",
                 "inkstream_ingest_seconds_bucket", "inkstream_webhook_verification_failures_total",
                 "inkstream_audit_rows_total"):
        assert name in names, name
    assert all(n.startswith("inkstream_") for n in names)


def test_the_name_check_catches_a_metric_or_label_that_does_not_exist():
    known = exported()
    assert unknown_names("rate(inkstream_records_in_total[5m])", known) == []
    assert unknown_names("rate(inkstream_ocr_pagez_total[5m])", known) == ["inkstream_ocr_pagez_total"]
    assert unknown_names('inkstream_consumer_lag{doc_id="x"}', known) == ["inkstream_consumer_lag{doc_id}"]


@pytest.mark.parametrize("where,expr", rule_exprs() + dashboard_exprs())
def test_every_query_names_only_exported_metrics_and_labels(where, expr):
    assert unknown_names(expr, exported()) == [], where


def test_no_query_puts_document_data_in_a_label():
    for where, expr in rule_exprs() + dashboard_exprs():
        assert not re.search(r"\b(doc_id|email|trace|event_id|envelope_id)\b", expr), where


def test_promtool_accepts_the_rules():
    out = subprocess.run([PROMTOOL, "check", "rules", str(RULES)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"SUCCESS: {len(rule_exprs())} rules found" in out.stdout


def test_promtool_unit_tests_of_the_alerts_pass():
    out = subprocess.run([PROMTOOL, "test", "rules", str(RULE_TESTS)], capture_output=True, text=True,
                         cwd=RULE_TESTS.parent)
    assert out.returncode == 0, out.stdout + out.stderr


def test_every_alert_has_a_unit_test():
    tested = {t["alertname"] for case in yaml.safe_load(RULE_TESTS.read_text())["tests"]
              for t in case.get("alert_rule_test", [])}
    assert tested == {name for name, _ in rule_exprs()}


def test_every_dashboard_query_is_valid_promql(tmp_path):
    # promtool has no bare "parse this query" command: check them as recording rules,
    # with Grafana's $__rate_interval replaced by a concrete range.
    rules = [{"record": f"dashboard:query:{i}", "expr": expr.replace("$__rate_interval", "1m")}
             for i, (_, expr) in enumerate(dashboard_exprs())]
    path = tmp_path / "dashboards.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}))
    out = subprocess.run([PROMTOOL, "check", "rules", str(path)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_committed_dashboards_are_what_the_generator_builds():
    built = build()
    assert sorted(p.name for p in DASHBOARD_DIR.glob("*.json")) == sorted(built)
    for name, model in built.items():
        assert json.loads((DASHBOARD_DIR / name).read_text()) == model, f"run python -m ops.grafana.dashboards ({name})"


def test_dashboards_cover_pipeline_ocr_and_connectors_on_the_provisioned_datasource():
    titles = {json.loads(p.read_text())["title"] for p in DASHBOARD_DIR.glob("*.json")}
    assert titles == {"inkstream / pipeline overview", "inkstream / OCR", "inkstream / connectors"}
    [source] = yaml.safe_load((GRAFANA / "datasources/inkstream.yaml").read_text())["datasources"]
    assert source["uid"] == DATASOURCE["uid"] and source["type"] == "prometheus"
    for path in DASHBOARD_DIR.glob("*.json"):
        for panel in json.loads(path.read_text())["panels"]:
            assert panel["datasource"] == DATASOURCE and panel["targets"], panel["title"]
    [provider] = yaml.safe_load((GRAFANA / "dashboards/inkstream.yaml").read_text())["providers"]
    # Grafana sees ops/grafana as /etc/grafana/provisioning (docker-compose.yml): the
    # provider must point at the folder that holds the JSON.
    assert provider["type"] == "file" and provider["options"]["path"] == "/etc/grafana/provisioning/dashboards"
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert "./ops/grafana:/etc/grafana/provisioning:ro" in compose["services"]["grafana"]["volumes"]
