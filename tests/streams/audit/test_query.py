"""The sink's read-only query endpoint, and `inkstream query` through it or directly."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import audit_samples as s
import httpx
import pytest
import typer
from typer.testing import CliRunner

from inkstream.errors import ConnectorError
from app.commands.audit import register
from streams.audit.query import QueryClient, QueryServer, discovery_file, open_reader
from streams.audit.sink import AuditSink
from streams.runtime import Processor
from streams.runtime.testing import run_processor
from schemas.codec import Codec


@pytest.fixture
def query_settings(audit_settings):
    return audit_settings.model_copy(update={
        "audit": audit_settings.audit.model_copy(update={"query_port": 0, "query_row_limit": 5})})


@pytest.fixture
def server(store, query_settings):
    records = [("documents.ingested", s.ingested(f"d{i}", source="email" if i % 2 else "folder")) for i in range(8)]
    run_processor(Processor(name="audit", inputs=("x",), batch_sink=AuditSink(lambda: store)), records)
    srv = QueryServer(store, query_settings).start()
    yield srv
    srv.stop()


def test_the_running_sink_is_found_and_answers_parameterised_selects(server, query_settings):
    reader = open_reader(query_settings)
    assert isinstance(reader, QueryClient)
    cols, rows = reader.query("SELECT source, count() AS n FROM documents FINAL WHERE source = {s:String} "
                              "GROUP BY source", {"s": "email"})
    assert cols == ["source", "n"] and rows == [("email", 4)]
    info = json.loads(discovery_file(query_settings).read_text())
    assert info["port"] == server.port and oct(discovery_file(query_settings).stat().st_mode & 0o777) == "0o600"


@pytest.mark.parametrize("sql", [
    "INSERT INTO documents (doc_id) VALUES ('x')",
    "ALTER TABLE audit_events DELETE WHERE 1",
    "SELECT 1; DROP TABLE audit_events",
    "DROP TABLE audit_events",
])
def test_writes_are_refused_before_reaching_clickhouse(server, query_settings, sql):
    with pytest.raises(ConnectorError, match="400"):
        open_reader(query_settings).query(sql)


@pytest.mark.parametrize("sql", [
    "SELECT count() FROM audit_events SETTINGS readonly = 0",
    "SELECT * FROM file('/etc/passwd', 'LineAsString')",             # the sink host's files
    "SELECT * FROM url('http://127.0.0.1:9090/metrics', 'LineAsString')",  # requests from the sink
])
def test_clickhouse_itself_refuses_what_readonly_forbids(server, query_settings, sql):
    # the guard (400, on the engine's parse tree) or readonly itself (422); test_sql_guard has the rest
    with pytest.raises(ConnectorError, match="(400|422).*(readonly|READONLY|not allowed)"):
        open_reader(query_settings).query(sql)
    assert open_reader(query_settings).query("SELECT count() FROM audit_events")[1] == [(8,)]


def test_a_request_without_the_token_is_refused(server):
    resp = httpx.post(f"http://127.0.0.1:{server.port}/query", json={"sql": "SELECT 1"})
    assert resp.status_code == 401


def test_results_are_cut_at_the_row_limit_and_say_so(server, query_settings):
    reader = open_reader(query_settings)
    body = reader.query_json("SELECT doc_id FROM audit_events ORDER BY doc_id", {}, 100)
    assert len(body["rows"]) == 5 and body["truncated"] is True
    with pytest.raises(ConnectorError, match="more than 5 rows"):
        reader.query("SELECT doc_id FROM audit_events")  # programmatic reads never get a cut result silently


def test_the_endpoint_serves_the_sink_metrics(server):
    assert httpx.get(f"http://127.0.0.1:{server.port}/healthz").json()["status"] == "ok"
    assert httpx.get(f"http://127.0.0.1:{server.port}/metrics").status_code == 200


def test_inkstream_query_from_another_process_goes_through_the_sink(server, env):
    # This test process holds chDB (as the sink does); another process cannot open it and
    # must use the endpoint.
    exe = Path(sys.executable).with_name("inkstream")
    out = subprocess.run([str(exe), "query", "--json", "SELECT source, count() AS n FROM documents FINAL "
                          "WHERE source = {s:String} GROUP BY source", "--param", "s=folder"],
                         env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["rows"] == [["folder", 4]]


def test_inkstream_query_opens_chdb_directly_when_no_sink_runs(store, env):
    run_processor(Processor(name="audit", inputs=("x",), batch_sink=AuditSink(lambda: store)),
                  [("documents.ingested", s.ingested("solo", source="ftp"))])
    app = typer.Typer()
    register(app)
    result = CliRunner().invoke(app, ["query", "SELECT source, filename FROM documents"], env=env)
    assert result.exit_code == 0, result.output
    assert "ftp" in result.output and "solo.pdf" in result.output


def test_a_stale_discovery_file_from_a_killed_sink_is_ignored(store, query_settings, env):
    path = discovery_file(query_settings)
    path.write_text(json.dumps({"pid": 2**22 + 12345, "host": "127.0.0.1", "port": 9, "token": "x"}))
    try:
        assert not isinstance(open_reader(query_settings), QueryClient)
    finally:
        path.unlink()


def test_a_sink_whose_query_port_is_taken_says_which_setting_to_change(store, query_settings):
    import socket

    from inkstream.errors import ConfigError
    from streams.audit.processor import factory

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        busy = query_settings.model_copy(update={"audit": query_settings.audit.model_copy(update={"query_port": port})})
        with pytest.raises(ConfigError, match="INKSTREAM_AUDIT__QUERY_PORT"):
            factory(busy, codec=Codec())
