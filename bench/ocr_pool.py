"""OCR pool throughput, priority-lane latency and worker memory, on the running stack.

    OMP_NUM_THREADS=1 .venv/bin/python bench/ocr_pool.py [--pages 24] [--workers 0] [--backlog 1000]
    OMP_NUM_THREADS=1 .venv/bin/python bench/ocr_pool.py --scaling 1,2,4 --pages 8   (no stack needed)

``--scaling``: pages/s per core of W direct worker processes (default OCR settings, one
thread each) for each W, one after the other on the same pages: pages/s over
min(W, cores), and pages per CPU second (the load-independent figure on a shared machine).

1. Direct: W processes (W = cores), each with its own DocumentReader, read an even share
   of the same one-page scanned PDFs from memory -> pages/s (models loaded before timing).
2. Pipeline: the same PDFs stored in S3, one documents.ingested record each, W
   ``ocr.bulk`` workers (real Kafka, exactly-once) -> pages/s from the first produce to
   the last ocr.results record read. Printed as a ratio to (1) (goal >= 0.9).
3. Priority lane: one ``ocr.priority`` worker beside W-1 bulk workers (at least 1);
   latency of a high-priority one-page document from produce to its ocr.results record,
   with an idle bulk lane and with --backlog bulk documents queued in front of it.
4. Every worker's RSS after warm-up and at the end of its run.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
import time
import uuid
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

console = Console()


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# -- direct baseline -----------------------------------------------------------
def _direct(ocr_settings, docs: list[bytes], barrier, out) -> None:
    from streams.ocr.reader import DocumentReader

    reader = DocumentReader.from_settings(ocr_settings)
    reader.read(docs[0])  # same warm-up as the pipeline workers get
    barrier.wait()
    t, c = time.perf_counter(), time.process_time()
    pages = sum(len(reader.read(d)) for d in docs)
    out.put((pages, time.perf_counter() - t, time.process_time() - c))


def direct_pages_per_s(ocr_settings, docs: list[bytes], workers: int) -> tuple[float, float]:
    """(pages/s wall, CPU seconds per page)."""
    ctx = mp.get_context("spawn")
    barrier, out = ctx.Barrier(workers + 1), ctx.Queue()
    shares = [docs[i::workers] for i in range(workers)]
    procs = [ctx.Process(target=_direct, args=(ocr_settings, s, barrier, out)) for s in shares]
    for p in procs:
        p.start()
    barrier.wait()
    t = time.perf_counter()
    results = [out.get() for _ in procs]
    wall = time.perf_counter() - t
    for p in procs:
        p.join()
    pages = sum(r[0] for r in results)
    return pages / wall, sum(r[2] for r in results) / pages


# -- pipeline ------------------------------------------------------------------
def _serve(name: str, settings, index: int) -> None:
    import logging

    from schemas.codec import Codec
    from streams.registry import load_processor
    from streams.runtime.workers import serve

    logging.basicConfig(level=logging.WARNING)
    codec = Codec.from_settings(settings)  # the worker's edge, as streams.runtime.workers builds it
    serve(load_processor(name, settings, codec), settings, codec=codec, index=index, metrics_port=None)


class Pool:
    def __init__(self, settings) -> None:
        self.settings, self.ctx, self.procs = settings, mp.get_context("spawn"), []

    def start(self, name: str, count: int) -> None:
        base = sum(1 for p in self.procs if p.name.startswith(name + "#"))
        for i in range(count):
            p = self.ctx.Process(target=_serve, args=(name, self.settings, base + i), name=f"{name}#{base + i}")
            p.start()
            self.procs.append(p)

    def cpu(self) -> float:
        return sum(cpu_s(p.pid) for p in self.procs if p.is_alive())

    def rss(self) -> dict[str, float]:
        return {p.name: rss_mb(p.pid) for p in self.procs if p.is_alive()}

    def stop(self) -> None:
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            p.join(30)


class Kafka:
    def __init__(self, settings) -> None:
        from confluent_kafka import Consumer, Producer

        from schemas.codec import Codec

        self.settings, self.codec = settings, Codec.from_settings(settings)
        base = {"bootstrap.servers": settings.kafka.bootstrap, **settings.kafka.client}
        self.producer = Producer({**base, "enable.idempotence": True, "linger.ms": 5})
        self.consumer = Consumer({**base, "group.id": f"bench-{uuid.uuid4().hex}", "auto.offset.reset": "earliest",
                                  "isolation.level": "read_committed", "enable.auto.commit": False})
        self.consumer.subscribe([settings.topics.name("ocr.results")])
        self.seen: dict[str, float] = {}

    def send(self, topic: str, record: dict) -> float:
        self.producer.produce(self.settings.topics.name(topic), self.codec.encode(topic, record), record["doc_id"].encode())
        self.producer.flush(30)
        return time.perf_counter()

    def wait_for(self, doc_ids: set[str], timeout: float) -> dict[str, float]:
        deadline = time.perf_counter() + timeout
        while not doc_ids <= self.seen.keys() and time.perf_counter() < deadline:
            for msg in self.consumer.consume(100, 0.2):
                if msg.error() is None:
                    self.seen.setdefault(self.codec.decode(msg.value())["doc_id"], time.perf_counter())
        return {d: self.seen[d] for d in doc_ids if d in self.seen}


def ingested(ref: dict, priority: str) -> dict:
    from schemas.records import envelope

    return {**envelope(f"bench-{uuid.uuid4().hex[:12]}", producer="bench"), "source": "cli", "source_ref": None,
            "filename": "scan.pdf", "original": ref, "duplicate_of": None, "priority": priority,
            "crm_ref": None, "email": None, "metadata": {}}


def _drop_topics(settings) -> None:
    """Delete this run's prefixed topics (the bench leaves nothing on the shared broker)."""
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({"bootstrap.servers": settings.kafka.bootstrap, **settings.kafka.client})
    mine = [t for t in admin.list_topics(timeout=10).topics if t.startswith(settings.topics.prefix)]
    for future in admin.delete_topics(mine).values() if mine else ():
        try:
            future.result(30)
        except Exception:  # noqa: BLE001 - cleanup only
            pass


