"""``inkstream keys list|rotate`` as an operator types them: ids only, rotation audited."""

from __future__ import annotations

import json

import pytest
import typer
from tests.inkstream.admin_audit_kafka import create_admin_topic, read_admin_actions
from typer.testing import CliRunner

from inkstream.crypto import LocalKeyRing, seal, unseal
from app.commands import keys as commands
from session_codec import decode


@pytest.fixture
def cli(monkeypatch, tmp_path):
    monkeypatch.setenv("INKSTREAM_DATA_DIR", str(tmp_path / "data"))
    app = typer.Typer()
    commands.register(app)
    runner = CliRunner()
    return lambda *args: runner.invoke(app, list(args))


def test_list_before_any_key_exists_creates_nothing(cli, tmp_path):
    out = cli("keys", "list")
    assert out.exit_code == 0 and "no key ring" in out.output
    assert not (tmp_path / "data" / "keys" / "keyring.json").exists()


def test_list_shows_ids_and_the_current_key_never_the_material(cli, tmp_path):
    ring = LocalKeyRing(tmp_path / "data" / "keys" / "keyring.json")
    first = ring.current
    second = ring.rotate()
    out = cli("keys", "list", "--json")
    assert out.exit_code == 0, out.output
    assert json.loads(out.output) == [{"kek_id": k, "created": c, "current": cur} for k, c, cur in ring.keys()]
    assert [r["kek_id"] for r in json.loads(out.output) if r["current"]] == [second]
    table = cli("keys", "list")
    assert first in table.output and second in table.output
    for entry in json.loads(ring.path.read_text())["keys"].values():
        assert entry["material"] not in out.output and entry["material"] not in table.output


@pytest.mark.stack
def test_rotate_makes_a_new_key_current_keeps_old_blobs_readable_and_is_audited(cli, tmp_path, monkeypatch, settings):
    monkeypatch.setenv("INKSTREAM_TOPICS__PREFIX", settings.topics.prefix)
    create_admin_topic(settings)
    ring = LocalKeyRing(tmp_path / "data" / "keys" / "keyring.json")
    old_kek = ring.current
    old_blob = seal(ring, b"sealed before", context="originals/ab/abc")

    out = cli("keys", "rotate")
    assert out.exit_code == 0, out.output
    new_kek = ring.current
    assert new_kek != old_kek and new_kek in out.output
    assert unseal(LocalKeyRing(ring.path), old_blob, context="originals/ab/abc") == b"sealed before"
    [(key, value)] = read_admin_actions(settings)
    record = decode(value)
    assert key == new_kek.encode()
    assert (record["action"], record["target"], record["detail"]) == ("keys.rotate", new_kek, {"previous": old_kek})
    assert record["actor"].startswith("os:")


@pytest.mark.stack
def test_a_rotation_that_cannot_be_audited_says_so_and_fails(cli, tmp_path, monkeypatch, settings):
    monkeypatch.setenv("INKSTREAM_TOPICS__PREFIX", settings.topics.prefix)  # admin.actions not created
    out = cli("keys", "rotate")
    assert out.exit_code == 1
    assert "NOT audited" in out.output
