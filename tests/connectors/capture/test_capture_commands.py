"""The capture commands as a user types them: apikey create|list|revoke, ingest."""

from __future__ import annotations

import re
import uuid

import pytest
import typer
from typer.testing import CliRunner

from app.commands import capture as commands
from connectors.capture.apikeys import ApiKeyStore
from connectors.capture.testing import make_pdf


@pytest.fixture
def cli(monkeypatch, tmp_path):
    monkeypatch.setenv("INKSTREAM_DATA_DIR", str(tmp_path / "data"))
    app = typer.Typer()
    commands.register(app)
    runner = CliRunner()
    return lambda *args: runner.invoke(app, list(args))


@pytest.mark.stack  # create and revoke are audited on admin.actions (test_apikey_admin.py)
def test_a_created_key_works_is_listed_without_its_secret_and_can_be_revoked(cli, tmp_path, monkeypatch, settings):
    from tests.inkstream.admin_audit_kafka import create_admin_topic

    monkeypatch.setenv("INKSTREAM_TOPICS__PREFIX", settings.topics.prefix)
    create_admin_topic(settings)
    created = cli("apikey", "create", "scanner-2", "--scope", "ingest")
    assert created.exit_code == 0, created.output
    secret = re.search(r"key: (ink_\S+)", created.output).group(1)
    key_id = re.search(r"id: (\w+)", created.output).group(1)
    store = ApiKeyStore(tmp_path / "data" / "capture" / "apikeys.json")
    assert store.verify(secret).scopes == ("ingest",)

    listed = cli("apikey", "list")
    assert key_id in listed.output and "scanner-2" in listed.output and secret not in listed.output

    assert cli("apikey", "revoke", key_id).exit_code == 0
    assert store.verify(secret) is None
    assert cli("apikey", "revoke", key_id).exit_code == 1  # already revoked


def test_an_unknown_scope_is_refused(cli):
    result = cli("apikey", "create", "x", "--scope", "superuser")
    assert result.exit_code == 1 and "scopes must be some of" in result.output


def test_folders_are_walked_and_hidden_files_left_out(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.pdf").write_bytes(b"1")
    (tmp_path / "sub" / "b.pdf").write_bytes(b"2")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "c.pdf").write_bytes(b"3")
    (tmp_path / ".d.pdf").write_bytes(b"4")
    assert [p.name for p in commands.expand_paths([tmp_path])] == ["a.pdf", "b.pdf"]


def test_every_listener_resolves_to_a_serve_function():
    import importlib

    from streams.services import CAPTURE

    assert set(CAPTURE) == {"api", "smtp", "imap", "folder", "ftp"}
    for name, target in CAPTURE.items():
        module, func = target.split(":")
        assert callable(getattr(importlib.import_module(module), func)), name


@pytest.mark.stack
def test_inkstream_ingest_prints_the_summary_and_exits_1_when_something_was_refused(cli, tmp_path, monkeypatch, settings):
    from ops.stack.topics import ensure_topics

    monkeypatch.setenv("INKSTREAM_TOPICS__PREFIX", settings.topics.prefix)
    ensure_topics(settings)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "good.pdf").write_bytes(make_pdf(f"CLI {uuid.uuid4()}"))
    (tmp_path / "in" / "bad.pdf").write_bytes(b"")
    result = cli("ingest", str(tmp_path / "in"))
    assert result.exit_code == 1, result.output
    assert re.search(r"ingested\s+│\s+1", result.output)
    assert "refused" in result.output and "empty: 1" in result.output
