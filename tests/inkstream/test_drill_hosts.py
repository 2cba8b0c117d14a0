"""bench/drill.py's hosts (issue 13): ``--hosts 1`` runs today's processes on today's ports
and env; ``--hosts 2`` gives each host its own data dir, instance id and ports, the key
service and admin state shared through Kafka, the audit sink on host A only."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[2]

SHARED = {"INKSTREAM_CRYPTO__KEY_STORE": "kafka", "INKSTREAM_CRYPTO__KMS": "vault",
          "INKSTREAM_CRYPTO__VAULT_URL": "http://127.0.0.1:8200", "INKSTREAM_CRYPTO__VAULT_TOKEN": "s.t",
          "INKSTREAM_STATE__BACKEND": "kafka"}


def _drill():
    spec = importlib.util.spec_from_file_location("drill_bench", ROOT / "bench" / "drill.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("drill_bench", module)
    spec.loader.exec_module(module)
    return module


def _ports(host) -> list[int]:
    return [child.port for child in host.sup.children.values()]


def test_one_host_runs_todays_processes_on_todays_ports_and_env(tmp_path):
    drill = _drill()
    before = dict(os.environ)
    host = drill._host("host", 0, tmp_path, "drillx.", {}, audit=True)
    assert dict(os.environ) == before  # the host's env goes to its children only
    assert host.env == {"INKSTREAM_DATA_DIR": str(tmp_path), "INKSTREAM_TOPICS__PREFIX": "drillx.",
                        "INKSTREAM_ESIGN__WEBHOOKS_PORT": "9690", "INKSTREAM_AUDIT__QUERY_PORT": "9691"}
    assert list(host.sup.children) == list(drill.KILLABLE)
    assert _ports(host) == [9600, 9610, 9620, 9630, 9640, 9650, 9660, 9690]
    assert host.killable == drill.KILLABLE
    assert host.sup.children["audit"].args == ["run", "audit", "--metrics-port", "9660"]


def test_two_hosts_have_their_own_dirs_ids_and_ports_and_share_keys_and_state(tmp_path):
    drill = _drill()
    before = dict(os.environ)
    a, b = (drill._host(name, i, tmp_path / name, "drillx.", SHARED, audit=i == 0)
            for i, name in enumerate(("host-a", "host-b")))
    assert dict(os.environ) == before
    assert (a.settings.instance.name, b.settings.instance.name) == ("host-a", "host-b")
    assert (a.settings.data_dir, b.settings.data_dir) == (tmp_path / "host-a", tmp_path / "host-b")
    assert not set(_ports(a)) & set(_ports(b))
    assert "audit" in a.sup.children and "audit" not in b.sup.children and "audit" not in b.killable
    for host in (a, b):  # shared only through the broker and the key service
        assert host.settings.crypto.key_store == "kafka" and host.settings.crypto.kms == "vault"
        assert host.settings.state.backend == "kafka"
        assert host.settings.topics.prefix == "drillx."
    assert set(a.env) == set(b.env)  # B's env replaces every host-specific variable of A's


def test_a_members_host_is_read_back_from_the_ids_the_runtime_gives_it(tmp_path):
    from inkstream.settings import load_settings
    from streams.runtime.loop import group_id, transactional_id

    drill = _drill()
    proc = SimpleNamespace(name="esign.dispatch")
    for instance in ("host-b", "vm-2", "a.b_c"):
        settings = load_settings(data_dir=str(tmp_path), topics={"prefix": "drillx."}, instance={"id": instance})
        member = transactional_id(settings, proc, 3)
        assert drill._instance_of(member, group_id(settings, proc)) == instance
