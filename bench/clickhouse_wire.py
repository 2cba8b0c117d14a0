"""What the official drivers' wire format costs the ClickHouse HTTP interface: the same
10,000-row answer as TabSeparated (what clickhouse_connect's plain text path and curl get),
as chDB writes Native (revision 0), as Native at clickhouse-go's revision (the re-framing walk), and as Native in LZ4 blocks (clickhouse-go with
``Compression: LZ4``; the JDBC driver's ``compress=1`` frames RowBinary the same way),
side by side in one process on a throwaway chDB directory, through ``ClickHouseHttp.handle``.

    python bench/clickhouse_wire.py --rounds 20

Prints per-answer medians, sizes and the ratios to TabSeparated; nothing is asserted.
"""

from __future__ import annotations

import argparse
import base64
import statistics
import tempfile
import time

SQL = b"SELECT number, toString(number) AS s, [number, 1] AS a, toDateTime(number) AS t FROM numbers(10000)"
VARIANTS = {"TabSeparated": "default_format=TabSeparated",
            "Native (rev 0, chDB's)": "default_format=Native",
            "Native (rev 54460)": "default_format=Native&client_protocol_version=54460",
            "Native + LZ4 blocks": "default_format=Native&client_protocol_version=54460&compress=1"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()

    from inkstream.settings import load_settings
    from streams.audit.analysts import Analysts, analysts_path
    from streams.audit.clickhouse_http import ClickHouseHttp
    from streams.audit.store import connect

    settings = load_settings(data_dir=tempfile.mkdtemp(prefix="chwire-"), environment="development")
    settings = settings.model_copy(update={"clickhouse": settings.clickhouse.model_copy(update={"url": None}),
                                           "audit": settings.audit.model_copy(update={"query_row_limit": 100_000})})
    connect(settings)
    analysts = Analysts(analysts_path(settings))
    secret = analysts.add("bench")
    http = ClickHouseHttp(settings, analysts)
    headers = {"Authorization": "Basic " + base64.b64encode(f"bench:{secret}".encode()).decode()}
    times: dict[str, list[float]] = {name: [] for name in VARIANTS}
    sizes: dict[str, int] = {}
    for _ in range(args.rounds):   # interleaved, so every variant sees the same machine load
        for name, query in VARIANTS.items():
            t = time.perf_counter()
            reply = http.handle(query, headers, SQL)
            times[name].append(time.perf_counter() - t)
            assert reply.status == 200, reply.body[:200]
            sizes[name] = len(reply.body)
    base = statistics.median(times["TabSeparated"])
    for name in VARIANTS:
        m = statistics.median(times[name])
        print(f"{name:22s} {m * 1000:7.2f} ms  ({m / base:4.2f}x TabSeparated)  {sizes[name]:>8} bytes "
              f"({sizes[name] / sizes['TabSeparated']:4.2f}x)")


if __name__ == "__main__":
    main()
