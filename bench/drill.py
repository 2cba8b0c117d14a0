"""Failure drill: documents through the real pipeline (real processes, Kafka, S3, chDB)
while processors are killed -9 at random moments and the broker restarts once; at the end
every document must have exactly one outcome, no record duplicated on any topic, none
lost, and ``audit verify`` must pass.

    .venv/bin/python bench/drill.py --docs 500 --kill-every 15

Needs the local stack (`inkstream up`). Uses its own topic prefix and data directory, so it
never touches the demo's data. Restarting the broker disturbs anything else using it:
``--no-broker-restart`` skips that step. Exits 1 when anything was lost or duplicated.

``--hosts 2`` runs two "hosts" on this machine (issue 13): two data dirs, two process
trees (a Supervisor each, instance ids host-a and host-b, their own ports), sharing only
Kafka, S3 and the key service (wrapped document keys and erasures in the compacted key
topic, ``crypto.key_store: kafka``; the KEK behind a Vault transit API, the fake of
``tests/fakes/vault_transit.py`` served by the drill; admin state ``state.backend: kafka``).
The audit sink (chDB, one process per directory) runs on host A only. Mid-run host B's
whole process tree is killed -9; host A's members take its partitions over (same consumer
groups, other instance ids); B starts again later (``--no-host-restart`` keeps it down).
At the end a subject erasure made with host A's settings must reach host B's key store::

    .venv/bin/python bench/drill.py --hosts 2 --docs 300

No network namespace per host: the broker advertises 127.0.0.1, which a namespace with
its own address cannot reach without rewiring the stack's listeners.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import signal
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.actors import approve_with_labels, sign_envelope  # noqa: E402
from inkstream.settings import load_settings  # noqa: E402
from app.supervise import Supervisor  # noqa: E402
from app.tracker import Tracker  # noqa: E402

SAMPLES = ROOT / "samples"
# Digital samples: their text layer spares OCR time, so the drill exercises the pipeline.
DOCS = ("contract-digital.pdf", "invoice-digital.pdf")
KILLABLE = ("ocr", "extract", "map", "crm", "esign.dispatch", "esign.complete", "audit", "webhooks")
BASE_PORT = 9600
EXACTLY_ONCE = ("ocr", "extract", "map")  # transactional processors


@dataclass
class Host:
    """One "host" of the drill: its data dir, settings and process tree."""
    name: str
    data_dir: Path
    env: dict[str, str]
    settings: object
    sup: Supervisor
    webhooks_port: int
    killable: tuple[str, ...]
    down_since: float | None = None


def _host(name: str, index: int, data_dir: Path, prefix: str, shared_env: dict[str, str], *, audit: bool) -> Host:
    """A host's settings and Supervisor: ports ``BASE_PORT + 100 * index`` onwards."""
    base = BASE_PORT + 100 * index
    webhooks_port, query_port = base + 90, base + 91
    env = {"INKSTREAM_DATA_DIR": str(data_dir), "INKSTREAM_TOPICS__PREFIX": prefix,
           "INKSTREAM_ESIGN__WEBHOOKS_PORT": str(webhooks_port), "INKSTREAM_AUDIT__QUERY_PORT": str(query_port),
           **shared_env}
    if shared_env:
        env["INKSTREAM_INSTANCE__ID"] = name
    saved = {var: os.environ.get(var) for var in env}
    os.environ.update(env)  # load_settings reads the env: the host's settings, as its processes see them
    try:
        settings = load_settings(data_dir=str(data_dir), topics={"prefix": prefix},
                                 esign={"webhooks_port": webhooks_port}, audit={"query_port": query_port})
    finally:
        for var, value in saved.items():
            if value is None:
                os.environ.pop(var, None)
            else:
                os.environ[var] = value
    killable = KILLABLE if audit else tuple(k for k in KILLABLE if k != "audit")
    sup = Supervisor(data_dir / "logs", env=env)
    for i, proc in enumerate(KILLABLE[:-1]):  # 10 ports each: a processor may run one worker per core
        if proc in killable:
            sup.add(proc, ["run", proc, "--metrics-port", str(base + 10 * i)], port=base + 10 * i)
    sup.add("webhooks", ["run", "webhooks", "--port", str(webhooks_port)], port=webhooks_port)
    return Host(name, data_dir, env, settings, sup, webhooks_port, killable)


