"""How fast a change made on one instance reaches another through ``admin.state``
(inkstream/shared_table.py): two tables on a throw-away topic prefix of the running broker;
each round one writes a key (an API key created or revoked, a session opened or ended) and
the other is watched until it holds it. Also the same with the other instance calling
``sync()`` (what a review session miss does). Prints median and worst per mode, and their
ratio to the plain follower (figures depend on the machine and the broker's load).

    .venv/bin/python bench/shared_state_latency.py --rounds 20
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()

    from inkstream.settings import load_settings
    from inkstream.shared_table import SharedTable

    base = load_settings()
    settings = base.model_copy(update={"topics": base.topics.model_copy(update={"prefix": f"b{uuid.uuid4().hex[:8]}."})})
    a = SharedTable(settings, "admin.state", prefix="bench/").start()
    b = SharedTable(settings, "admin.state", prefix="bench/").start()
    results: dict[str, list[float]] = {"follower": [], "sync": []}
    writes: list[float] = []
    try:
        for n in range(args.rounds):
            for mode, seen in results.items():
                key = f"{mode}-{n}"
                start = time.perf_counter()
                a.put(key, {"n": n})
                written = time.perf_counter()
                if mode == "sync":
                    b.sync(5)
                while b.get(key) is None:
                    time.sleep(0.001)
                    if time.perf_counter() - written > 10:
                        raise SystemExit(f"{key} not seen in 10 s")
                seen.append(time.perf_counter() - written)
                writes.append(written - start)
    finally:
        a.stop(), b.stop()
        from confluent_kafka.admin import AdminClient

        from inkstream.kafka_config import client_config

        AdminClient(client_config(settings)).delete_topics([settings.topics.name("admin.state")])
    print(f"write (durable, acks=all) median {statistics.median(writes) * 1000:7.1f} ms  "
          f"worst {max(writes) * 1000:7.1f} ms")
    base_median = statistics.median(results["follower"])
    for mode, seen in results.items():
        median = statistics.median(seen)
        print(f"{mode:9s} write-to-visible median {median * 1000:7.1f} ms  worst {max(seen) * 1000:7.1f} ms  "
              f"ratio to follower {median / base_median:5.2f}  ({len(seen)} rounds)")


if __name__ == "__main__":
    main()
