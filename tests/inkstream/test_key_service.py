"""The key service across hosts: Vault transit (a fake built from its API docs, driven by
the real ``hvac`` client) wraps document keys, which live in a compacted Kafka topic that
every process follows, so a key made on one host opens records on another and an
erasure made on one reaches the others within seconds."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
from fakes.vault_transit import FakeVault

from inkstream.crypto.datakeys import DocumentKeys, KeyDestroyed
from inkstream.crypto.keyring import KeyUnavailable
from inkstream.crypto.keytopic import KafkaDocumentKeys
from inkstream.crypto.vault import VaultTransit
from inkstream.errors import ConfigError, RecordErased
from schemas.codec import Codec
from schemas.records import envelope


@pytest.fixture
def vault():
    with FakeVault() as server:
        yield server


def _doc() -> str:
    return f"{int(time.time() * 1000):012x}-{uuid.uuid4().hex[:20]}"


def signed(doc: str) -> dict:
    return {**envelope(doc, producer="esign"), "provider": "docusign", "envelope_id": "env-1",
            "event_type": "signed", "provider_event": "recipient-completed", "provider_event_id": "e1",
            "provider_time": None,
            "signer": {"name": "Rahul Mehta", "email": "rahul@example.org", "ip": "203.0.113.7",
                       "user_agent": "Firefox", "auth_method": None, "signed_at": None},
            "signed": None, "payload_sha256": "00" * 32}


def test_vault_transit_wraps_through_hvac_bound_to_the_document(vault) -> None:
    kms = VaultTransit(vault.url, vault.token, "inkstream")
    kek, wrapped = kms.wrap(b"k" * 32, context="document:a")
    assert kek == "vault:inkstream" and wrapped.startswith(b"vault:v1:")
    assert kms.unwrap(kek, wrapped, context="document:a") == b"k" * 32
    with pytest.raises(KeyUnavailable):
        kms.unwrap(kek, wrapped, context="document:b")  # moved to another document
    assert ("POST", "/v1/transit/encrypt/inkstream") in vault.requests
    assert kms.rotate() == "vault:inkstream:v2"
    assert kms.wrap(b"n" * 32, context="document:a")[1].startswith(b"vault:v2:")
    assert kms.unwrap(kek, wrapped, context="document:a") == b"k" * 32  # old versions still unwrap
    assert [current for _id, _c, current in kms.keys()] == [False, True]
    with pytest.raises(ConfigError, match="not allowed"):
        VaultTransit(vault.url, "wrong-token").wrap(b"k" * 32, context="document:a")


def test_vault_is_a_drop_in_key_provider_for_document_keys(vault, tmp_path) -> None:
    keys = DocumentKeys(tmp_path / "documents", VaultTransit(vault.url, vault.token))
    codec = Codec(keys=keys, seal=True)
    doc = _doc()
    data = codec.encode("esign.events", signed(doc))
    assert b"rahul@example.org" not in data and codec.decode(data) == codec.decode(data)
    assert codec.decode(data)["signer"]["email"] == "rahul@example.org"


@pytest.mark.stack
def test_two_hosts_share_keys_and_an_erasure_reaches_the_other_within_seconds(settings, vault) -> None:
    topic = settings.topics.name("keys.documents")
    host_a = KafkaDocumentKeys(settings, topic, VaultTransit(vault.url, vault.token))
    host_b = KafkaDocumentKeys(settings, topic, VaultTransit(vault.url, vault.token))
    try:
        writer, reader = Codec(keys=host_a, seal=True), Codec(keys=host_b)
        doc, kept = _doc(), _doc()
        data, other = writer.encode("esign.events", signed(doc)), writer.encode("esign.events", signed(kept))
        assert reader.decode(data)["signer"]["email"] == "rahul@example.org"  # made on A, opened on B
        assert host_a.destroy(doc)
        started = time.monotonic()
        while time.monotonic() - started < 5:
            try:
                reader.decode(data)
            except RecordErased:
                break
            time.sleep(0.05)
        else:
            raise AssertionError("the erasure did not reach the other host in 5 s")
        assert reader.decode(other)["doc_id"] == kept
        with pytest.raises(RecordErased):
            writer.encode("esign.events", signed(doc))
        # A third process started later learns the erasure from the topic, and the key of the other.
        late = KafkaDocumentKeys(settings, topic, VaultTransit(vault.url, vault.token))
        try:
            with pytest.raises(KeyDestroyed):
                late.key(doc, create=False)
            assert late.key(kept, create=False) == host_a.key(kept, create=False)
        finally:
            late.close()
    finally:
        host_a.close()
        host_b.close()
        _delete(settings, topic)


@pytest.mark.stack
def test_two_hosts_racing_to_make_a_documents_key_agree_on_one(settings, vault) -> None:
    topic = settings.topics.name("keys.documents")
    hosts = [KafkaDocumentKeys(settings, topic, VaultTransit(vault.url, vault.token)) for _ in range(2)]
    try:
        for _ in range(3):
            doc, got = _doc(), [None, None]
            barrier = threading.Barrier(2)

            def make(i: int, barrier=barrier, got=got, doc=doc) -> None:
                barrier.wait()
                got[i] = hosts[i].key(doc)

            threads = [threading.Thread(target=make, args=(i,)) for i in range(2)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            assert got[0] is not None and got[0] == got[1]
    finally:
        for h in hosts:
            h.close()
        _delete(settings, topic)


def _delete(settings, topic: str) -> None:
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({"bootstrap.servers": settings.kafka.bootstrap, **settings.kafka.client})
    for future in admin.delete_topics([topic]).values():
        future.exception(30)


_OTHER_HOST = """
import json, sys, time
from inkstream.settings import load_settings
from inkstream.errors import RecordErased
from schemas.codec import Codec
args = json.loads(sys.argv[1])
s = load_settings(data_dir=args["data_dir"], topics={"prefix": args["prefix"]},
                  crypto={"key_store": "kafka", "kms": "vault", "vault_url": args["vault"], "vault_token": args["token"]})
