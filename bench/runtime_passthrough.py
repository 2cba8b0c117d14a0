"""Throughput of the runtime for a pass-through processor vs a bare confluent-kafka loop.

Both read the same input topic (small documents.ingested records, ~300 bytes) on the real
broker and write every record to their own output topic, in the same run:

- bare: ``consume(500)`` → ``produce(value)`` for each → async offset commit per batch
  (at-least-once, no transactions), once with raw bytes and once doing what any Avro
  processor must (decode, call the same ``relay`` function, encode);
- runtime: ``streams.runtime.examples.passthrough`` through ``Worker`` — Avro decode,
  ``handle``, Avro encode, one Kafka transaction per batch (exactly-once), metrics.

Prints records/s of each (time from the first record consumed to the last output acked
and its offsets committed) and the ratios; the goal (>= 0.7) is runtime vs the bare loop
doing the same work.

    .venv/bin/python bench/runtime_passthrough.py --records 20000 --rounds 3
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path

from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic

from inkstream.settings import load_settings
from schemas.codec import Codec
from streams.runtime import Processor
from streams.runtime.examples import relay
from streams.runtime.loop import Worker

_TESTS = Path(__file__).resolve().parents[1] / "tests"
sys.path[:0] = [str(_TESTS / "streams" / "runtime"), str(_TESTS)]  # kafka_helpers imports tests/topic_admin
from kafka_helpers import ingested  # noqa: E402 - the same record builder as the tests

PARTITIONS = 3


def _topics(settings, names: list[str], create: bool) -> None:
    admin = AdminClient({"bootstrap.servers": settings.kafka.bootstrap})
    physical = [settings.topics.name(n) for n in names]
    futures = (admin.create_topics([NewTopic(t, PARTITIONS, 1) for t in physical]) if create
               else admin.delete_topics(physical))
    for future in futures.values():
        try:
            future.result(30)
        except Exception:  # noqa: BLE001 - deleting is best effort
            if create:
                raise


def _fill(settings, n: int, codec: Codec) -> None:
    producer = Producer({"bootstrap.servers": settings.kafka.bootstrap, "linger.ms": 20})
    topic = settings.topics.name("documents.ingested")
    for record in ingested(n):
        value = codec.encode(topic, record)
        while True:
            try:
                producer.produce(topic, value, record["doc_id"].encode())
                break
            except BufferError:
                producer.poll(0.05)
    producer.flush(60)


def bare_loop(settings, n: int, *, avro: bool, codec: Codec) -> float:
    """A hand-written consume→produce loop; ``avro`` adds the decode/relay/encode a real
    processor must do, so the comparison isolates what the runtime itself costs."""
    consumer = Consumer({"bootstrap.servers": settings.kafka.bootstrap, "group.id": f"bare-{uuid.uuid4()}",
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    producer = Producer({"bootstrap.servers": settings.kafka.bootstrap, "linger.ms": 5,
                         "enable.idempotence": True})
    out = settings.topics.name("bench.bare")
    schema_topic = settings.topics.name("documents.ingested.priority")
    consumer.subscribe([settings.topics.name("documents.ingested")])
    seen, started = 0, None
    while seen < n:
        msgs = consumer.consume(500, 0.5)
        if msgs and started is None:
            started = time.perf_counter()
        for msg in msgs:
            if msg.error():
                continue
            value = msg.value()
            if avro:
                for emit in relay(codec.decode(value), None):
                    value = codec.encode(schema_topic, emit.value)
            while True:
                try:
                    producer.produce(out, value, msg.key())
                    break
                except BufferError:
                    producer.poll(0.05)
            seen += 1
        producer.poll(0)
        if msgs:
            consumer.commit(asynchronous=True)
    producer.flush(60)
    elapsed = time.perf_counter() - started
    consumer.close()
    return n / elapsed


def runtime_loop(settings, n: int, *, codec: Codec) -> float:
    first: list[float] = []
    seen = [0]
    all_handled = threading.Event()

    def timed_relay(record, ctx):
        if not first:
            first.append(time.perf_counter())
        for emit in relay(record, ctx):
            yield type(emit)("documents.ingested.priority", emit.value, emit.key)
        seen[0] += 1
        if seen[0] == n:
            all_handled.set()

    proc = Processor(name=f"bench-{uuid.uuid4().hex[:6]}", inputs=("documents.ingested",), handle=timed_relay)
    worker = Worker(proc, settings, codec=codec)
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    all_handled.wait()  # no polling from this thread while the worker runs
    while worker._in_txn:  # noqa: SLF001 - the transaction holding the last record commits
        time.sleep(0.001)
    elapsed = time.perf_counter() - first[0]
    worker.stop()
    thread.join(30)
    return n / elapsed


def _cpu_seconds() -> float:
    """CPU time of this process, librdkafka's threads included."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _measure(loop, settings, n: int, **kwargs) -> tuple[float, float]:
    """(records/s, microseconds of process CPU per record) of one loop."""
    cpu = _cpu_seconds()
    rate = loop(settings, n, **kwargs)
    return rate, (_cpu_seconds() - cpu) / n * 1e6


def _round(settings, n: int, codec: Codec) -> dict[str, tuple[float, float]]:
    # Adjacent measurements share the machine's load of the moment (it is shared); every
    # loop encodes with the same codec, as one worker process does.
    return {"raw": _measure(bare_loop, settings, n, avro=False, codec=codec),
            "bare": _measure(bare_loop, settings, n, avro=True, codec=codec),
            "runtime": _measure(runtime_loop, settings, n, codec=codec)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds; medians are reported")
    args = parser.parse_args()
    settings = load_settings(topics={"prefix": f"bench{uuid.uuid4().hex[:8]}."})
    names = ["documents.ingested", "bench.bare", "documents.ingested.priority"]
    _topics(settings, names, create=True)
    try:
        codec = Codec.from_settings(settings)
        _fill(settings, args.records, codec)
        rounds = [_round(settings, args.records, codec) for _ in range(args.rounds)]
        print(f"records: {args.records} per loop, {args.rounds} alternating rounds, {PARTITIONS} partitions, "
              f"broker {settings.kafka.bootstrap}")
        for label, key in (("bare loop, raw bytes (no decode/encode)", "raw"),
                           ("bare loop, Avro decode + relay + encode", "bare"),
                           ("runtime passthrough (exactly-once, metrics)", "runtime")):
            rates = [r[key][0] for r in rounds]
            cpu = statistics.median(r[key][1] for r in rounds)
            print(f"{label:<44}: {statistics.median(rates):>9,.0f} records/s median "
                  f"(rounds: {', '.join(f'{v:,.0f}' for v in rates)}), {cpu:6.1f} us CPU/record")
        ratio = statistics.median(r["runtime"][0] / r["bare"][0] for r in rounds)
        cpu_ratio = statistics.median(r["bare"][1] / r["runtime"][1] for r in rounds)
        raw_ratio = statistics.median(r["runtime"][0] / r["raw"][0] for r in rounds)
        print(f"ratio runtime / bare loop doing the same work : {ratio:.2f} records/s, {cpu_ratio:.2f} CPU "
              f"(median of per-round ratios; goal >= 0.70)")
        print(f"ratio runtime / bare raw-bytes loop           : {raw_ratio:.2f} (Avro decode/encode included)")
    finally:
        _topics(settings, names, create=False)


if __name__ == "__main__":
    main()
