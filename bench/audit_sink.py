"""Audit sink throughput on embedded chDB, side by side in one run: the runtime's decode
path alone (a sink that drops records), then the audit sink at three batch sizes, then
`audit verify` over everything written. No broker: the runtime's own ``run_processor``
feeds records (decode, add, flush), so what differs between rows is the sink.

    .venv/bin/python bench/audit_sink.py --docs 400      # 5 records per document

Prints records/s per variant and ratios against the decode-only run.
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
from streams.audit.query import _Direct  # noqa: E402
from streams.audit.sink import AuditSink  # noqa: E402
from streams.audit.store import connect  # noqa: E402
from streams.audit.verify import verify  # noqa: E402
from streams.runtime import Processor  # noqa: E402
from streams.runtime.testing import run_processor  # noqa: E402


class _Drop:
    def add(self, record, ctx) -> None:
        pass

    def flush(self) -> None:
        pass


def _timed(sink, records, batch: int) -> float:
    started = time.perf_counter()
    run_processor(Processor(name="audit", inputs=("x",), batch_sink=sink, batch_max_records=batch), records)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=400)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = _timed(_Drop(), s.pipeline_records(args.docs), 1000)
        n = args.docs * 5
        print(f"{'variant':28} {'records/s':>10} {'vs decode-only':>15}")
        print(f"{'decode only (no sink)':28} {n / base:10.0f} {1.0:15.2f}")
        # Warm-up: clickhouse-connect imports pandas on the first insert (~2 s, once per process).
        warm = connect(load_settings(data_dir=tmp, clickhouse={"database": "bench_warmup"}))
        _timed(AuditSink(lambda: warm), s.pipeline_records(2), 100)
        for batch in (100, 1000, 5000):
            store = connect(load_settings(data_dir=tmp, clickhouse={"database": f"bench_{batch}"}))
            secs = _timed(AuditSink(lambda st=store: st), s.pipeline_records(args.docs), batch)
            print(f"{f'audit sink, batch {batch}':28} {n / secs:10.0f} {base / secs:15.2f}")
        started = time.perf_counter()
        report = verify(_Direct(store, 10_000), None)
        secs = time.perf_counter() - started
        assert report.ok
        print(f"{'audit verify (rows)':28} {report.rows / secs:10.0f} {base / secs * report.rows / n:15.2f}")


if __name__ == "__main__":
    main()
