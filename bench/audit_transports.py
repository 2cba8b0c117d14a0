"""The audit sink through its two transports, side by side in one run: embedded chDB, and
the ClickHouse HTTP protocol (what ``CLICKHOUSE_URL`` uses) against inkstream's own HTTP
interface served from the same chDB by this process (a writer user). Same records, same
batch size, same SQL; what differs is the transport. Then ``audit verify`` through each.

    .venv/bin/python bench/audit_transports.py --docs 100 --batch 100

Prints records/s per transport and the HTTP/chDB ratio (not a ClickHouse server's speed:
the "server" here is chDB behind Python's http.server on the same cores).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests/streams/audit"))

import audit_samples as s  # noqa: E402

from inkstream.settings import load_settings  # noqa: E402
from streams.audit.analysts import Analysts, writers_path  # noqa: E402
from streams.audit.query import QueryServer, _Direct  # noqa: E402
from streams.audit.sink import AuditSink  # noqa: E402
from streams.audit.store import connect  # noqa: E402
from streams.audit.verify import verify  # noqa: E402
from streams.runtime import Processor  # noqa: E402
from streams.runtime.testing import run_processor  # noqa: E402


def _run(store, records, batch: int) -> tuple[float, float]:
    """(records/s written, rows/s verified: every row in the database so far)."""
    started = time.perf_counter()
    run_processor(Processor(name="audit", inputs=("x",), batch_sink=AuditSink(lambda: store), batch_max_records=batch),
                  records)
    wrote = time.perf_counter() - started
    started = time.perf_counter()
    report = verify(_Direct(store, 100_000), None)
    assert report.ok, report.problems[:3]
    return len(records) / wrote, report.rows / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=100)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds; the best of each is kept")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = load_settings(data_dir=tmp)
        base = base.model_copy(update={"audit": base.audit.model_copy(update={"query_port": 0,
                                                                              "query_row_limit": 100_000})})
        local = connect(base.model_copy(update={"clickhouse": base.clickhouse.model_copy(
            update={"database": "bench_chdb"})}))
        served = base.model_copy(update={"clickhouse": base.clickhouse.model_copy(update={"database": "bench_http"})})
        server = QueryServer(connect(served), served).start()
        secret = Analysts(writers_path(served)).add("bench")
        url = f"http://bench:{secret}@127.0.0.1:{server.port}/bench_http"
        remote = connect(served.model_copy(update={"clickhouse": served.clickhouse.model_copy(update={"url": url})}))
        results: dict[str, tuple[float, float]] = {}
        for _ in range(args.rounds):   # alternate, fresh documents each time: warm-up hits both alike
            for name, store in (("chdb", local), ("http", remote)):
                records = s.pipeline_records(args.docs)
                wrote, verified = _run(store, records, args.batch)
                best = results.get(name, (0.0, 0.0))
                results[name] = (max(best[0], wrote), max(best[1], verified))
        server.stop()
    for name, (wrote, verified) in results.items():
        print(f"{name:5s} write {wrote:8.0f} records/s   verify {verified:8.0f} rows/s")
    print(f"http/chdb ratio: write {results['http'][0] / results['chdb'][0]:.2f}x, "
          f"verify {results['http'][1] / results['chdb'][1]:.2f}x  ({len(records)} records a round, "
          f"batch {args.batch}, best of {args.rounds})")


if __name__ == "__main__":
    main()
