"""API calls for a backlog of N contracts' crm.commands through ``inkstream run crm``'s two
lanes, against the Salesforce fake (tests/fakes/crm_salesforce.py), with the runtime's own
code (run_processor): ``crm.lane: record`` (one command at a time) vs ``crm.lane: bulk`` (the
batch sink: Bulk API 2.0 jobs / sObject Collections at each checkpoint). Every command of the
mapper counts (upserts, file, timeline event). Prints calls, not time.

    python bench/crm_lanes.py --docs 200 --checkpoint 20000 [--lanes bulk]
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "tests" / "streams" / "crm")]


def main() -> None:
    from fakes.crm_salesforce import FakeSalesforce
    from streams.crm.batch import CrmBatchSink
    from streams.crm.sink import CrmSink
    from streams.runtime import Processor
    from streams.runtime.testing import run_processor
    from test_crm_bulk_lane import IN, PDF, _backlog, _salesforce

    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=200)
    parser.add_argument("--checkpoint", type=int, default=20_000, help="commands per checkpoint (bulk lane)")
    parser.add_argument("--lanes", default="record,bulk", help="which lanes, comma-separated")
    args = parser.parse_args()
    commands = _backlog("salesforce", args.docs)
    records = [(IN, c) for c in commands]
    for lane in args.lanes.split(","):
        fake = FakeSalesforce(daily_limit=10_000_000)
        sink = CrmSink(_salesforce(fake), fetch=lambda ref: PDF)
        if lane == "record":
            proc = Processor(name="crm", inputs=(IN,), handle=sink.handle, sink=True, stage="crm")
        else:
            proc = Processor(name="crm", inputs=(IN,), stage="crm", batch_max_records=args.checkpoint,
                             batch_sink=CrmBatchSink(sink, sleep=lambda s: None))
        run = run_processor(proc, records)
        statuses = Counter(s["status"] for s in run.on("documents.status"))
        print(f"{lane:6} lane: {args.docs} documents, {len(commands)} commands -> {fake.api_used} API calls "
              f"({fake.api_used / args.docs:.1f} per document), {len(fake.jobs)} ingest jobs, "
              f"{sum(statuses.values())} statuses, {len(run.dead)} dead", flush=True)


if __name__ == "__main__":
    main()