def main() -> int:
    args = _args()
    if args.observe_erasure:
        return _observe_erasure(args.observe_erasure)
    rng = random.Random(args.seed)
    data_dir = Path(tempfile.mkdtemp(prefix="inkstream-drill-"))
    prefix = f"drill{uuid.uuid4().hex[:8]}."
    # As the demo: development secrets, CRM dry run, simulated e-sign; the stack's S3 pair.
    from app.demo import DEMO_MODES
    from inkstream.fail_closed import stack_s3_env

    stack_settings = load_settings()  # the stack's own data dir (the broker's pid and logs), before any host's env
    os.environ.update({**DEMO_MODES, **stack_s3_env(stack_settings)})
    with contextlib.ExitStack() as stack:
        if args.hosts == 1:
            hosts = [_host("host", 0, data_dir, prefix, {}, audit=True)]
        else:
            vault = stack.enter_context(_key_service())
            shared = {"INKSTREAM_CRYPTO__KEY_STORE": "kafka", "INKSTREAM_CRYPTO__KMS": "vault",
                      "INKSTREAM_CRYPTO__VAULT_URL": vault.url, "INKSTREAM_CRYPTO__VAULT_TOKEN": vault.token,
                      "INKSTREAM_STATE__BACKEND": "kafka"}
            hosts = [_host(f"host-{chr(97 + i)}", i, data_dir / f"host-{chr(97 + i)}", prefix, shared, audit=i == 0)
                     for i in range(args.hosts)]
            os.environ.update(hosts[0].env)  # this process is a client on host A (capture, review, e-sign)
        return _drill(args, rng, hosts, data_dir, stack, stack_settings)


