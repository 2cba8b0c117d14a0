"""A data-subject request through the whole pipeline, as real processes on the real stack.

A digital contract whose signer is Rahul Mehta (rahul.mehta@umbrella-logistics.fr) is
captured, read, extracted, mapped, sent for signature and signed (simulated provider
webhooks); ``inkstream subject export`` returns his document, fields, events and files;
``inkstream subject erase`` then makes them unreadable everywhere:

- S3: no version of the original or the signed PDF is left;
- ClickHouse: no String column of any table holds his e-mail address or name (the
  audit payloads included);
- Kafka: the latest record of every topic for the document no longer opens
  (``RecordErased``), and no record of any topic of the run holds the plaintext;
- ``inkstream audit verify`` passes, and the erasure is a link of the document's chain.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from inkstream.settings import load_settings
from app.supervise import Supervisor
from test_pipeline import wait_for
from topic_admin import delete_prefixed, new_prefix, watermarks  # tests/topic_admin.py

pytestmark = [pytest.mark.stack, pytest.mark.slow]
SAMPLES = Path(__file__).resolve().parents[2] / "samples"
SAMPLE = "contract-digital.pdf"
EMAIL = "rahul.mehta@umbrella-logistics.fr"
NAME = "Rahul Mehta"
PORTS = {"webhooks": 9880, "audit_query": 9881}  # this module's range: 9800-9899
ERASED: dict[str, str] = {}  # set by the erasure test for the topic test that follows it
PROCESSORS = ("ocr", "extract", "map", "crm", "esign.dispatch", "esign.complete", "audit")


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("e2e-erasure")
    prefix = new_prefix("e2ex")  # its topics and groups are deleted when the module ends
    env = {"INKSTREAM_DATA_DIR": str(data_dir), "INKSTREAM_TOPICS__PREFIX": prefix,
           "INKSTREAM_CRM__DRY_RUN": "true",  # explicit, as in the demo (no CRM credentials here)
           "INKSTREAM_ESIGN__WEBHOOKS_PORT": str(PORTS["webhooks"]),
           "INKSTREAM_AUDIT__QUERY_PORT": str(PORTS["audit_query"])}
    settings = load_settings(data_dir=str(data_dir), topics={"prefix": prefix},
                             esign={"webhooks_port": PORTS["webhooks"]}, audit={"query_port": PORTS["audit_query"]})
    from ops.stack.topics import ensure_topics

    sup = Supervisor(data_dir / "logs", env=env)
    for i, name in enumerate(PROCESSORS):  # 10 ports each: a processor may run one worker per core
        sup.add(name, ["run", name, "--metrics-port", str(9800 + 10 * i)], port=9800 + 10 * i)
    sup.add("webhooks", ["run", "webhooks", "--port", str(PORTS["webhooks"])], port=PORTS["webhooks"])
    try:
        ensure_topics(settings)
        sup.start_all()
        sup.wait_healthy(timeout=240)
        yield settings, {**os.environ, **env}
    finally:
        sup.stop_all()
        delete_prefixed(settings, prefix)


def _cli(env: dict, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "inkstream", *args], env=env, capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture(scope="module")
def signed_contract(stack):
    """The contract, through to its signed PDF and the audit trail of all of it."""
    from connectors.capture.document import CapturedDocument
    from connectors.capture.listeners import Capture
    from app.commands.esign import run_simulation
    from connectors.esign.simulate import SEQUENCES, SimSigner
    from app.tracker import Tracker
    from schemas.codec import Codec
    from streams.audit.query import open_reader

    settings, _ = stack
    capture = Capture(settings, client_id="e2e-erasure")
    try:
        data = (SAMPLES / SAMPLE).read_bytes() + f"\n% e2e erasure {uuid.uuid4()}\n".encode()
        doc_id = capture.ingest_one(CapturedDocument(source="http", filename=SAMPLE, data=data)).doc_id
    finally:
        capture.close()
    tracker = Tracker(settings, Codec.from_settings(settings), since_ms=0)
    try:
        view = tracker.view(doc_id)
        wait_for(tracker, lambda: view.envelopes, "an envelope for the accepted contract")
        fields = {f["name"]: f["normalized"] for f in view.latest_fields["fields"]}
        assert fields.get("signer_email") == EMAIL  # the subject is in the extracted fields
        rows = run_simulation(settings, provider="standard", doc_id=doc_id,
                              url=f"http://127.0.0.1:{PORTS['webhooks']}", envelope_id=next(iter(view.envelopes)),
                              events=list(SEQUENCES["standard"]), key=None, signer=SimSigner(NAME, EMAIL,
                                                                                             auth_method="email"))
        assert [status for _, status, _ in rows] == [200] * len(rows)
        wait_for(tracker, lambda: view.signed and "update_signature_status" in view.operations(),
                 "the signed PDF and the signature-status command", timeout=180)
        refs = {"original": view.ingested["original"], "signed": view.signed}
    finally:
        tracker.close()
    reader = open_reader(settings)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # the sink flushes at most every second
        _, got = reader.query("SELECT countIf(topic = 'esign.events'), countIf(topic = 'crm.commands') "
                              "FROM audit_events WHERE doc_id = {d:String}", {"d": doc_id})
        if got[0][0] >= len(rows) and got[0][1] >= 4:
            break
        time.sleep(1)
    time.sleep(3)  # let the last status records of the run reach the sink too
    return doc_id, refs


def test_export_then_erase_leaves_nothing_readable_and_the_trail_verifies(stack, signed_contract, tmp_path):
    from connectors.objectstore import ObjectRef
    from connectors.objectstore.s3 import S3ObjectStore
    from streams.audit.query import open_reader

    settings, env = stack
    doc_id, refs = signed_contract

    # -- export ------------------------------------------------------------------------
    out = tmp_path / "export"
    done = _cli(env, "subject", "export", f"  {EMAIL.upper()} ", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert EMAIL not in (done.stdout + done.stderr).lower()
    manifest = json.loads((out / "manifest.json").read_text())
    [doc] = [d for d in manifest["documents"] if d["doc_id"] == doc_id]
    assert {f["name"]: f["normalized"] for f in doc["fields"]}["signer_email"] == EMAIL
    topics = {e["topic"] for e in doc["events"]}
    assert {"documents.ingested", "ocr.results", "fields.validated", "crm.commands", "esign.events"} <= topics
    files = {f["role"]: f for f in doc["files"] if f["path"]}
    for role in ("original", "signed"):
        assert hashlib.sha256((out / files[role]["path"]).read_bytes()).hexdigest() == refs[role]["sha256"]

    # -- erase -------------------------------------------------------------------------
    done = _cli(env, "subject", "erase", EMAIL, "--yes", "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    assert EMAIL not in (done.stdout + done.stderr).lower() and NAME not in done.stdout
    report = json.loads(done.stdout)
    assert report["complete"] and report["documents"] >= 1 and report["keys_destroyed"] >= 1
    assert report["object_versions_deleted"] >= 2 and report["audit_payloads_blanked"] >= 10

    # S3: no version of either file is left.
    s3 = S3ObjectStore.from_settings(settings, ensure_bucket=False)
    for role in ("original", "signed"):
        ref = ObjectRef.from_record(refs[role])
        assert s3.versions(ref.key) == [], role
        assert s3.exists(ref.key) is None

    # ClickHouse: no String column of any table holds the e-mail or the name.
    reader = open_reader(settings)
    assert _clickhouse_traces(reader, [EMAIL, NAME, "umbrella-logistics"]) == []

    # The trail still verifies, and the erasure is a link of the document's chain.
    done = _cli(env, "audit", "verify", "--json")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    verified = json.loads(done.stdout)
    assert verified["ok"] and verified["erased_rows"] >= report["audit_payloads_blanked"]
    _, chain = reader.query("SELECT topic, payload FROM audit_events WHERE doc_id = {d:String} ORDER BY seq",
                            {"d": doc_id})
    erasures = [json.loads(p) for t, p in chain if t == "privacy.erasures"]
    assert erasures and erasures[0]["request_id"] == report["request_id"] and erasures[0]["key_destroyed"]
    _, actions = reader.query("SELECT action, target FROM admin_actions FINAL WHERE action LIKE 'subject.%'")
    assert {a for a, _ in actions} == {"subject.export", "subject.erase"}
    assert all(EMAIL not in t for _, t in actions)

    # Idempotent: a second request finds nothing left and changes nothing.
    again = _cli(env, "subject", "erase", EMAIL, "--yes", "--json")
    assert again.returncode == 0 and json.loads(again.stdout)["documents"] == 0
    ERASED["request_id"] = report["request_id"]


def test_after_the_erasure_no_record_of_the_document_opens_on_any_topic(stack, signed_contract):
    """Kafka: the latest record of each topic for the document does not open any more,
    and no record of any topic of the run holds the e-mail or the name in clear."""
    try:
        import schemas.sealing  # noqa: F401 - record sealing with the document's key
    except ImportError:
        pytest.skip("record sealing (schemas/sealing.py) is not installed: Kafka records are not erasable yet")
    if not ERASED:
        pytest.fail("the erasure (previous test) did not complete")
    settings, _ = stack
    doc_id, _ = signed_contract
    latest, plaintext = _topic_records(settings, doc_id, [EMAIL, NAME])
    assert plaintext == [], plaintext
    for topic in ("documents.ingested", "ocr.results", "fields.validated", "crm.commands", "esign.events",
                  "documents.status"):
        assert latest[topic] == "erased", (topic, latest)
    assert latest["privacy.erasures"] == "readable"  # the control record names no one


def _clickhouse_traces(reader, values: list[str]) -> list[str]:
    _, tables = reader.query("SELECT name FROM system.tables WHERE database = currentDatabase() "
                             "AND engine LIKE '%MergeTree'")
    assert len(tables) >= 12
    found = []
    for (table,) in tables:
        _, cols = reader.query("SELECT name, type FROM system.columns WHERE database = currentDatabase() "
                               "AND table = {t:String} AND type LIKE '%String%'", {"t": table})
        for col, typ in cols:
            text = f"arrayStringConcat(`{col}`, ' ')" if typ.startswith("Array") else f"ifNull(`{col}`, '')"
            for value in values:
                _, hit = reader.query(f"SELECT count() FROM `{table}` WHERE positionCaseInsensitive({text}, "
                                      "{v:String}) > 0", {"v": value})
                if hit[0][0]:
                    found.append(f"{table}.{col}: {value}")
    return found


def _topic_records(settings, doc_id: str, values: list[str]) -> tuple[dict[str, str], list[str]]:
    """Every record of every topic of the run, read raw: the outcome of decoding the latest
    record of each topic that belongs to ``doc_id`` (erased / readable), and any record
    whose raw bytes hold one of ``values`` in clear."""
    from confluent_kafka import Consumer, TopicPartition

    from inkstream.errors import RecordErased
    from inkstream.kafka_config import client_config
    from inkstream.topic_plan import planned_topics
    from schemas.codec import Codec

    # A key store without a cache: this process decoded the document's records (tracker)
    # moments ago, and a cached key lives crypto.key_cache_seconds (the documented bound).
    fresh = settings.model_copy(update={"crypto": settings.crypto.model_copy(update={"key_cache_seconds": 0.0})})
    codec = Codec.from_settings(fresh)
    consumer = Consumer(client_config(settings, **{"group.id": f"e2e-erasure-{uuid.uuid4().hex}",
                                                   "enable.auto.commit": False, "auto.offset.reset": "earliest"}))
    latest: dict[str, str] = {}
    plaintext: list[str] = []
    try:
        for logical in sorted(planned_topics(settings)):
            topic = settings.topics.name(logical)
            meta = consumer.list_topics(topic, timeout=10).topics[topic]
            for partition in meta.partitions:
                low, high = watermarks(consumer, TopicPartition(topic, partition))
                if high <= low:
                    continue
                consumer.assign([TopicPartition(topic, partition, low)])
                offset, idle = low - 1, 0
                # Transaction markers take offsets too (the last one may never be delivered).
                while offset < high - 1 and idle < 3:
                    msg = consumer.poll(2)
                    if msg is None:
                        idle += 1
                        continue
                    if msg.error():
                        continue
                    offset, idle = msg.offset(), 0
                    raw = msg.value() or b""
                    plaintext += [f"{logical}@{offset}: {v}" for v in values if v.lower().encode() in raw.lower()]
                    try:
                        record = codec.decode(raw, msg.topic())
                    except RecordErased as exc:
                        if exc.doc_id == doc_id:
                            latest[logical] = "erased"
                        continue
                    if record.get("doc_id") == doc_id or (msg.key() or b"") == doc_id.encode():
                        latest[logical] = "readable"
    finally:
        consumer.close()
    return latest, plaintext
