"""Load bench: sustained ingestion into the real pipeline (real processes, Kafka, S3, OCR,
chDB), stepping the rate up phase by phase until the pipeline stops keeping up.

    .venv/bin/python bench/load.py                       # digital documents, ~8 minutes
    .venv/bin/python bench/load.py --mix both            # then a mixed run (scanned need OCR)
    .venv/bin/python bench/load.py --rates 1,2,4,6 --phase-s 120 --drain-s 300   # longer

Each phase feeds documents at a fixed rate (documents/s) for ``--phase-s`` seconds. A
phase *holds* when the documents in flight (ingested, no CRM command yet) stop growing
over its second half: their least-squares slope stays under ``--slope-limit`` of the
offered rate. Stepping stops at the first phase that does not hold; the sustained rate is
the highest phase that held. Reported: end-to-end latency (``documents.ingested``
occurred_at to the first ``crm.commands`` occurred_at) and the OCR share of it
(``ocr.results`` occurred_at minus ingestion), consumer lag of every processor group
over time (committed offsets vs read_committed end offsets), and the resident memory of
every pipeline and stack process at the end against the 6 GB goal.

Needs the local stack (``inkstream up``); uses its own topic prefix, data directory and
ports 9700-9791, so it runs beside the demo, the drill and the tests. Every figure
comes from one run on a shared 2-core machine: compare them with each other, not with
another run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from inkstream.settings import load_settings  # noqa: E402
from app.supervise import Supervisor  # noqa: E402
from app.tracker import Tracker  # noqa: E402
from streams.registry import PIPELINE  # noqa: E402

SAMPLES = ROOT / "samples"
DIGITAL = ("contract-digital.pdf", "invoice-digital.pdf")
SCANNED = ("contract-scanned.pdf", "invoice-scanned.pdf", "invoice-scanned-rotated.pdf",
           "contract-scanned-blurred-amount.pdf")
# The deployment's processes (streams.registry.PIPELINE) minus those off the measured path
# (ingestion -> crm.commands, e-sign, audit): outbound webhooks and the sender memory.
OFF_PATH = ("webhooks.fanout", "webhooks.deliver", "extract-memory")
PROCESSORS = tuple(name for name in PIPELINE if name not in OFF_PATH)
BASE_PORT = 9700
GOAL_MB = 6 * 1024


@dataclass
class Phase:
    mix: str
    rate: float
    seconds: float
    started: float = 0.0
    docs: dict[str, str] = field(default_factory=dict)   # doc_id -> sample name
    inflight: list[tuple[float, int]] = field(default_factory=list)
    held: bool | None = None          # the path to crm.commands kept up
    growing: list[str] = field(default_factory=list)  # groups whose lag kept rising
    slope: float = 0.0

    @property
    def achieved(self) -> float:
        return len(self.docs) / self.seconds


def main() -> int:
    args = _args()
    data_dir = Path(tempfile.mkdtemp(prefix="inkstream-load-"))
    prefix = f"load{uuid.uuid4().hex[:8]}."
    webhooks_port, query_port = BASE_PORT + 90, BASE_PORT + 91
    # As the demo: development secrets, CRM dry run, simulated e-sign; the stack's S3 pair.
    from app.demo import DEMO_MODES
    from inkstream.fail_closed import stack_s3_env

    os.environ.update({**DEMO_MODES, **stack_s3_env(load_settings())})
    env = {"INKSTREAM_DATA_DIR": str(data_dir), "INKSTREAM_TOPICS__PREFIX": prefix, "OMP_NUM_THREADS": "1",
           "INKSTREAM_ESIGN__WEBHOOKS_PORT": str(webhooks_port), "INKSTREAM_AUDIT__QUERY_PORT": str(query_port)}
    settings = load_settings(data_dir=str(data_dir), topics={"prefix": prefix},
                             esign={"webhooks_port": webhooks_port}, audit={"query_port": query_port})
    from ops.stack.topics import ensure_topics
    from schemas.codec import Codec
    from streams.review.follower import KafkaPublisher

    ensure_topics(settings)
    codec = Codec.from_settings(settings)
    sup = Supervisor(data_dir / "logs", env=env)
    for i, name in enumerate(PROCESSORS):  # 10 ports each: OCR runs one worker per core (port + index)
        workers = ["--workers", str(args.ocr_workers)] if name == "ocr" and args.ocr_workers else []
        sup.add(name, ["run", name, "--metrics-port", str(BASE_PORT + 10 * i), *workers], port=BASE_PORT + 10 * i)
    sup.add("webhooks", ["run", "webhooks", "--port", str(webhooks_port)], port=webhooks_port)
    t0 = time.monotonic()
    with sup:
        sup.start_all()
        sup.wait_healthy(timeout=300)
        print(f"pipeline up in {time.monotonic() - t0:.0f}s (prefix {prefix}, logs {data_dir / 'logs'})", flush=True)
        run = Run(settings, Tracker(settings, codec, since_ms=0), KafkaPublisher(settings, codec), t0, args)
        try:
            for mix in (("digital", "mixed") if args.mix == "both" else (args.mix,)):
                rates = args.rates if mix == "digital" else args.mixed_rates
                run.step(mix, rates)
                run.drain()  # the next mix starts from an empty pipeline
            memory = _memory(sup)
        finally:
            run.close()
    if not args.keep_topics:
        _drop_topics(settings)
    _report(run, memory, args)
    print(f"logs and data: {data_dir}")
    return 0


class Run:
    """The feeding loop: ingest on schedule, play the reviewer, sample lag and backlog."""

    def __init__(self, settings, tracker: Tracker, publisher, t0: float, args) -> None:
        from connectors.capture.listeners import Capture

        self.settings, self.tracker, self.publisher, self.t0, self.args = settings, tracker, publisher, t0, args
        self.capture = Capture(settings, client_id="load")
        self.lag = LagSampler(settings)
        self.phases: list[Phase] = []
        self.reviewed: set[str] = set()
        self.lag_series: list[tuple[float, dict[str, int]]] = []
        self._next_sample = 0.0
        self._seq = 0

    def step(self, mix: str, rates: list[float]) -> None:
        for rate in rates:
            phase = Phase(mix, rate, self.args.phase_s)
            self.phases.append(phase)
            self._feed(phase)
            half = phase.inflight[len(phase.inflight) // 2:]
            phase.slope = _slope(half)
            # Growth over the second half, against a noise floor: a few documents more in
            # flight at one sample is jitter, a backlog that keeps rising is not.
            span = half[-1][0] - half[0][0] if len(half) > 1 else 0.0
            phase.held = phase.slope * span <= max(3.0, self.args.slope_limit * rate * span)
            phase.growing = growing = self._growing_groups(phase)
            print(f"[{mix}] {rate:g} docs/s: ingested {len(phase.docs)} ({phase.achieved:.2f}/s), in flight at end "
                  f"{phase.inflight[-1][1]}, backlog slope {phase.slope:+.2f} docs/s -> "
                  f"{'held' if phase.held else 'NOT held'}"
                  f"{'; lag rising in ' + ', '.join(growing) if growing else ''}", flush=True)
            if not phase.held:
                break

    def _growing_groups(self, phase: Phase) -> list[str]:
        """Groups whose lag rose over the phase's second half by more than half a record
        per document offered there (and 50 records): batching sinks (audit) and sinks
        committing after each call (crm) swing by tens of records without falling behind."""
        start = phase.started - self.t0 + phase.seconds / 2
        points = [(t, lags) for t, lags in self.lag_series if start <= t <= start + phase.seconds / 2]
        if len(points) < 2:
            return []
        out = []
        for name in PROCESSORS:
            slope = _slope([(t, lags.get(name, 0)) for t, lags in points])
            if slope * (points[-1][0] - points[0][0]) > max(50.0, 0.5 * phase.rate * phase.seconds / 2):
                out.append(f"{name} ({slope:+.1f} records/s)")
        return out

    def _feed(self, phase: Phase) -> None:
        names = DIGITAL if phase.mix == "digital" else _mixed(self.args.scanned_every)
        phase.started = time.monotonic()
        end, interval = phase.started + phase.seconds, 1.0 / phase.rate
        due = phase.started
        while time.monotonic() < end:
            now = time.monotonic()
            if now >= due:
                name = names[self._seq % len(names)]
                self._seq += 1
                phase.docs[self._ingest(name)] = name
                due += interval
                continue
            self.tracker.poll(min(0.25, due - now, end - now) if due < end else min(0.25, end - now))
            self._tick(phase)

    def _ingest(self, name: str) -> str:
        from connectors.capture.document import CapturedDocument

        data = (SAMPLES / name).read_bytes() + f"\n% load {uuid.uuid4()}\n".encode()
        return self.capture.ingest_one(CapturedDocument(source="cli", filename=name, data=data)).doc_id

    def _tick(self, phase: Phase | None) -> None:
        now = time.monotonic()
        for doc_id, view in list(self.tracker.docs.items()):
            if view.decision == "review" and doc_id not in self.reviewed:
                from app.actors import approve_with_labels

                # A reviewer approves at once (as in the drill): its documents are counted
                # apart in the latency figures.
                approve_with_labels(self.publisher, view.latest_fields, {}, reviewer="load")
                self.reviewed.add(doc_id)
        if now < self._next_sample:
            return
        self._next_sample = now + self.args.sample_s
        self.lag_series.append((now - self.t0, self.lag.sample()))
        if phase is not None:
            phase.inflight.append((now - phase.started, sum(not _done(self.tracker.view(d)) for d in phase.docs)))

    def drain(self) -> None:
        """Let the backlog run out (bounded by --drain-s) so every held document is timed."""
        deadline = time.monotonic() + self.args.drain_s
        while time.monotonic() < deadline:
            self.tracker.poll(1.0)
            self._tick(None)
            # Transaction markers leave about one record per partition; a group that fell
            # behind for good (flagged in a phase) is not waited for.
            behind = {g.split(" ")[0] for p in self.phases for g in p.growing}
            settled = all(lag <= 20 for name, lag in self.lag_series[-1][1].items()
                          if name not in behind) if self.lag_series else True
            if settled and all(_done(self.tracker.view(d)) for p in self.phases for d in p.docs):
                break
        self.lag_series.append((time.monotonic() - self.t0, self.lag.sample()))

    def close(self) -> None:
        self.capture.close()
        self.tracker.close()


class LagSampler:
    """Per processor group: committed offsets vs read_committed end offsets, summed."""

    def __init__(self, settings) -> None:
        from confluent_kafka.admin import AdminClient

        self.admin = AdminClient({**settings.kafka.client, "bootstrap.servers": settings.kafka.bootstrap})
        self.groups = {name: f"{settings.topics.prefix}inkstream-{name}" for name in PROCESSORS}

    def sample(self) -> dict[str, int]:
        from confluent_kafka import ConsumerGroupTopicPartitions, IsolationLevel, TopicPartition
        from confluent_kafka.admin import OffsetSpec

        committed: dict[str, list[TopicPartition]] = {}
        for name, group in self.groups.items():
            try:
                result = self.admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group)])[group]
                committed[name] = result.result(10).topic_partitions or []
            except Exception:  # noqa: BLE001 - a group not formed yet has no lag to show
                committed[name] = []
        wanted = {TopicPartition(tp.topic, tp.partition): OffsetSpec.latest()
                  for tps in committed.values() for tp in tps}
        ends = {}
        if wanted:
            futures = self.admin.list_offsets(wanted, isolation_level=IsolationLevel.READ_COMMITTED, request_timeout=10)
            for tp, fut in futures.items():
                ends[(tp.topic, tp.partition)] = fut.result().offset
        return {name: sum(max(0, ends.get((tp.topic, tp.partition), 0) - max(tp.offset, 0)) for tp in tps)
                for name, tps in committed.items()}


def _drop_topics(settings) -> None:
    """Delete this run's prefixed topics: the bench leaves nothing on the shared broker."""
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({"bootstrap.servers": settings.kafka.bootstrap, **settings.kafka.client})
    mine = [t for t in admin.list_topics(timeout=10).topics if t.startswith(settings.topics.prefix)]
    for future in admin.delete_topics(mine).values() if mine else ():
        try:
            future.result(30)
        except Exception:  # noqa: BLE001 - cleanup only
            pass


