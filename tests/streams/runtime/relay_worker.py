"""Subprocess entry of the kill -9 test: the example relay, slowed down so that a kill
lands in the middle of a batch, run by the real runtime (``serve``).

Environment: INKSTREAM_TOPICS__PREFIX (the test's prefix), RELAY_EXACTLY_ONCE (1/0),
RELAY_DELAY_S (seconds per record).
"""

from __future__ import annotations

import logging
import os
import time

from inkstream.settings import load_settings
from schemas.codec import Codec
from streams.runtime import Processor
from streams.runtime.examples import relay
from streams.runtime.workers import serve

DELAY = float(os.environ.get("RELAY_DELAY_S", "0.002"))


def slow_relay(record, ctx):
    time.sleep(DELAY)
    yield from relay(record, ctx)


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    proc = Processor(name="relay", inputs=("documents.ingested",), handle=slow_relay,
                     batch_max_records=50, batch_max_seconds=0.2)
    settings = load_settings()
    serve(proc, settings, codec=Codec.from_settings(settings),
          exactly_once=os.environ.get("RELAY_EXACTLY_ONCE", "1") == "1", metrics_port=None)