codec = Codec.from_settings(s)
data = bytes.fromhex(args["data"])
print(json.dumps({"email": codec.decode(data)["signer"]["email"]}), flush=True)
sys.stdin.readline()  # the other host erases the document now
started = time.monotonic()
while time.monotonic() - started < 10:
    try:
        codec.decode(data)
    except RecordErased:
        print(json.dumps({"erased_after_s": round(time.monotonic() - started, 2)}), flush=True)
        break
    time.sleep(0.05)
else:
    print(json.dumps({"erased_after_s": None}), flush=True)
"""


@pytest.mark.stack
def test_settings_build_the_shared_key_service_and_another_process_follows_it(settings, vault, tmp_path) -> None:
    """Two processes with their own data dirs (two hosts) sharing only Kafka and Vault."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    shared = settings.model_copy(update={"data_dir": tmp_path / "host-a", "crypto": settings.crypto.model_copy(
        update={"key_store": "kafka", "kms": "vault", "vault_url": vault.url, "vault_token": vault.token})})
    codec = Codec.from_settings(shared)  # this host's one codec and key store
    keys = codec.keys
    try:
        doc = _doc()
        data = codec.encode("esign.events", signed(doc))
        args = {"data_dir": str(tmp_path / "host-b"), "prefix": settings.topics.prefix, "vault": vault.url,
                "token": vault.token, "data": data.hex()}
        other = subprocess.Popen([sys.executable, "-c", _OTHER_HOST, json.dumps(args)], text=True,
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 cwd=Path(__file__).resolve().parents[2], env=os.environ)
        try:
            assert json.loads(other.stdout.readline() or "{}") == {"email": "rahul@example.org"}, other.stderr.read()
            assert keys.destroy(doc)
            other.stdin.write("\n")
            other.stdin.flush()
            after = json.loads(other.stdout.readline())["erased_after_s"]
            assert after is not None and after < 5
        finally:
            other.kill()
            other.wait(10)
        assert not (tmp_path / "host-a" / "keys").exists()  # nothing on the host's disk
    finally:
        keys.close()
        _delete(settings, shared.topics.name("keys.documents"))