def _drill(args, rng: random.Random, hosts: list[Host], data_dir: Path, stack: contextlib.ExitStack,
           stack_settings) -> int:
    from ops.stack.topics import ensure_topics
    from schemas.codec import Codec
    from streams.review.follower import KafkaPublisher

    home = hosts[0]  # runs the audit sink; this process ingests, reviews and signs as a client of it
    settings = home.settings
    ensure_topics(settings)
    codec = Codec.from_settings(settings)
    labels = json.loads((SAMPLES / "labels.json").read_text())
    kills: Counter[str] = Counter()
    broker_restarts = host_kills = host_restarts = 0
    victim_host = hosts[-1] if len(hosts) > 1 else None
    groups: dict | None = {}  # the killed host's consumer groups, until the others hold them all
    takeover, next_look, held = "not seen", 0.0, {}
    started = time.monotonic()
    for host in hosts:
        stack.enter_context(host.sup)
        host.sup.start_all()
    for host in hosts:
        host.sup.wait_healthy(timeout=240)
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
        gateways = [h for h in hosts if h.down_since is None and h.sup.healthy("webhooks")]
        for doc_id, name in names.items():
            view = tracker.view(doc_id)
            if view.decision == "review" and doc_id not in reviewed:
                approve_with_labels(publisher, view.latest_fields, labels[name]["fields"], reviewer="drill")
                reviewed.add(doc_id)
            if view.envelopes and doc_id not in signed and gateways:
                port = rng.choice(gateways).webhooks_port if len(hosts) > 1 else home.webhooks_port
                if not sign_envelope(settings, doc_id, next(iter(view.envelopes)), port=port):
                    signed.add(doc_id)  # refused (gateway or broker down): sent again later
            finished += _finished(view)
        if finished == len(names):
            break
        if time.monotonic() >= next_kill:
            up = [h for h in hosts if h.down_since is None]
            host = rng.choice(up) if len(hosts) > 1 else home
            victim = rng.choice(host.killable)
            host.sup.restart(victim)
            kills[f"{host.name}:{victim}" if len(hosts) > 1 else victim] += 1
            next_kill = time.monotonic() + args.kill_every * rng.uniform(0.5, 1.5)
        if victim_host is not None and not host_kills and finished >= len(names) * 0.2:
            groups = _groups_of(settings, victim_host.name)
            _kill_host(victim_host)
            host_kills += 1
        if groups and victim_host.down_since is not None and time.monotonic() >= next_look:
            next_look = time.monotonic() + 2
            owners = _groups_of(settings, None) or {}
            # Each group counts once seen held by the others alone (the random kills keep
            # restarting some member of some group: all at one instant is rare).
            for g in [g for g in groups if owners.get(g) and victim_host.name not in owners[g]]:
                held[g] = owners.pop(g)
                del groups[g]
            if not groups:
                takeover = (f"{'+'.join(sorted({o for g in held for o in held[g]}))} held every partition of "
                            f"{victim_host.name}'s {len(held)} consumer groups "
                            f"{time.monotonic() - victim_host.down_since:.0f}s after the kill")
                print(takeover, flush=True)
        down_for = time.monotonic() - victim_host.down_since if victim_host and victim_host.down_since else 0.0
        # Back only once the others hold its partitions (or it stayed down 2 min longer than asked).
        if args.host_restart and down_for >= args.host_down and (not groups or down_for >= args.host_down + 120):
            print(f"starting {victim_host.name} again…", flush=True)
            victim_host.sup.start_all()
            victim_host.down_since = None
            host_restarts += 1
        if args.broker_restart and not broker_restarts and finished >= len(names) * 0.4:
            _restart_broker(stack_settings)
            broker_restarts += 1
    elapsed = time.monotonic() - started
    audit = _audit(settings, names)
    erasure = None
    if len(hosts) > 1:  # one document with a signer, whose fields were validated
        done = {d: n for d, n in names.items() if tracker.view(d).decision in ("accepted", "approved")}
        erasure = _erasure_across_hosts(home, hosts[1], done, labels)
    lost = [d for d in names if not _finished(tracker.view(d))]
    found = tracker.duplicates()
    # Kafka->Kafka hops are exactly-once: any duplicate there is a bug. Sinks with side
    # effects (e-sign completion, the gateway) are at-least-once by design: a redelivered
    # command keeps its idempotency key and the CRM applies it once.
    duplicates = {k: n for k, n in found.items() if k.split(" from ")[1] in EXACTLY_ONCE}
    redelivered = {k: n for k, n in found.items() if k not in duplicates}
    outcomes = Counter(tracker.view(d).decision for d in names)
    tracker.close()
    if len(hosts) > 1:
        print(f"hosts: {', '.join(h.name for h in hosts)} (instance ids), sharing Kafka, S3 and the key service; "
              f"audit sink on {home.name}")
        print(f"host kills (-9, whole process tree): {host_kills} ({victim_host.name}); restarted: {host_restarts}; "
              f"takeover: {takeover}")
    print(f"documents: {len(names)} in {elapsed:.0f}s, outcomes {dict(outcomes)}")
    print(f"kills (-9): {sum(kills.values())} {dict(kills)}; broker restarts: {broker_restarts}")
    print(f"duplicates found: {sum(duplicates.values())} {duplicates} (exactly-once hops)")
    print(f"redelivered by at-least-once sinks, same idempotency key: {sum(redelivered.values())} {redelivered}")
    print(f"lost found: {len(lost)}{' e.g. ' + ', '.join(lost[:5]) if lost else ''}")
    print(f"audit verify: {'intact' if audit.ok else 'FAILED'} ({audit.chains} chains, {audit.rows} rows, "
          f"{audit.files} files)")
    for problem in audit.problems[:10]:
        print(f"  {problem}")
    if erasure is not None:
        print(f"erasure reached every host: {'yes' if erasure[0] else 'no'} ({erasure[1]})")
    print(f"logs and data: {data_dir}")
    return 0 if audit.ok and not lost and not duplicates and (erasure is None or erasure[0]) else 1


def _key_service():
    """The key service both hosts reach over HTTP: a Vault transit API (the fake built from
    Vault's published API, ``tests/fakes/vault_transit.py``; no Vault installs here)."""
    sys.path.insert(0, str(ROOT / "tests"))
    from fakes.vault_transit import FakeVault

    return FakeVault(token=f"s.drill-{uuid.uuid4().hex}")


def _kill_host(host: Host) -> None:
    """SIGKILL every process of the host at once (each child leads its own process group:
    its workers die with it), then reap them."""
    print(f"killing {host.name}'s whole process tree (-9)…", flush=True)
    alive = [c for c in host.sup.children.values() if c.alive]
    for child in alive:
        os.killpg(child.proc.pid, signal.SIGKILL)
    for child in alive:
        child.proc.wait(30)
    host.down_since = time.monotonic()


