"""The audit sink started again inside its process (the runtime does that after a fatal
Kafka error, e.g. a commit while the broker restarts) must get its query endpoint back on
the same fixed port: it used to die with "cannot bind" and leave the audit trail unwritten."""

from __future__ import annotations

import json
import os
import socket

import httpx

from inkstream.settings import load_settings
from streams.audit import processor
from streams.audit.query import discovery_file, running_endpoint
from schemas.codec import Codec


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_sink_started_again_in_its_process_takes_its_fixed_query_port_back(chdb_dir):
    # chdb_dir (conftest): chDB opens one directory per process, shared by every audit test.
    port = _free_port()
    settings = load_settings(data_dir=chdb_dir, environment="development", audit={"query_port": port},
                             registry={"enabled": False})
    started = []
    try:
        started.append(processor.factory(settings, codec=Codec()))
        first = json.loads(discovery_file(settings).read_text())["token"]
        started[0].close()  # what its worker does when it stops (serve's finally), a fatal Kafka error too
        started.append(processor.factory(settings, codec=Codec()))  # what run_workers does next
        info = json.loads(discovery_file(settings).read_text())
        assert info["port"] == port and info["pid"] == os.getpid() and info["token"] != first
        endpoint = running_endpoint(settings)
        assert endpoint is not None
        assert httpx.get(f"http://127.0.0.1:{port}/healthz").json()["pid"] == os.getpid()
        assert [list(row) for row in endpoint.query("SELECT 1")[1]] == [[1]]
    finally:
        started[-1].close()
