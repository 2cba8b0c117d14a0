"""``inkstream retention report|apply`` end to end (CliRunner; real chDB and broker):
--check fails on drift, apply is audited on admin.actions and repairs it, --json parses."""

from __future__ import annotations

import json

import pytest
import typer
from tests.inkstream.admin_audit_kafka import create_admin_topic, read_admin_actions
from typer.testing import CliRunner

from app.commands import retention as commands
from session_codec import decode

pytestmark = pytest.mark.stack


@pytest.fixture
def cli(rsettings, rstore, monkeypatch):
    monkeypatch.setenv("INKSTREAM_DATA_DIR", str(rsettings.data_dir))
    monkeypatch.setenv("INKSTREAM_CLICKHOUSE__DATABASE", rsettings.clickhouse.database)
    monkeypatch.setenv("INKSTREAM_TOPICS__PREFIX", rsettings.topics.prefix)
    monkeypatch.delenv("CLICKHOUSE_URL", raising=False)
    app = typer.Typer()
    commands.register(app)
    runner = CliRunner()
    return lambda *args: runner.invoke(app, ["retention", *args])


def test_check_fails_on_drift_and_audited_apply_repairs_it(cli, rsettings):
    result = cli("report", "--stores", "clickhouse", "--check", "--json")
    assert result.exit_code == 1, result.output
    rows = {r["target"]: r for r in json.loads(result.output)}
    assert rows["fields"]["state"] == "drift" and rows["fields"]["configured"].startswith("contract ")

    dry = cli("apply", "--stores", "clickhouse", "--dry-run")
    assert dry.exit_code == 0 and "would change" in dry.output
    assert cli("report", "--stores", "clickhouse", "--check").exit_code == 1  # a dry run changes nothing

    refused = cli("apply", "--stores", "clickhouse")  # no admin.actions topic: not audited, not run
    assert refused.exit_code == 2 and "admin.actions does not exist" in refused.output
    assert cli("report", "--stores", "clickhouse", "--check").exit_code == 1

    create_admin_topic(rsettings)
    applied = cli("apply", "--stores", "clickhouse", "--json")
    assert applied.exit_code == 0, applied.output
    assert {r["target"]: r["state"] for r in json.loads(applied.output)}["fields"] == "changed"
    [(_, value)] = read_admin_actions(rsettings)
    record = decode(value)
    assert (record["action"], record["target"]) == ("retention.apply", "clickhouse")
    assert record["actor"].startswith("os:")

    ok = cli("report", "--stores", "clickhouse", "--check")
    assert ok.exit_code == 0, ok.output


def test_unknown_store_is_a_usage_error(cli):
    result = cli("report", "--stores", "kafka,elastic")
    assert result.exit_code == 2 and "--stores takes" in result.output
