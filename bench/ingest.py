"""Ingestion throughput: 2,000 small PDFs through the HTTP API and through the CLI path,
each as a ratio to a bare loop that PUTs the same bytes to the same S3 server and
produces one record per file (goal >= 0.7), plus the API listener's resident memory
under load. Needs the running stack (`inkstream up`).

    .venv/bin/python bench/ingest.py            # 2,000 files per path
    .venv/bin/python bench/ingest.py --n 300    # quick
    .venv/bin/python bench/ingest.py --n 300 --jobs 8 --sealing   # + cost of sealing originals

The CLI and HTTP paths store through ``open_store`` (sealed when ``crypto.encrypt_objects``,
the default); the bare loop PUTs the plain bytes. ``--sealing`` adds the CLI path with the
unsealed store and prints sealed / unsealed throughput, for small files and for 20 MB ones.

Every path gets its own, never-seen files (same sizes), so none is short-cut by
duplicate detection. Each path runs at the same concurrency as its baseline, so the
ratio shows what capture adds (validation, hashing, the conditional PUT, the status
record, HTTP), not a difference in parallelism. The three paths run interleaved in
chunks (``--rounds``), so a busy neighbour on a shared machine slows them alike.
The API runs as its own process (`inkstream run api`); its CPU and resident memory
(whole process tree) are read from /proc.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def make_files(folder: Path, n: int, tag: str) -> list[Path]:
    """n distinct real PDFs of about 1 KB: one fpdf2 page plus a unique trailing comment."""
    from connectors.capture.testing import make_pdf

    folder.mkdir(parents=True)
    template = make_pdf("Invoice INV-2026-0042 total EUR 1,234.56")
    paths = []
    for i in range(n):
        path = folder / f"{tag}-{i:05d}.pdf"
        path.write_bytes(template + f"%bench {tag} {i} {uuid.uuid4()}\n".encode())
        paths.append(path)
    return paths


def make_large_pdf(path: Path, megabytes: int) -> Path:
    """A real PDF of about ``megabytes`` MB: one page holding an incompressible image."""
    import io

    from fpdf import FPDF
    from PIL import Image

    side = int((megabytes * 1024 * 1024 / 3) ** 0.5)
    buf = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(buf, format="PNG", compress_level=1)
    pdf = FPDF()
    pdf.add_page()
    pdf.image(buf, x=10, y=10, w=150)
    pdf.output(str(path))
    return path


def bare_loop(files: list[Path], store, sink, topic: str, jobs: int, codec) -> float:
    """PUT each file's bytes and produce one record per file; nothing else. Returns seconds."""
    from connectors.objectstore import ObjectRef
    from schemas.records import envelope

    def one(path: Path):
        data = path.read_bytes()
        key = f"bench/bare/{path.name}"
        # One plain PUT (the same single-request call capture uses, minus its condition
        # and metadata), then the record: the least any ingestion must do.
        result = store._client._put_object(store.bucket, key, data, headers={"Content-Type": "application/pdf"})
        ref = ObjectRef(store.bucket, key, result.version_id, hashlib.sha256(data).hexdigest(), len(data),
                        "application/pdf")
        record = {**envelope(key, producer="bench"), "source": "cli", "source_ref": None,
                  "filename": path.name, "original": ref.to_record(), "duplicate_of": None,
                  "priority": "normal", "crm_ref": None, "email": None, "metadata": {}}
        return sink.send(topic, key, codec.encode(topic, record))

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = list(pool.map(one, files))
    for f in futures:
        f.result(timeout=60)
    return time.perf_counter() - start


