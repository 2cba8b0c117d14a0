"""Failure drill: documents through the real pipeline (real processes, Kafka, S3, chDB)
while processors are killed -9 at random moments and the broker restarts once; at the end
every document must have exactly one outcome, no record duplicated on any topic, none
lost, and ``audit verify`` must pass.

    .venv/bin/python bench/drill.py --docs 500 --kill-every 15

Needs the local stack (`inkstream up`). Uses its own topic prefix and data directory, so it
never touches the demo's data. Restarting the broker disturbs anything else using it:
``--no-broker-restart`` skips that step. Exits 1 when anything was lost or duplicated.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from inkstream.actors import approve_with_labels, sign_envelope  # noqa: E402
from inkstream.settings import load_settings  # noqa: E402
from inkstream.supervise import Supervisor  # noqa: E402
from inkstream.tracker import Tracker  # noqa: E402

SAMPLES = ROOT / "samples"
# Digital samples: their text layer spares OCR time, so the drill exercises the pipeline.
DOCS = ("contract-digital.pdf", "invoice-digital.pdf")
KILLABLE = ("ocr", "extract", "map", "crm", "esign.dispatch", "esign.complete", "audit", "webhooks")
BASE_PORT = 9600
EXACTLY_ONCE = ("ocr", "extract", "map")  # transactional processors


def main() -> int:
    args = _args()
    rng = random.Random(args.seed)
    data_dir = Path(tempfile.mkdtemp(prefix="inkstream-drill-"))
    prefix = f"drill{uuid.uuid4().hex[:8]}."
    webhooks_port, query_port = BASE_PORT + 90, BASE_PORT + 91
    # As the demo: development secrets, CRM dry run, simulated e-sign; the stack's S3 pair.
    from inkstream.demo import DEMO_MODES
    from inkstream.fail_closed import stack_s3_env

    os.environ.update({**DEMO_MODES, **stack_s3_env(load_settings())})
    env = {"INKSTREAM_DATA_DIR": str(data_dir), "INKSTREAM_TOPICS__PREFIX": prefix,
           "INKSTREAM_ESIGN__WEBHOOKS_PORT": str(webhooks_port), "INKSTREAM_AUDIT__QUERY_PORT": str(query_port)}
    settings = load_settings(data_dir=str(data_dir), topics={"prefix": prefix},
                             esign={"webhooks_port": webhooks_port}, audit={"query_port": query_port})
    from ops.stack.topics import ensure_topics
    from schemas.codec import Codec
    from streams.review.follower import KafkaPublisher

    ensure_topics(settings)
    codec = Codec.from_settings(settings)
    labels = json.loads((SAMPLES / "labels.json").read_text())
    sup = Supervisor(data_dir / "logs", env=env)
    for i, name in enumerate(KILLABLE[:-1]):  # 10 ports each: a processor may run one worker per core
        sup.add(name, ["run", name, "--metrics-port", str(BASE_PORT + 10 * i)], port=BASE_PORT + 10 * i)
    sup.add("webhooks", ["run", "webhooks", "--port", str(webhooks_port)], port=webhooks_port)
    kills: Counter[str] = Counter()
    broker_restarts = 0
    started = time.monotonic()
    with sup:
        sup.start_all()
        sup.wait_healthy(timeout=240)
        tracker = Tracker(settings, codec, since_ms=0)
        names = _ingest(settings, args.docs)
        print(f"ingested {len(names)} documents in {time.monotonic() - started:.0f}s; drilling…", flush=True)
        publisher = KafkaPublisher(settings, codec)
        reviewed, signed = set(), set()
        next_kill = time.monotonic() + args.kill_every * rng.uniform(0.3, 1.0)
        deadline = time.monotonic() + args.timeout
        while time.monotonic() < deadline:
            tracker.poll(1.0)
            finished = 0
            for doc_id, name in names.items():
                view = tracker.view(doc_id)
                if view.decision == "review" and doc_id not in reviewed:
                    approve_with_labels(publisher, view.latest_fields, labels[name]["fields"], reviewer="drill")
                    reviewed.add(doc_id)
                if view.envelopes and doc_id not in signed and sup.healthy("webhooks"):
                    if not sign_envelope(settings, doc_id, next(iter(view.envelopes)), port=webhooks_port):
                        signed.add(doc_id)  # refused (gateway or broker down): sent again later
                finished += _finished(view)
            if finished == len(names):
                break
            if time.monotonic() >= next_kill:
                victim = rng.choice(KILLABLE)
                sup.restart(victim)
                kills[victim] += 1
                next_kill = time.monotonic() + args.kill_every * rng.uniform(0.5, 1.5)
            if args.broker_restart and not broker_restarts and finished >= len(names) * 0.4:
                _restart_broker(settings)
                broker_restarts += 1
        elapsed = time.monotonic() - started
        audit = _audit(settings, names)
    lost = [d for d in names if not _finished(tracker.view(d))]
    found = tracker.duplicates()
    # Kafka->Kafka hops are exactly-once: any duplicate there is a bug. Sinks with side
    # effects (e-sign completion, the gateway) are at-least-once by design: a redelivered
    # command keeps its idempotency key and the CRM applies it once.
    duplicates = {k: n for k, n in found.items() if k.split(" from ")[1] in EXACTLY_ONCE}
    redelivered = {k: n for k, n in found.items() if k not in duplicates}
    outcomes = Counter(tracker.view(d).decision for d in names)
    tracker.close()
    print(f"documents: {len(names)} in {elapsed:.0f}s, outcomes {dict(outcomes)}")
    print(f"kills (-9): {sum(kills.values())} {dict(kills)}; broker restarts: {broker_restarts}")
    print(f"duplicates found: {sum(duplicates.values())} {duplicates} (exactly-once hops)")
    print(f"redelivered by at-least-once sinks, same idempotency key: {sum(redelivered.values())} {redelivered}")
    print(f"lost found: {len(lost)}{' e.g. ' + ', '.join(lost[:5]) if lost else ''}")
    print(f"audit verify: {'intact' if audit.ok else 'FAILED'} ({audit.chains} chains, {audit.rows} rows, "
          f"{audit.files} files)")
    for problem in audit.problems[:10]:
        print(f"  {problem}")
    print(f"logs and data: {data_dir}")
    return 0 if audit.ok and not lost and not duplicates else 1


def _args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=500)
    parser.add_argument("--kill-every", type=float, default=15.0, help="mean seconds between kill -9s")
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-broker-restart", dest="broker_restart", action="store_false")
    return parser.parse_args()


def _ingest(settings, count: int) -> dict[str, str]:
    """Ingest ``count`` documents: the digital samples, each copy made unique by a PDF
    comment after %%EOF (so none is a duplicate of another)."""
    from connectors.capture.document import CapturedDocument
    from connectors.capture.listeners import Capture

    capture = Capture(settings, client_id="drill")
    names = {}
    try:
        for i in range(count):
            name = DOCS[i % len(DOCS)]
            data = (SAMPLES / name).read_bytes() + f"\n% drill {uuid.uuid4()}\n".encode()
            names[capture.ingest_one(CapturedDocument(source="cli", filename=name, data=data)).doc_id] = name
    finally:
        capture.close()
    return names


def _finished(view) -> bool:
    if view.decision == "rejected" or view.dead:
        return True
    ops = view.operations()
    if view.decision not in ("accepted", "approved") or not ops:
        return False
    return "request_signature" not in ops or "update_signature_status" in ops


def _restart_broker(settings) -> None:
    """Stop the local broker gracefully and start it again (same data)."""
    from ops.stack import kafka, process
    from ops.stack.layout import Layout

    stack_settings = load_settings()  # the stack's own data dir holds the broker's pid and logs
    layout = Layout.of(stack_settings)
    print("restarting the broker…", flush=True)
    process.stop(kafka.managed(layout), timeout=60)
    kafka.start(layout, stack_settings)
    process.wait_until(lambda: kafka.healthy(stack_settings), 120)


def _audit(settings, names):
    from connectors.objectstore import open_store
    from streams.audit.query import open_reader
    from streams.audit.verify import verify

    reader = open_reader(settings)
    last, stable = -1, time.monotonic()
    while time.monotonic() - stable < 5:  # until the sink stops adding rows
        count = reader.query("SELECT count() FROM audit_events")[1][0][0]
        if count != last:
            last, stable = count, time.monotonic()
        time.sleep(1)
    return verify(reader, open_store(settings, ensure_bucket=False))


if __name__ == "__main__":
    sys.exit(main())
