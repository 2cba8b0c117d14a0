"""The e-sign path as separate processes on the real stack, with no vendor credentials
(the SIMULATED provider): ``inkstream run esign.dispatch``, ``inkstream run webhooks``,
``inkstream simulate esign`` and ``inkstream run esign.complete``."""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from esign_flow_harness import read_topic, signature_command

from connectors.esign.simulated import signed_pdf
from connectors.objectstore import ObjectRef

pytestmark = [pytest.mark.stack, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[3]
INKSTREAM = [str(Path(sys.executable).with_name("inkstream"))]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _until(what, predicate, timeout=180.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(1.0)
    pytest.fail(f"timed out waiting for {what}")


def test_signature_request_to_stored_signed_pdf_across_processes(settings, store, original):
    from confluent_kafka import Producer

    from ops.stack.topics import ensure_topics
    from session_codec import encode

    ensure_topics(settings)
    env = {**os.environ, "INKSTREAM_TOPICS__PREFIX": settings.topics.prefix}
    port = _free_port()
    procs = [subprocess.Popen([*INKSTREAM, *args], cwd=ROOT, env=env, start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
             for args in (["run", "esign.dispatch"], ["run", "esign.complete"], ["run", "webhooks", "--port", str(port)])]
    try:
        doc_id = f"doc-{uuid.uuid4().hex[:8]}"
        producer = Producer({"bootstrap.servers": settings.kafka.bootstrap})
        producer.produce(settings.topics.name("crm.commands"), key=doc_id.encode(),
                         value=encode("crm.commands", signature_command(doc_id, original[0])))
        producer.flush(10)

        state = _until("the envelope", lambda: [v for _, v in read_topic(settings, "esign.envelopes") if v["doc_id"] == doc_id])
        envelope_id = state[0]["envelope_id"]
        assert state[0]["provider"] == "simulated"

        result = subprocess.run([*INKSTREAM, "simulate", "esign", "--provider", "standard", "--doc-id", doc_id,
                                 "--url", f"http://127.0.0.1:{port}"], cwd=ROOT, env=env, capture_output=True,
                                text=True, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr

        commands = _until("the CRM commands", lambda: [v for _, v in read_topic(settings, "crm.commands")
                                                        if v["doc_id"] == doc_id and v["producer"]["name"] == "esign.complete"])
        attach = next(c for c in commands if c["operation"] == "attach_file")
        expected = signed_pdf(envelope_id)
        assert attach["file"]["key"] == f"signed/{doc_id}/{hashlib.sha256(expected).hexdigest()}.pdf"
        assert store.get(ObjectRef.from_record(attach["file"])) == expected
        assert store.get(original[0]) == original[1]
        events = [v["event_type"] for k, v in read_topic(settings, "esign.events") if k == doc_id]
        assert events[:4] == ["sent", "delivered", "signed", "completed"]
    finally:
        for proc in procs:
            os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
