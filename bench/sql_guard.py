"""The analysts' SQL guard's cost: ``run_readonly`` (engine parse check + capped run) vs the
same statement run directly, side by side in one process on a throwaway chDB directory.

    python bench/sql_guard.py --rounds 200

Prints the per-statement medians and their ratio; nothing is asserted.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()

    from inkstream.settings import load_settings
    from streams.audit.query import run_readonly
    from streams.audit.store import connect

    settings = load_settings(data_dir=tempfile.mkdtemp(prefix="sqlguard-"))
    store = connect(settings)
    sql = "SELECT source, count() AS n FROM documents FINAL WHERE source = {s:String} GROUP BY source"
    params = {"s": "email"}
    direct, guarded = [], []
    for _ in range(args.rounds):   # interleaved, so both see the same machine load
        t = time.perf_counter()
        store.query(sql, params, settings={"readonly": 1})
        direct.append(time.perf_counter() - t)
        t = time.perf_counter()
        run_readonly(store, sql, params, 1000, settings.audit)
        guarded.append(time.perf_counter() - t)
    d, g = statistics.median(direct), statistics.median(guarded)
    print(f"direct  {d * 1000:.2f} ms/statement (median of {args.rounds})")
    print(f"guarded {g * 1000:.2f} ms/statement (EXPLAIN AST + formatQuerySingleLine + capped run)")
    print(f"ratio guarded/direct: {g / d:.2f}")


if __name__ == "__main__":
    main()
