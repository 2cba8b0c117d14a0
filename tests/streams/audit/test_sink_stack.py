"""`inkstream run audit` on the real broker: killed with -9 mid-run and restarted, fed
the same records twice, it keeps one chained row per event and `audit verify` passes;
while it runs, other processes read chDB through it."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import audit_samples as s
import httpx
import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient

from streams.runtime.scrape_targets import targets
from ops.stack.topics import ensure_topics
from schemas.codec import Codec
from streams.audit.query import running_endpoint
from streams.audit.verify import verify

pytestmark = [pytest.mark.stack, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[3]
DOCS = 40


def _records() -> list[tuple[str, dict]]:
    out = []
    for i in range(DOCS):
        d = f"doc-{i:04d}"
        out += [("documents.ingested", s.ingested(d)), ("ocr.results", s.ocr(d)), ("fields.validated", s.validated(d)),
                ("crm.commands", s.command(d)), ("documents.status", s.status(d, "crm"))]
    return out


def _produce(settings, items: list[tuple[str, dict | bytes]]) -> None:
    codec = Codec.from_settings(settings)
    producer = Producer({"bootstrap.servers": settings.kafka.bootstrap, "enable.idempotence": True})
    for topic, value in items:
        raw = value if isinstance(value, bytes) else codec.encode(topic, value)
        key = value["doc_id"].encode() if isinstance(value, dict) else b"poison-key"
        producer.produce(settings.topics.name(topic), raw, key)
    assert producer.flush(30) == 0


def _start(env) -> subprocess.Popen:
    exe = Path(sys.executable).with_name("inkstream")
    return subprocess.Popen([str(exe), "run", "audit"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _wait(predicate, what: str, sink: subprocess.Popen, timeout: float = 120.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert sink.poll() is None, f"sink exited: {sink.stderr.read().decode()[-2000:]}"
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _rows(settings) -> int:
    reader = running_endpoint(settings)
    if reader is None:
        return 0
    return reader.query("SELECT count() FROM audit_events")[1][0][0]


def _sink_targets(settings) -> list[str]:
    return [t for group in targets(settings) if group["labels"]["job"] == "audit-sink" for t in group["targets"]]


@pytest.fixture
def stack_settings(settings, tmp_path):
    s_ = settings.model_copy(update={"data_dir": tmp_path})
    ensure_topics(s_)
    yield s_
    admin = AdminClient({"bootstrap.servers": s_.kafka.bootstrap})
    names = [t for t in admin.list_topics(timeout=10).topics if t.startswith(s_.topics.prefix)]
    for future in admin.delete_topics(names).values() if names else []:
        try:
            future.result(30)
        except Exception:  # noqa: BLE001 - cleanup only
            pass


def test_sink_survives_kill_9_and_redelivery_with_an_intact_chain(stack_settings):
    settings = stack_settings
    env = {**os.environ, "INKSTREAM_DATA_DIR": str(settings.data_dir), "INKSTREAM_TOPICS__PREFIX": settings.topics.prefix,
           "INKSTREAM_AUDIT__QUERY_PORT": "0", "INKSTREAM_AUDIT__BATCH_MAX_RECORDS": "25",
           "INKSTREAM_AUDIT__BATCH_MAX_SECONDS": "0.2"}
    records = _records()
    half = len(records) // 2
    _produce(settings, records[:half] + [("ocr.results", b"\x00 not avro")])

    sink = _start(env)
    _wait(lambda: _rows(settings) > 0, "first rows", sink)
    time.sleep(random.uniform(0.05, 0.3))
    sink.send_signal(signal.SIGKILL)
    sink.wait(10)

    # The second half, plus the first half all over again (an upstream producer retry).
    _produce(settings, records[half:] + records[:half])
    sink = _start(env)
    try:
        expected = len(records) + 1  # + the poison record's dead letter (the sink's own DLQ)
        _wait(lambda: _rows(settings) >= expected, f"{expected} rows", sink)
        time.sleep(1.0)  # nothing more may arrive
        reader = running_endpoint(settings)
        assert _rows(settings) == expected
        assert reader.query("SELECT count(DISTINCT event_id) FROM audit_events")[1] == [(expected,)]
        # A dead letter redelivered after the kill may be a second physical row until a merge;
        # ReplacingMergeTree on event_id collapses it, and the views read with FINAL (sink.py).
        assert reader.query("SELECT processor, source_topic FROM dlq_events FINAL")[1] == [("audit", "ocr.results")]
        assert reader.query("SELECT count(DISTINCT event_id) FROM dlq_events")[1] == [(1,)]
        report = verify(reader, None)
        assert report.ok, [str(p) for p in report.problems]
        assert report.chains == DOCS + 1 and report.rows == expected
        metrics = httpx.get(f"{reader.base_url}/metrics").text
        skipped = next(float(line.split()[-1]) for line in metrics.splitlines()
                       if line.startswith("inkstream_audit_duplicates_total "))
        assert skipped >= half
        # Prometheus scrapes the sink's own metrics on the query port.
        scraped = f"127.0.0.1:{reader.base_url.rsplit(':', 1)[1]}"
        assert scraped in _sink_targets(settings)

        # `inkstream audit verify` from another process goes through the running sink;
        # --kafka re-reads every row's record from the broker and finds them equal.
        out = _inkstream(env, "audit", "verify", "--no-files", "--kafka", "--json")
        assert out.returncode == 0, out.stdout + out.stderr
        checked = json.loads(out.stdout)
        assert checked["kafka_checked"] + checked["kafka_unavailable"] == expected and checked["kafka_checked"] > half
    finally:
        sink.send_signal(signal.SIGTERM)
        assert sink.wait(30) == 0
    assert running_endpoint(settings) is None  # the discovery file went with it
    # A graceful stop takes the scrape target back (no "down" alert); the killed sink's stays.
    assert scraped not in _sink_targets(settings) and len(_sink_targets(settings)) == 1


    # Someone with write access rewrites an amount and re-hashes the whole chain: the chain
    # alone cannot tell, the Kafka log can.
    subprocess.run([sys.executable, "-c", _REWRITE, "doc-0003"], env=env, check=True, timeout=120)
    assert _inkstream(env, "audit", "verify", "--no-files").returncode == 0
    out = _inkstream(env, "audit", "verify", "--no-files", "--kafka", "--json")
    assert out.returncode == 1
    [problem] = json.loads(out.stdout)["problems"]
    assert (problem["doc_id"], problem["kind"]) == ("doc-0003", "differs_from_kafka")
    assert problem["detail"].startswith("fields.validated[") and "differs from the Kafka record in fields[" in problem["detail"]


_REWRITE = """
import sys
from inkstream.settings import load_settings
from streams.audit.chain import GENESIS, link
from streams.audit.rows import ts
from streams.audit.store import connect
doc = sys.argv[1]
st = connect(load_settings())
_, rows = st.query("SELECT doc_id, seq, event_id, topic, partition, offset, toUnixTimestamp64Milli(occurred_at),"
                   " producer, payload FROM audit_events WHERE doc_id = {d:String} ORDER BY seq", {"d": doc})
for table in ("audit_events", "audit_chain_heads"):
    st.command(f"ALTER TABLE {table} DELETE WHERE doc_id = '{doc}' SETTINGS mutations_sync = 2")
prev, new = GENESIS, []
for d, seq, e, t, p, o, ms, prod, payload in rows:
    if t == "fields.validated":
        payload = payload.replace('"1000.00"', '"9000.00"')
    row = link(prev, doc_id=d, seq=seq, event_id=e, topic=t, partition=p, offset=o, occurred_at_ms=ms,
               producer=prod, payload=payload)
    prev = row["hash"]
    row["occurred_at"] = ts(row.pop("occurred_at_ms"))
    new.append(row)
cols = list(new[0])
st.insert("audit_events", [[r[c] for c in cols] for r in new], cols)
st.insert("audit_chain_heads", [[doc, new[-1]["seq"], new[-1]["hash"]]], ["doc_id", "seq", "hash"])
"""


def _inkstream(env, *args) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("inkstream")
    return subprocess.run([str(exe), *args], env=env, capture_output=True, text=True, timeout=180)