def _mixed(scanned_every: int) -> tuple[str, ...]:
    """One scanned document (rotating through the scanned samples) in ``scanned_every``."""
    out: list[str] = []
    for i in range(len(SCANNED) * scanned_every):
        out.append(SCANNED[i // scanned_every] if i % scanned_every == 0 else DIGITAL[i % 2])
    return tuple(out)


def _done(view) -> bool:
    return bool(view.commands) or bool(view.dead) or view.decision == "rejected"


def _slope(points: list[tuple[float, int]]) -> float:
    if len(points) < 2:
        return 0.0
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    var = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / var if var else 0.0


def _memory(sup: Supervisor) -> dict[str, dict[str, float]]:
    """RSS (MB) of each pipeline process (its whole process group) and of the stack's."""
    from ops.stack import kafka, prometheus, s3
    from ops.stack.layout import Layout
    from ops.stack.process import rss_mb, running_pid

    pipeline = {name: sum(rss_mb(pid) or 0 for pid in _group(child.proc.pid))
                for name, child in sup.children.items() if child.alive}
    layout = Layout.of(load_settings())
    stack = {}
    for label, module in (("kafka (java)", kafka), ("s3 (versitygw)", s3), ("prometheus", prometheus)):
        pid = running_pid(module.managed(layout))
        stack[label] = (rss_mb(pid) or 0) if pid else 0.0
    return {"pipeline": pipeline, "stack": stack, "bench": {"bench (tracker + capture)": rss_mb(os.getpid()) or 0}}


def _group(pgid: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.getpgid(int(entry.name)) == pgid:
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _report(run: Run, memory: dict, args) -> None:
    print("\n== phases (latency: ingestion -> first crm.commands; OCR: ingestion -> ocr.results) ==")
    print("held: documents in flight to crm.commands stopped growing; all: no consumer group's lag kept rising")
    print(f"{'mix':8} {'rate/s':>6} {'docs':>5} {'held':>5} {'all':>4} {'slope/s':>7} {'timed':>5} {'review':>6} "
          f"{'p50 s':>7} {'p99 s':>7} {'ocr p50':>7} {'ocr p99':>7} {'ocr share':>9} {'dlq':>4} {'open':>4}")
    best: dict[str, Phase] = {}
    best_all: dict[str, Phase] = {}
    for phase in run.phases:
        stats = _latency(run, phase)
        if phase.held:
            best[phase.mix] = phase
            if not phase.growing:
                best_all[phase.mix] = phase
        print(f"{phase.mix:8} {phase.rate:6g} {len(phase.docs):5d} {'yes' if phase.held else 'NO':>5} "
              f"{'no' if phase.growing else 'yes':>4} "
              f"{phase.slope:+7.2f} {stats['timed']:5d} {stats['reviewed']:6d} {stats['p50']:7.2f} {stats['p99']:7.2f} "
              f"{stats['ocr50']:7.2f} {stats['ocr99']:7.2f} {stats['share']:8.0%} {stats['dead']:4d} {stats['open']:4d}")
    for mix in dict.fromkeys(p.mix for p in run.phases):
        phases = [p for p in run.phases if p.mix == mix]
        behind = sorted({g.split(" ")[0] for p in phases for g in p.growing})
        whole = best_all.get(mix)
        print(f"every group keeping up [{mix}]: " + (f"up to {whole.rate:g} documents/s" if whole else
              f"not at any step (from {phases[0].rate:g}/s)") +
              (f"; behind: {', '.join(behind)}" if behind else ""))
        phase = best.get(mix)
        if phase is None:
            print(f"sustained rate [{mix}]: none held (lowest step {min(p.rate for p in run.phases if p.mix == mix):g}/s)")
            continue
        stats = _latency(run, phase)
        print(f"sustained rate [{mix}]: {phase.rate:g} documents/s ({phase.achieved:.2f}/s achieved); end-to-end "
              f"p50 {stats['p50']:.2f}s p99 {stats['p99']:.2f}s; OCR p50 {stats['ocr50']:.2f}s p99 {stats['ocr99']:.2f}s, "
              f"{stats['share']:.0%} of end-to-end time")
    _lag_table(run.lag_series)
    print("\n== resident memory at the end (MB) ==")
    for section in ("pipeline", "stack"):
        for name, mb in memory[section].items():
            print(f"  {section:8} {name:24} {mb:8.0f}")
    total = sum(memory["pipeline"].values()) + sum(memory["stack"].values())
    print(f"  total (pipeline + stack): {total:.0f} MB of the {GOAL_MB} MB goal "
          f"({'within' if total <= GOAL_MB else 'OVER'}); bench itself {memory['bench']['bench (tracker + capture)']:.0f} MB")


def _latency(run: Run, phase: Phase) -> dict:
    e2e, ocr, shares = [], [], []
    reviewed = dead = still_open = 0
    for doc_id in phase.docs:
        view = run.tracker.view(doc_id)
        if view.dead:
            dead += 1
            continue
        if not view.commands or view.ingested is None:
            still_open += 1
            continue
        if doc_id in run.reviewed:
            reviewed += 1  # waited for the (instant) reviewer: not pipeline latency
            continue
        start = view.ingested["occurred_at"]
        total = (min(c["occurred_at"] for c in view.commands.values()) - start) / 1000
        e2e.append(total)
        if view.ocr is not None:
            part = (view.ocr["occurred_at"] - start) / 1000
            ocr.append(part)
            shares.append(part / total if total > 0 else 0.0)
    nan = float("nan")
    return {"timed": len(e2e), "reviewed": reviewed, "dead": dead, "open": still_open,
            "p50": _pct(e2e, 0.5) if e2e else nan, "p99": _pct(e2e, 0.99) if e2e else nan,
            "ocr50": _pct(ocr, 0.5) if ocr else nan, "ocr99": _pct(ocr, 0.99) if ocr else nan,
            "share": sum(ocr) / sum(e2e) if e2e and sum(e2e) > 0 else nan}


def _lag_table(series: list[tuple[float, dict[str, int]]]) -> None:
    print("\n== consumer lag per processor group (records; committed offset vs read_committed end) ==")
    print(f"{'t s':>5} " + " ".join(f"{name:>14}" for name in PROCESSORS))
    stride = max(1, len(series) // 40)  # at most ~40 rows
    rows = series[::stride] + ([series[-1]] if series and (len(series) - 1) % stride else [])
    for t, lags in rows:
        print(f"{t:5.0f} " + " ".join(f"{lags.get(name, 0):14d}" for name in PROCESSORS))


def _args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mix", choices=("digital", "mixed", "both"), default="digital")
    parser.add_argument("--rates", type=_floats, default=[4, 8, 16, 24, 32], help="digital phases, documents/s")
    parser.add_argument("--mixed-rates", type=_floats, default=[0.25, 0.5, 1, 2], help="mixed phases, documents/s")
    parser.add_argument("--scanned-every", type=int, default=4, help="mixed: one scanned document in N")
    parser.add_argument("--ocr-workers", type=int, default=0,
                        help="OCR worker processes (0: the project's default, ocr.workers / one per core)")
    parser.add_argument("--keep-topics", action="store_true", help="leave this run's topics on the broker")
    parser.add_argument("--phase-s", type=float, default=60)
    parser.add_argument("--drain-s", type=float, default=90)
    parser.add_argument("--sample-s", type=float, default=5)
    parser.add_argument("--slope-limit", type=float, default=0.1,
                        help="a phase holds while the backlog grows slower than this share of the rate")
    return parser.parse_args()


def _floats(text: str) -> list[float]:
    return [float(x) for x in text.split(",") if x.strip()]


if __name__ == "__main__":
    sys.exit(main())