def cli_path(files: list[Path], settings, store, producer, jobs: int, codec) -> float:
    """``inkstream ingest``'s code path (validation, hashing, dedupe, two records). Seconds."""
    from connectors.capture.batch import ingest_paths

    start = time.perf_counter()
    summary = ingest_paths(files, settings, jobs=jobs, store=store, producer=producer, codec=codec)
    elapsed = time.perf_counter() - start
    assert len(summary.ingested) == len(files), (len(summary.ingested), summary.refused[:3], summary.failed[:3])
    return elapsed


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tree(pid: int) -> list[int]:
    """pid and its descendants (uvicorn's worker processes)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            parents[int(stat.parent.name)] = int(fields[1])
        except (OSError, ValueError, IndexError):
            continue
    found, frontier = [pid], [pid]
    while frontier:
        children = [c for c, p in parents.items() if p in frontier]
        found += children
        frontier = children
    return found


def rss_mb(pid: int) -> float:
    """Resident memory of the process and its workers."""
    if not Path(f"/proc/{pid}/status").exists():
        raise SystemExit(f"process {pid} is gone")
    total = 0.0
    for p in tree(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
        except OSError:
            continue
    return total


def own_cpu_s() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def cpu_s(pid: int) -> float:
    total = 0.0
    for p in tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


class ApiProcess:
    """`inkstream run api` in its own process, as in production."""

    def __init__(self, settings, data_dir: Path, workers: int = 1) -> None:
        self.port = free_port()
        from inkstream.fail_closed import stack_s3_env
        from inkstream.settings import load_settings

        # Its own data dir, the stack's S3 server: that server's generated pair.
        env = {**os.environ, **stack_s3_env(load_settings()), "INKSTREAM_DATA_DIR": str(data_dir),
               "INKSTREAM_HTTP__PORT": str(self.port),
               "INKSTREAM_TOPICS__PREFIX": settings.topics.prefix, "INKSTREAM_CAPTURE__API_WORKERS": str(workers)}
        self.log = data_dir / "api.log"
        data_dir.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen([str(ROOT / ".venv/bin/inkstream"), "run", "api"], env=env, cwd=ROOT,
                                     stdout=subprocess.DEVNULL, stderr=self.log.open("wb"))
        import httpx

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        self.stop()
        raise SystemExit("the API did not start: " + self.log.read_text()[-2000:])

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class Uploader:
    """Uploads each file as a client would (multipart, one request per file). urllib3
    rather than httpx: the uploader is not what is measured, and on a shared 2-core box
    a heavier client takes CPU from the server under test."""

    def __init__(self, api: ApiProcess, key: str, jobs: int) -> None:
        import urllib3

        self.url, self.key, self.jobs = f"http://127.0.0.1:{api.port}/v1/documents", key, jobs
        self.pool = urllib3.PoolManager(maxsize=jobs, timeout=60)

    def one(self, path: Path) -> None:
        import json

        resp = self.pool.request("POST", self.url, headers={"X-API-Key": self.key},
                                 fields={"file": (path.name, path.read_bytes(), "application/pdf")})
        assert resp.status == 201, resp.data[:500]
        assert json.loads(resp.data)["duplicate"] is False

    def run(self, files: list[Path]) -> float:
        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=self.jobs) as pool:
            list(pool.map(self.one, files))
        return time.perf_counter() - start


class RssSampler:
    """Samples the API's resident memory every 0.2 s while running."""

    def __init__(self, pid: int) -> None:
        self.pid, self.samples, self._done = pid, [], threading.Event()
        self._thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        while not self._done.is_set():
            self.samples.append(rss_mb(self.pid))
            self._done.wait(0.2)

    def __enter__(self) -> "RssSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._done.set()
        self._thread.join()


