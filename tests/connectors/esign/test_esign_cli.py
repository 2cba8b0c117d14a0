"""``inkstream run webhooks --port N`` as a real process, driven by ``inkstream simulate esign``,
on the real broker, with the local development secrets on both sides."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
from test_webhook_gateway_kafka import _read_all

pytestmark = pytest.mark.stack
ROOT = Path(__file__).resolve().parents[3]
INKSTREAM = [sys.executable, "-m", "inkstream"] if (ROOT / "inkstream" / "__main__.py").exists() else \
    [str(Path(sys.executable).with_name("inkstream"))]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_gateway_process_turns_a_simulated_docusign_sequence_into_esign_events(settings):
    from ops.stack.topics import ensure_topics

    ensure_topics(settings)
    port = _free_port()
    env = {**os.environ, "INKSTREAM_TOPICS__PREFIX": settings.topics.prefix}
    gateway = subprocess.Popen([*INKSTREAM, "run", "webhooks", "--port", str(port)], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        else:
            pytest.fail("gateway did not start")
        doc_id = f"doc-{uuid.uuid4().hex[:8]}"
        result = subprocess.run([*INKSTREAM, "simulate", "esign", "--provider", "docusign", "--doc-id", doc_id,
                                 "--envelope-id", "env-cli", "--url", f"http://127.0.0.1:{port}"],
                                cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr
        bad = httpx.post(f"http://127.0.0.1:{port}/webhooks/standard", content=b"{}",
                         headers={"webhook-id": "m", "webhook-timestamp": str(int(time.time())), "webhook-signature": "v1,AAAA"})
        assert bad.status_code == 401
        metrics = httpx.get(f"http://127.0.0.1:{port}/metrics").text
        assert 'inkstream_webhook_verification_failures_total{provider="standard",reason="bad_signature"} 1.0' in metrics
    finally:
        gateway.send_signal(signal.SIGTERM)
        output = gateway.communicate(timeout=30)[0].decode()
    assert "LOCAL DEVELOPMENT secret" in output
    events = _read_all(settings, "esign.events")
    assert [(k, v["event_type"]) for k, v in events] == [(doc_id, s) for s in ("sent", "delivered", "signed", "completed")]