_ADMIN: list = []


def _groups_of(settings, host: str | None) -> dict[str, set[str]] | None:
    """The pipeline's consumer groups -> the hosts (instance ids) of the members holding
    partitions; with ``host``, only the groups where that host holds some. None when the
    broker does not answer (it may be restarting)."""
    from confluent_kafka.admin import AdminClient

    from inkstream.kafka_config import client_config

    if not _ADMIN:
        _ADMIN.append(AdminClient(client_config(settings)))
    admin = _ADMIN[0]
    mine = f"{settings.topics.prefix}inkstream-"
    try:
        listed = admin.list_consumer_groups(request_timeout=5).result()
        names = [g.group_id for g in listed.valid if g.group_id.startswith(mine)]
        owners: dict[str, set[str]] = {}
        for gid, future in admin.describe_consumer_groups(names, request_timeout=5).items() if names else ():
            # group.instance.id is <prefix>inkstream-<processor>-<instance>-<index> (streams/runtime/loop.py)
            owners[gid] = {_instance_of(m.group_instance_id or m.client_id or "", gid) for m in future.result().members
                           if m.assignment and m.assignment.topic_partitions}
    except Exception:  # noqa: BLE001 - KafkaException while the broker is away
        return None
    if host is None:
        return owners
    return {g: o for g, o in owners.items() if host in o}


def _instance_of(member: str, group: str) -> str:
    """``host-b`` from ``<group>-host-b-0`` (the index after the last dash)."""
    rest = member[len(group) + 1:] if member.startswith(group + "-") else member
    return rest.rsplit("-", 1)[0]


def _erasure_across_hosts(home: Host, other: Host, names: dict[str, str], labels: dict) -> tuple[bool, str]:
    """``inkstream subject erase EMAIL`` run with ``home``'s settings while a process with
    ``other``'s settings (its own data dir) watches its key store; the erasure reached it
    when that store reports the document erased and a record of the document no longer
    decodes there (RecordErased), within seconds of the erasure record's time."""
    import subprocess

    contract = next((d for d, n in names.items() if labels[n]["fields"].get("signer_email")), None)
    if contract is None:
        return False, "no finished document carries a signer e-mail"
    email = labels[names[contract]]["fields"]["signer_email"]
    watcher = subprocess.Popen([sys.executable, __file__, "--observe-erasure", contract], stdout=subprocess.PIPE,
                               text=True, env={**os.environ, **other.env})
    try:
        ready = watcher.stdout.readline().strip()
        if ready != "ready":
            return False, f"{other.name}'s watcher did not start: {ready or watcher.wait(30)}"
        started = time.monotonic()
        refused = []
        for _ in range(3):  # idempotent; exit 1 when it found no reader (the sink's endpoint) this time
            erase = subprocess.run([sys.executable, "-m", "inkstream", "subject", "erase", email, "--yes", "--json",
                                    "--wait", "60"], capture_output=True, text=True, env={**os.environ, **home.env},
                                   timeout=300)
            if erase.returncode in (0, 3):  # 3: not yet applied by the audit sink (still on its topic)
                break
            refused.append(erase.stderr.strip().splitlines()[-1][-200:] if erase.stderr.strip() else "no message")
            time.sleep(5)
        took = time.monotonic() - started
        if erase.returncode not in (0, 3):
            return False, f"subject erase on {home.name} failed ({erase.returncode}) 3 times: {refused[-1]}"
        if refused:
            print(f"subject erase refused {len(refused)} time(s) before it ran: {refused[0]}", flush=True)
        report = json.loads(erase.stdout)
        try:
            seen = watcher.communicate(timeout=10)[0].strip()
        except subprocess.TimeoutExpired:
            watcher.kill()
            return False, f"{other.name} still reads the document 10 s after the erasure ({took:.1f}s)"
        lag = seen.split()[0] if seen.endswith("RecordErased") else None
        detail = (f"subject erase on {home.name}: {report['documents']} document(s), {report['keys_destroyed']} "
                  f"keys destroyed, {report['applied_by_audit_sink']} applied by the audit sink, {took:.1f}s; ")
        if lag is None:
            return False, detail + f"{other.name}: {seen or 'no answer'}"
        return report["keys_destroyed"] > 0 and float(lag) < 10, detail + (
            f"{other.name}'s key store saw it {lag}s after the erasure record was written; the record raises "
            "RecordErased there")
    finally:
        if watcher.poll() is None:
            watcher.kill()