def interleaved(sets: dict[str, list[Path]], runners: dict, rounds: int, api_pid: int) -> dict:
    """Run the paths in alternating chunks (order rotated each round), so load from the
    neighbours of a shared machine falls on every path alike. Returns per path the
    seconds and this process's CPU seconds; plus the API's CPU seconds for HTTP."""
    names = list(runners)
    totals = {n: {"s": 0.0, "cpu": 0.0} for n in names}
    api_cpu = 0.0
    size = len(next(iter(sets.values()))) // rounds
    for r in range(rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:
            chunk = sets[name][r * size:(r + 1) * size]
            cpu0, api0 = own_cpu_s(), cpu_s(api_pid)
            totals[name]["s"] += runners[name](chunk)
            totals[name]["cpu"] += own_cpu_s() - cpu0
            if name == "http":
                api_cpu += cpu_s(api_pid) - api0
    totals["http"]["api_cpu"] = api_cpu
    return totals


def large_sealing(work: Path, settings, store, raw, sink, codec, count: int = 3) -> tuple[float, float]:
    """(MB per file, sealed / unsealed throughput) for large originals through the CLI path,
    interleaved one file at a time (sealed: hashed, then encrypted in parts as uploaded)."""
    files = {name: [make_large_pdf(work / f"large-{name}-{i}.pdf", 20) for i in range(count)]
             for name in ("sealed", "plain")}
    seconds = {"sealed": 0.0, "plain": 0.0}
    for i in range(count):
        for name in (("sealed", "plain") if i % 2 == 0 else ("plain", "sealed")):
            seconds[name] += cli_path([files[name][i]], settings, store if name == "sealed" else raw, sink, 1, codec)
    return files["sealed"][0].stat().st_size / 2**20, seconds["plain"] / seconds["sealed"]


def cleanup(store, work: Path) -> int:
    """Remove every object version this run stored (bench files are not documents)."""
    from minio.deleteobjects import DeleteObject

    keys = {f"bench/bare/{p.name}" for p in work.glob("bare*/*.pdf")}
    keys |= {f"originals/{h[:2]}/{h}" for h in
             (hashlib.sha256(p.read_bytes()).hexdigest() for p in work.glob("*/*.pdf") if not p.parent.name.startswith("bare"))}
    keys |= {f"originals/{h[:2]}/{h}" for h in (hashlib.sha256(p.read_bytes()).hexdigest() for p in work.glob("large-*.pdf"))}
    client = store._client
    # Two listings (not one per key): the bench's bare keys and the content-addressed originals.
    targets = [DeleteObject(o.object_name, o.version_id) for prefix in ("bench/bare/", "originals/")
               for o in client.list_objects(store.bucket, prefix=prefix, recursive=True, include_version=True)
               if o.object_name in keys]
    errors = list(client.remove_objects(store.bucket, iter(targets)))
    return len(targets) - len(errors)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="files per path")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 8], help="concurrency levels")
    parser.add_argument("--rounds", type=int, default=10, help="interleaved chunks per path")
    parser.add_argument("--api-workers", type=int, default=1, help="upload API processes (capture.api_workers)")
    parser.add_argument("--sealing", action="store_true",
                        help="also run the CLI path unsealed and print the cost of sealing originals")
    args = parser.parse_args()

    from connectors.capture.apikeys import ApiKeyStore
    from inkstream.settings import load_settings
    from ops.stack.topics import ensure_topics

    base = load_settings()
    settings = base.model_copy(update={"topics": base.topics.model_copy(update={"prefix": f"bench{uuid.uuid4().hex[:8]}."})})
    ensure_topics(settings)
    work = Path(tempfile.mkdtemp(prefix="inkstream-bench-"))
    data_dir = work / "data"
    key = ApiKeyStore(data_dir / "capture" / "apikeys.json").create("bench")[1]
    api = ApiProcess(settings, data_dir, workers=args.api_workers)
    idle_rss = rss_mb(api.proc.pid)
    rows, sealed_rows, sealed_large = [], [], None
    from connectors.capture.sink import KafkaRecordSink
    from connectors.objectstore import open_store

    store = open_store(settings)  # what capture uses: sealed unless crypto.encrypt_objects is off
    raw = getattr(store, "inner", store)  # the plain S3ObjectStore under it
    sealing = args.sealing and raw is not store
    bare_sink = KafkaRecordSink.from_settings(settings, client_id="bench-bare")
    cli_sink = KafkaRecordSink.from_settings(settings, client_id="bench-cli")
    topic = settings.topics.name("documents.ingested")
    from schemas.codec import Codec

    codec = Codec.from_settings(settings)  # one per process, as `inkstream ingest` builds it
    n = args.n - args.n % args.rounds
    try:
        with RssSampler(api.proc.pid) as rss:
            for jobs in args.jobs:
                names = ("bare", "cli", "http") + (("plain",) if sealing else ())
                sets = {name: make_files(work / f"{name}-{jobs}", n, f"{name}{jobs}") for name in names}
                size = sets["bare"][0].stat().st_size
                uploader = Uploader(api, key, jobs)
                runners = {"bare": lambda f, j=jobs: bare_loop(f, raw, bare_sink, topic, j, codec),
                           "cli": lambda f, j=jobs: cli_path(f, settings, store, cli_sink, j, codec),
                           "http": uploader.run}
                if sealing:
                    runners["plain"] = lambda f, j=jobs: cli_path(f, settings, raw, cli_sink, j, codec)
                t = interleaved(sets, runners, args.rounds, api.proc.pid)
                if sealing:
                    sealed_rows.append((jobs, t["plain"]["s"] / t["cli"]["s"],
                                        (t["cli"]["cpu"] - t["plain"]["cpu"]) * 1000 / n))
                rows.append((jobs, *(n / t[k]["s"] for k in ("bare", "cli", "http")),
                             t["http"]["api_cpu"] * 1000 / n, [t[k]["cpu"] * 1000 / n for k in ("bare", "cli", "http")]))
            under_load = list(rss.samples)
        with RssSampler(api.proc.pid) as large_rss:
            large = [make_large_pdf(work / f"large-{i}.pdf", 20) for i in range(4)]
            large_mb = large[0].stat().st_size / 2**20
            Uploader(api, key, 1).run(large)
        if sealing:
            sealed_large = large_sealing(work, settings, store, raw, cli_sink, codec)
    except BaseException:
        print((data_dir / "api.log").read_text()[-3000:], file=sys.stderr)
        raise
    finally:
        api.stop()
        bare_sink.close()
        cli_sink.close()
        removed = cleanup(raw, work)
        shutil.rmtree(work, ignore_errors=True)
        print(f"(removed the {removed} object versions and the files this run made)", file=sys.stderr)
    print(f"\ningestion: {n} PDFs of ~{size} B per path, S3 {settings.s3.url}, Kafka {settings.kafka.bootstrap}, "
          f"{args.api_workers} API process(es), {os.cpu_count()} cores")
    print(f"{'jobs':>4} {'bare docs/s':>12} {'CLI docs/s':>11} {'CLI ratio':>9} {'HTTP docs/s':>12} "
          f"{'HTTP ratio':>10} {'API CPU ms/doc':>14}")
    for jobs, bare, cli, http, api_cpu, _ in rows:
        print(f"{jobs:>4} {bare:>12.0f} {cli:>11.0f} {cli / bare:>9.2f} {http:>12.0f} {http / bare:>10.2f} "
              f"{api_cpu:>14.1f}")
    print("CPU ms per document in this process (bare loop / CLI path / HTTP uploader):")
    for jobs, *_, (bare_cpu, cli_cpu, client_cpu) in rows:
        print(f"  jobs {jobs}: {bare_cpu:.1f} / {cli_cpu:.1f} / {client_cpu:.1f}")
    print(f"API resident memory: idle {idle_rss:.0f} MB; during the runs above peak {max(under_load):.0f} MB, "
          f"at the end {under_load[-1]:.0f} MB; while taking 4 PDFs of {large_mb:.0f} MB "
          f"one after another peak {max(large_rss.samples):.0f} MB (files stream to disk, "
          + ("then are sealed as they go to S3 in parts)" if raw is not store else "and to S3 in parts)"))
    for jobs, ratio, extra_cpu in sealed_rows:
        print(f"sealing originals, jobs {jobs}: CLI throughput sealed / unsealed = {ratio:.2f} "
              f"(+{extra_cpu:.2f} CPU ms per document)")
    if sealed_large:
        print(f"sealing originals, {sealed_large[0]:.0f} MB files one at a time: "
              f"sealed / unsealed = {sealed_large[1]:.2f}")
    print("goal for ratios: >= 0.70")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
