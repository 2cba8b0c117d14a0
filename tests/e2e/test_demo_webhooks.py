"""Issue 14's Done-when, on the demo itself: ``inkstream demo``'s run (``app.demo_run``, every
processor a real process on the real stack, with ``webhooks.fanout`` and ``webhooks.deliver``)
delivers signed outbound webhooks for every sample document to the receiver the demo
subscribed, and each one verifies with the official ``standardwebhooks`` library.

The samples are copied with a fresh trailer each (a PDF comment after %%EOF) so they are
new documents in the shared object store; the run has its own data dir and topic prefix.
The demo's processors listen on the demo's fixed ports: no other demo may run meanwhile.
"""

from __future__ import annotations

import io
import json
import shutil
import uuid
from collections import Counter
from pathlib import Path

import pytest
from standardwebhooks.webhooks import Webhook
from topic_admin import delete_prefixed, new_prefix  # tests/topic_admin.py

pytestmark = [pytest.mark.stack, pytest.mark.slow]
SAMPLES = Path(__file__).resolve().parents[2] / "samples"


@pytest.fixture(scope="module")
def demo(tmp_path_factory, base_settings):
    from rich.console import Console

    from app.demo import DEMO_MODES
    from app.demo_run import DemoRun
    from inkstream.settings import load_settings
    from ops.stack.topics import ensure_topics

    data_dir, samples = tmp_path_factory.mktemp("demo-data"), tmp_path_factory.mktemp("demo-samples")
    for path in SAMPLES.iterdir():
        data = path.read_bytes()
        if path.suffix == ".pdf":
            data += f"\n% demo-webhooks {uuid.uuid4()}\n".encode()
        (samples / path.name).write_bytes(data)
    env = pytest.MonkeyPatch()
    prefix = new_prefix("dw")  # its topics and groups are deleted when the module ends
    for var, value in {**DEMO_MODES, "INKSTREAM_DATA_DIR": str(data_dir),
                       "INKSTREAM_TOPICS__PREFIX": prefix}.items():
        env.setenv(var, value)   # the processes the demo starts inherit them
    try:
        settings = load_settings()
        out = io.StringIO()
        run = DemoRun(settings, Console(file=out, width=240), samples=samples, review_by_hand=False,
                      keep_running=False, timeout=900)
        # The shared stack is up (the stack marker); this data dir needs only its topics.
        run._stack = lambda: ensure_topics(settings)
        ok = run.run()
        yield run, ok, out.getvalue()
    finally:
        env.undo()
        shutil.rmtree(data_dir / "logs", ignore_errors=True)
        delete_prefixed(base_settings, prefix)


def test_every_demo_document_gets_its_webhooks_signed_and_verified_by_the_official_library(demo):
    run, ok, report = demo
    print(report)   # the demo's own table (pytest -s)
    labels = json.loads((SAMPLES / "labels.json").read_text())
    assert ok, report
    assert "all signatures verified; 0 duplicate webhook-id(s)" in report, report
    mine = [d for d in run.webhooks.receiver.deliveries if d.doc_id in run.docs]
    official = Webhook(run.webhooks.sub.secret)
    events: dict[str, list[str]] = {doc: [] for doc in run.docs}
    for delivery in mine:
        payload = official.verify(delivery.body, delivery.headers)   # raises if the signature is wrong
        assert payload["type"] == delivery.event_type and payload["data"]["doc_id"] == delivery.doc_id
        events[delivery.doc_id].append(delivery.event_type)
    # each event once: no webhook-id twice, and no event type twice for one document
    assert [i for i, n in Counter(d.webhook_id for d in mine).items() if n > 1] == []
    for doc_id, name in run.docs.items():
        got = events[doc_id]
        assert len(got) == len(set(got)), (name, got)
        assert {"document.ingested", "document.read"} <= set(got), (name, got)
        assert {"document.accepted", "document.failed"} & set(got), (name, got)   # a terminal decision
        if labels[name]["expected_status"] == "review":
            assert "document.needs_review" in got, (name, got)
            assert got.index("document.needs_review") < got.index("document.accepted"), (name, got)
        if doc_id in run.simulated:   # the demo signed its envelope: the integrator hears it
            assert "esign.completed" in got, (name, got)
    assert any("esign.completed" in got for got in events.values())
    # the report shows them per document, and the subscription is gone after the run
    assert "webhooks received" in report
    assert run.webhooks.subs.get(run.webhooks.sub.id) is None