def _observe_erasure(doc_id: str) -> int:
    """Run with another host's env: read one personal-data record of ``doc_id`` with that
    host's key store, say ``ready``, wait until the store reports the document erased,
    then check that the same record no longer decodes."""
    from confluent_kafka import Consumer, TopicPartition

    from inkstream.errors import RecordErased
    from inkstream.kafka_config import client_config
    from schemas.codec import Codec
    from schemas.sealing import document_keys, key_id, sealed_doc_id

    settings = load_settings()
    keys = document_keys(settings)
    codec = Codec.from_settings(settings)
    topic = settings.topics.name("fields.validated")
    consumer = Consumer(client_config(settings, **{"group.id": f"drill-watch-{uuid.uuid4().hex}",
                                                   "enable.auto.commit": False, "auto.offset.reset": "earliest"}))
    parts = consumer.list_topics(topic, timeout=10).topics[topic].partitions
    consumer.assign([TopicPartition(topic, p, 0) for p in parts])
    raw, deadline = None, time.monotonic() + 60
    while raw is None and time.monotonic() < deadline:
        msg = consumer.poll(1.0)
        if msg is None or msg.error() is not None or not msg.value():
            continue
        try:
            if codec.decode(msg.value(), topic).get("doc_id") == doc_id:
                raw = msg.value()
        except Exception as exc:  # noqa: BLE001 - a record this host cannot read is the finding
            if sealed_doc_id(msg.value()) == doc_id or doc_id.encode() in msg.value():
                print(f"{doc_id}'s record does not decode here: {type(exc).__name__}: {exc}", flush=True)
                return 1
    consumer.close()
    if raw is None:
        print(f"no {topic} record of the document", flush=True)
        return 1
    print("ready", flush=True)  # it decodes here: a key made on the other host, unwrapped here
    while not keys.is_destroyed(key_id(doc_id)):
        time.sleep(0.02)
    seen = time.time()
    lag = seen - _erased_at(settings, key_id(doc_id))
    try:
        codec.decode(raw, topic)
    except RecordErased:
        print(f"{lag:.2f} RecordErased", flush=True)
        return 0
    print(f"{lag:.2f} still-decodes", flush=True)
    return 1


def _erased_at(settings, kid: str) -> float:
    """When the erasure record of key id ``kid`` was written to the key topic (its broker
    timestamp, seconds)."""
    from confluent_kafka import Consumer, TopicPartition

    from inkstream.kafka_config import client_config

    topic = settings.topics.name(settings.crypto.key_topic)
    consumer = Consumer(client_config(settings, **{"group.id": f"drill-watch-{uuid.uuid4().hex}",
                                                   "enable.auto.commit": False}))
    consumer.assign([TopicPartition(topic, 0, 0)])
    at, deadline = None, time.monotonic() + 30
    try:
        while at is None and time.monotonic() < deadline:
            msg = consumer.poll(1.0)
            if msg is not None and msg.error() is None and msg.key() == kid.encode() and b'"erased"' in msg.value():
                at = msg.timestamp()[1] / 1000
    finally:
        consumer.close()
    if at is None:
        raise SystemExit(f"no erasure record of {kid} on {topic}")
    return at


def _args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=500)
    parser.add_argument("--kill-every", type=float, default=15.0, help="mean seconds between kill -9s")
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-broker-restart", dest="broker_restart", action="store_false")
    parser.add_argument("--hosts", type=int, choices=(1, 2), default=1, help="hosts sharing Kafka, S3, keys")
    parser.add_argument("--host-down", type=float, default=60.0,
                        help="seconds the killed host stays down at least (it comes back once the other holds its partitions)")
    parser.add_argument("--no-host-restart", dest="host_restart", action="store_false")
    parser.add_argument("--observe-erasure", metavar="DOC_ID", help=argparse.SUPPRESS)  # the other host's watcher
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


def _restart_broker(stack_settings) -> None:
    """Stop the local broker gracefully and start it again (same data). ``stack_settings``:
    the stack's own (its data dir holds the broker's pid and logs), not a drill host's."""
    from ops.stack import kafka, process
    from ops.stack.layout import Layout

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