def scaling(n_pages: int, counts: list[int]) -> None:
    from inkstream.settings import load_settings
    from streams.ocr.testpages import sample_pages, scanned_pdf

    ocr = load_settings().ocr
    pages = sample_pages()
    docs = [scanned_pdf([pages[i % len(pages)].image], 200) for i in range(n_pages)]
    cores = os.cpu_count() or 1
    load0 = os.getloadavg()[0]
    rows = []
    for w in counts:
        per_s, cpu_per_page = direct_pages_per_s(ocr, docs, w)
        rows.append((w, per_s, per_s / min(w, cores), 1 / cpu_per_page))
    load = (load0 + os.getloadavg()[0]) / 2
    table = Table(title=f"OCR pages/s per core: {n_pages} one-page scans (200 dpi), engine {ocr.engine} "
                        f"model {ocr.model} det_side {ocr.det_side}, reread<{ocr.reread_below} via "
                        f"{ocr.reread_engine or 'its own rec'}; {cores} cores, load average {load:.1f}")
    for col in ("workers", "pages/s", "pages/s per core", "pages per CPU second"):
        table.add_column(col, justify="right")
    for w, per_s, per_core, per_cpu in rows:
        table.add_row(str(w), f"{per_s:.3f}", f"{per_core:.3f}", f"{per_cpu:.3f}")
    console.print(table)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=24, help="one-page documents per throughput run")
    ap.add_argument("--workers", type=int, default=0, help="0 = cores")
    ap.add_argument("--backlog", type=int, default=1000, help="bulk documents queued before the priority ones")
    ap.add_argument("--probes", type=int, default=3, help="priority documents per latency scenario")
    ap.add_argument("--scaling", default="", help="e.g. 1,2,4: direct workers only, pages/s per core")
    args = ap.parse_args()
    if args.scaling:
        scaling(args.pages, [int(w) for w in args.scaling.split(",")])
        return

    from connectors.objectstore import open_store
    from inkstream.settings import load_settings
    from ops.stack.topics import ensure_topics
    from streams.ocr.testpages import sample_pages, scanned_pdf

    workers = args.workers or os.cpu_count() or 1
    prefix = f"bench{uuid.uuid4().hex[:8]}."
    settings = load_settings()
    settings = settings.model_copy(update={"topics": settings.topics.model_copy(update={"prefix": prefix})})
    ensure_topics(settings)
    store = open_store(settings)

    pages = sample_pages()
    docs = [scanned_pdf([pages[i % len(pages)].image], 200) for i in range(args.pages)]
    refs = []
    for d in docs[: len(pages)]:
        import hashlib

        sha = hashlib.sha256(d).hexdigest()
        refs.append(store.put(f"originals/{sha[:2]}/{sha}", d, content_type="application/pdf").to_record())
    refs = [refs[i % len(refs)] for i in range(args.pages)]
    console.print(f"{args.pages} one-page scanned documents (200 dpi, letter), {workers} workers, "
                  f"engine {settings.ocr.engine}, reread<{settings.ocr.reread_below} via {settings.ocr.reread_engine or 'its own rec'}, "
                  f"topic prefix {prefix}")

    direct, direct_cpu = direct_pages_per_s(settings.ocr, docs, workers)
    console.print(f"direct: {direct:.3f} pages/s, {direct_cpu:.2f} CPU s/page")

    kafka = Kafka(settings)
    pool = Pool(settings)
    pool.start("ocr.bulk", workers)
    warm = [ingested(refs[i % len(refs)], "normal") for i in range(4 * workers)]
    for r in warm:
        kafka.send("documents.ingested", r)
    got = kafka.wait_for({r["doc_id"] for r in warm}, 600)
    assert len(got) == len(warm), "warm-up documents did not come back"
    rss_start = pool.rss()
    batch = [ingested(ref, "normal") for ref in refs]
    cpu0 = pool.cpu()
    t0 = time.perf_counter()
    for r in batch:
        kafka.producer.produce(settings.topics.name("documents.ingested"), kafka.codec.encode("documents.ingested", r),
                               r["doc_id"].encode())
    kafka.producer.flush(30)
    done = kafka.wait_for({r["doc_id"] for r in batch}, 3600)
    pipeline = len(done) / (max(done.values()) - t0)
    pipeline_cpu = (pool.cpu() - cpu0) / len(done)
    rss_end = pool.rss()
    pool.stop()
    console.print(f"pipeline: {pipeline:.3f} pages/s, {pipeline_cpu:.2f} CPU s/page")

    # -- priority lane -------------------------------------------------------------
    lanes = Pool(settings)
    lanes.start("ocr.priority", 1)
    lanes.start("ocr.bulk", max(1, workers - 1))
    warm = [ingested(refs[0], "high")]
    kafka.send("documents.ingested.priority", warm[0])
    kafka.wait_for({warm[0]["doc_id"]}, 600)
    warm = [ingested(refs[0], "normal") for _ in range(2)]
    for r in warm:
        kafka.send("documents.ingested", r)
    kafka.wait_for({r["doc_id"] for r in warm}, 600)
    lane_rss_start = lanes.rss()

    def probe() -> list[float]:
        lat = []
        for i in range(args.probes):
            r = ingested(refs[i % len(refs)], "high")
            t = kafka.send("documents.ingested.priority", r)
            got = kafka.wait_for({r["doc_id"]}, 600)
            lat.append(got[r["doc_id"]] - t if got else float("inf"))
        return lat

    idle = probe()
    backlog = [ingested(refs[i % len(refs)], "normal") for i in range(args.backlog)]
    for r in backlog:
        kafka.producer.produce(settings.topics.name("documents.ingested"), kafka.codec.encode("documents.ingested", r),
                               r["doc_id"].encode())
        kafka.producer.poll(0)
    kafka.producer.flush(60)
    time.sleep(2)
    busy = probe()
    kafka.wait_for(set(), 0)
    left = sum(1 for r in backlog if r["doc_id"] not in kafka.seen)
    lane_rss_end = lanes.rss()
    lanes.stop()
    _drop_topics(settings)

    table = Table(title=f"OCR pool on {os.cpu_count()} cores ({settings.ocr.engine}, {workers} workers)")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("direct engine, 1 process per core", f"{direct:.3f} pages/s")
    table.add_row("through Kafka + S3 + processor", f"{pipeline:.3f} pages/s")
    table.add_row("pipeline / direct, wall (goal >= 0.9)", f"{pipeline / direct:.2f}")
    table.add_row("worker CPU per page: direct / pipeline", f"{direct_cpu:.2f} / {pipeline_cpu:.2f} s = {direct_cpu / pipeline_cpu:.2f}")
    med = lambda xs: sorted(xs)[len(xs) // 2]  # noqa: E731
    table.add_row("priority latency, bulk lane idle (median)", f"{med(idle):.2f} s  {[round(x, 2) for x in idle]}")
    table.add_row(f"priority latency, {args.backlog}-doc bulk backlog (median)",
                  f"{med(busy):.2f} s  {[round(x, 2) for x in busy]}")
    table.add_row("backlog still queued when the probes finished", f"{left} of {args.backlog}")
    table.add_row("with backlog / idle", f"{med(busy) / med(idle):.2f}")
    for name in rss_start:
        table.add_row(f"RSS {name} (throughput run)", f"{rss_start[name]:.0f} -> {rss_end.get(name, float('nan')):.0f} MB")
    for name in lane_rss_start:
        table.add_row(f"RSS {name} (lanes run)", f"{lane_rss_start[name]:.0f} -> {lane_rss_end.get(name, float('nan')):.0f} MB")
    console.print(table)


if __name__ == "__main__":
    main()
