"""Ingestion throughput: 2,000 small PDFs through the HTTP API and through the CLI path,
each as a ratio to a bare loop that PUTs the same bytes to the same S3 server and
produces one record per file (goal >= 0.7), plus the API listener's resident memory
under load. Needs the running stack (`inkstream up`).

    .venv/bin/python bench/ingest.py            # 2,000 files per path
    .venv/bin/python bench/ingest.py --n 300    # quick

Every path gets its own, never-seen files (same sizes), so none is short-cut by
duplicate detection. Each path runs at the same concurrency as its baseline, so the
ratio shows what capture adds (validation, hashing, the dedupe lookup, the status
record, HTTP), not a difference in parallelism.
"""

from __future__ import annotations

import argparse
import hashlib
import os
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


def bare_loop(files: list[Path], settings, jobs: int) -> float:
    """PUT each file's bytes and produce one record per file; nothing else."""
    from connectors.capture.sink import KafkaRecordSink
    from connectors.objectstore import ObjectRef
    from connectors.objectstore.s3 import S3ObjectStore
    from schemas.codec import encode
    from streams.records import envelope

    store = S3ObjectStore.from_settings(settings)
    sink = KafkaRecordSink.from_settings(settings, client_id="bench-bare")
    topic = settings.topics.name("documents.ingested")

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
        return sink.send(topic, key, encode(topic, record))

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = list(pool.map(one, files))
    for f in futures:
        f.result(timeout=60)
    elapsed = time.perf_counter() - start
    sink.close()
    return len(files) / elapsed


def cli_path(files: list[Path], settings, jobs: int) -> float:
    from connectors.capture.batch import ingest_paths

    start = time.perf_counter()
    summary = ingest_paths(files, settings, jobs=jobs)
    elapsed = time.perf_counter() - start
    assert len(summary.ingested) == len(files), (len(summary.ingested), summary.refused[:3], summary.failed[:3])
    return len(files) / elapsed


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
    """`inkstream listen api` in its own process, as in production."""

    def __init__(self, settings, data_dir: Path, workers: int = 1) -> None:
        self.port = free_port()
        env = {**os.environ, "INKSTREAM_DATA_DIR": str(data_dir), "INKSTREAM_HTTP__PORT": str(self.port),
               "INKSTREAM_TOPICS__PREFIX": settings.topics.prefix, "INKSTREAM_CAPTURE__API_WORKERS": str(workers)}
        self.log = data_dir / "api.log"
        data_dir.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen([str(ROOT / ".venv/bin/inkstream"), "listen", "api"], env=env, cwd=ROOT,
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


def http_path(files: list[Path], api: ApiProcess, key: str, jobs: int) -> tuple[float, list[float], float]:
    """Upload each file as a client would (multipart, one request per file), ``jobs`` at
    once. urllib3 rather than httpx: the uploader is not what is measured, and on a
    shared 2-core box a heavier client takes CPU from the server under test."""
    import json

    import urllib3

    samples: list[float] = []
    done = threading.Event()

    def sample():
        while not done.is_set():
            samples.append(rss_mb(api.proc.pid))
            done.wait(0.2)

    sampler = threading.Thread(target=sample)
    sampler.start()
    url = f"http://127.0.0.1:{api.port}/v1/documents"
    pool_manager = urllib3.PoolManager(maxsize=jobs, timeout=60)

    def one(path: Path) -> None:
        resp = pool_manager.request("POST", url, headers={"X-API-Key": key},
                                    fields={"file": (path.name, path.read_bytes(), "application/pdf")})
        assert resp.status == 201, resp.data[:500]
        assert json.loads(resp.data)["duplicate"] is False

    start, cpu0 = time.perf_counter(), cpu_s(api.proc.pid)
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        list(pool.map(one, files))
    elapsed = time.perf_counter() - start
    cpu_ms = (cpu_s(api.proc.pid) - cpu0) * 1000 / len(files)
    done.set()
    sampler.join()
    pool_manager.clear()
    return len(files) / elapsed, samples, cpu_ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="files per path")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 8], help="concurrency levels")
    parser.add_argument("--api-workers", type=int, default=1, help="upload API processes (capture.api_workers)")
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
    rows = []
    try:
        for jobs in args.jobs:
            sets = {name: make_files(work / f"{name}-{jobs}", args.n, f"{name}{jobs}")
                    for name in ("bare", "cli", "http", "bare2")}
            cpu = [own_cpu_s()]
            bare = bare_loop(sets["bare"], settings, jobs)
            cpu.append(own_cpu_s())
            cli = cli_path(sets["cli"], settings, jobs)
            cpu.append(own_cpu_s())
            http, samples, cpu_ms = http_path(sets["http"], api, key, jobs)
            cpu.append(own_cpu_s())
            # The baseline runs first and last; the better of the two is the reference, so
            # neither warm-up nor a busy neighbour flatters the paths under test.
            bare = max(bare, bare_loop(sets["bare2"], settings, jobs))
            per_doc = [(b - a) * 1000 / args.n for a, b in zip(cpu, cpu[1:])]
            rows.append((jobs, bare, cli, http, max(samples), samples[-1], cpu_ms, per_doc))
        large = [make_large_pdf(work / f"large-{i}.pdf", 20) for i in range(4)]
        _, large_samples, _ = http_path(large, api, key, 1)
    except BaseException:
        print((data_dir / "api.log").read_text()[-3000:], file=sys.stderr)
        raise
    finally:
        api.stop()
    size = next((work / f"bare-{args.jobs[0]}").iterdir()).stat().st_size
    print(f"\ningestion: {args.n} PDFs of ~{size} B per path, S3 {settings.s3.url}, Kafka {settings.kafka.bootstrap}, "
          f"{args.api_workers} API process(es), {os.cpu_count()} cores")
    print(f"{'jobs':>4} {'bare docs/s':>12} {'CLI docs/s':>11} {'CLI ratio':>9} {'HTTP docs/s':>12} "
          f"{'HTTP ratio':>10} {'API CPU ms/doc':>14} {'API RSS peak MB':>16} {'API RSS end MB':>15}")
    for jobs, bare, cli, http, peak, end, cpu_ms, _ in rows:
        print(f"{jobs:>4} {bare:>12.0f} {cli:>11.0f} {cli / bare:>9.2f} {http:>12.0f} {http / bare:>10.2f} "
              f"{cpu_ms:>14.1f} {peak:>16.0f} {end:>15.0f}")
    print("Python CPU ms per document (this process; the API's own is above):")
    for jobs, *_, (bare_cpu, cli_cpu, client_cpu) in rows:
        print(f"  jobs {jobs}: bare loop {bare_cpu:.1f}, CLI path {cli_cpu:.1f}, HTTP client {client_cpu:.1f}")
    print(f"API RSS idle: {idle_rss:.0f} MB; while taking 4 PDFs of {large[0].stat().st_size / 2**20:.0f} MB "
          f"one after another: peak {max(large_samples):.0f} MB (files stream to disk and S3 in parts)")
    print("goal for ratios: >= 0.70")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
