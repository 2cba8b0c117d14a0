"""Issue 12 item 2: every escape route from the analysts' SQL, tried through the sink's
endpoint (HTTP 400/422 with a reason) and through ``inkstream query`` in-process."""

from __future__ import annotations

import socket
import threading

import audit_samples as s
import httpx
import pytest
import typer
from typer.testing import CliRunner

from inkstream.errors import ConnectorError
from app.commands.audit import register
from streams.audit.query import QueryServer, open_reader, run_readonly
from streams.audit.sink import AuditSink
from streams.audit.sql_guard import ReadOnlyViolation
from streams.runtime import Processor
from streams.runtime.testing import run_processor


@pytest.fixture
def guarded(store, audit_settings):
    settings = audit_settings.model_copy(update={"audit": audit_settings.audit.model_copy(
        update={"query_port": 0, "query_row_limit": 5, "query_max_memory_mb": 64, "query_max_seconds": 1.0})})
    run_processor(Processor(name="audit", inputs=("x",), batch_sink=AuditSink(lambda: store)),
                  [("documents.ingested", s.ingested(f"d{i}")) for i in range(3)])
    srv = QueryServer(store, settings).start()
    yield srv, settings
    srv.stop()


def _post(srv, sql: str, **extra) -> httpx.Response:
    return httpx.post(f"http://127.0.0.1:{srv.port}/query", json={"sql": sql, **extra},
                      headers={"Authorization": f"Bearer {srv.token}"}, timeout=30)


@pytest.fixture
def secret_file(tmp_path):
    path = tmp_path / "keyring.json"
    path.write_text("KEYRING-MATERIAL-42\nsecond line\n")
    return path


@pytest.fixture
def listener():
    """A TCP socket that records whether anything connected (an outbound request)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    sock.settimeout(0.2)
    hits: list[bool] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except OSError:
                continue
            hits.append(True)
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield sock.getsockname()[1], hits
    stop.set()
    thread.join()
    sock.close()


@pytest.mark.parametrize("template", [
    "DESCRIBE file('{path}', 'LineAsString')",
    "DESCRIBE TABLE file('{path}', 'CSV')",
    "DESC (SELECT * FROM file('{path}', 'LineAsString'))",
    "SELECT file('{path}')",                                   # scalar file() reads the whole file
    "WITH file('{path}') AS k SELECT k",
    "SELECT * FROM file('{path}', 'LineAsString')",
    "SELECT * FROM numbers(1) WHERE toString(number) IN (SELECT * FROM file('{path}', 'LineAsString'))",
    "EXPLAIN SELECT * FROM file('{path}', 'LineAsString')",
    "SELECT * FROM FILE('{path}', 'LineAsString')",
])
def test_no_statement_reads_a_file_of_the_sink_host(guarded, secret_file, template):
    srv, _ = guarded
    resp = _post(srv, template.format(path=secret_file))
    assert resp.status_code == 400, resp.text
    assert "KEYRING" not in resp.text and "not allowed" in resp.json()["error"]


@pytest.mark.parametrize("template", [
    "DESCRIBE url('http://127.0.0.1:{port}/x', 'CSV')",
    "DESCRIBE s3('http://127.0.0.1:{port}/bucket/x.csv', 'CSV')",
    "SELECT * FROM url('http://127.0.0.1:{port}/x', 'LineAsString')",
    "SELECT 1 WHERE 1 IN (SELECT * FROM url('http://127.0.0.1:{port}/x', 'CSV', 'a UInt8'))",
    "DESCRIBE remote('127.0.0.1:{port}', system.one)",
    "SELECT * FROM postgresql('127.0.0.1:{port}', 'db', 't', 'u', 'p')",
    "DESCRIBE executable('x.sh', 'TabSeparated', 'a String')",
    "SELECT * FROM python(x)",
])
def test_no_statement_makes_a_request_or_runs_a_program(guarded, listener, template):
    srv, _ = guarded
    port, hits = listener
    resp = _post(srv, template.format(port=port))
    assert resp.status_code == 400 and "not allowed" in resp.json()["error"], resp.text
    assert hits == []


@pytest.mark.parametrize("template", [
    "SELECT 1 INTO OUTFILE '{path}' TRUNCATE",
    "SELECT doc_id FROM audit_events INTO OUTFILE '{path}' AND STDOUT",
    "select 'into outfile' AS x into   outfile '{path}' COMPRESSION 'gzip'",
])
def test_into_outfile_is_refused_and_writes_nothing(guarded, tmp_path, template):
    srv, _ = guarded
    target = tmp_path / "written.txt"
    resp = _post(srv, template.format(path=target))
    assert resp.status_code == 400 and "INTO OUTFILE" in resp.json()["error"], resp.text
    assert not target.exists()


def test_strings_that_only_mention_the_forbidden_words_still_run(guarded):
    srv, _ = guarded
    resp = _post(srv, "SELECT 'into outfile' AS a, 'file(x)' AS b, number FROM numbers(2) WHERE a != {p:String}",
                 params={"p": "url('x')"})
    assert resp.status_code == 200, resp.text
    assert resp.json()["rows"] == [["into outfile", "file(x)", 0], ["into outfile", "file(x)", 1]]


def test_a_memory_hungry_query_is_stopped_at_the_cap(guarded):
    srv, _ = guarded
    resp = _post(srv, "SELECT length(groupArray(number)) FROM numbers(100000000)")
    assert resp.status_code == 422 and "MEMORY_LIMIT_EXCEEDED" in resp.json()["error"], resp.text


def test_a_long_query_is_stopped_at_the_time_cap(guarded):
    srv, _ = guarded
    resp = _post(srv, "SELECT count() FROM numbers(1000000000000) WHERE sipHash64(number) = 7")
    assert resp.status_code == 422 and "TIMEOUT_EXCEEDED" in resp.json()["error"], resp.text


@pytest.mark.parametrize("sql", [
    "SELECT 1 SETTINGS max_memory_usage = 0",
    "SELECT 1 SETTINGS readonly = 0",
    "SELECT number FROM numbers(10) SETTINGS max_result_rows = 1000000",
])
def test_the_statement_cannot_lift_the_caps(guarded, sql):
    srv, _ = guarded
    resp = _post(srv, sql)
    # refused by the engine, at the check (400) or at the run (422), never run
    assert resp.status_code in (400, 422) and "readonly" in resp.json()["error"].lower(), resp.text


def test_answers_are_cut_at_the_row_cap(guarded):
    srv, _ = guarded
    body = _post(srv, "SELECT number FROM numbers(1000)", limit=1000).json()
    assert len(body["rows"]) == 5 and body["truncated"] is True


def test_a_statement_that_does_not_parse_is_a_400_with_the_engine_reason(guarded):
    srv, _ = guarded
    resp = _post(srv, "SELECT FROM WHERE")
    assert resp.status_code == 400 and "refused to parse" in resp.json()["error"]


@pytest.mark.parametrize("value", ["Bearer tök€n", "Bearer \udcff", "Basic ÿÿÿ"])
def test_a_non_ascii_authorization_header_is_a_401_not_a_dropped_connection(guarded, value):
    srv, _ = guarded
    raw = f"Authorization: {value}".encode("utf-8", "surrogateescape")
    body = b'{"sql": "SELECT 1"}'
    with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as conn:
        conn.sendall(b"POST /query HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + raw +
                     f"\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body)
        reply = b""
        while chunk := conn.recv(65536):
            reply += chunk
    assert reply.startswith(b"HTTP/1.0 401") or reply.startswith(b"HTTP/1.1 401"), reply[:200]


def test_inkstream_query_in_process_refuses_the_same_escapes(store, env, secret_file, tmp_path):
    app = typer.Typer()
    register(app)
    for sql in (f"DESCRIBE file('{secret_file}', 'LineAsString')", f"SELECT file('{secret_file}')",
                f"SELECT 1 INTO OUTFILE '{tmp_path / 'o.txt'}'"):
        result = CliRunner().invoke(app, ["query", sql], env=env)
        assert result.exit_code == 1 and "not allowed" in result.output and "KEYRING" not in result.output
    assert not (tmp_path / "o.txt").exists()


def test_programmatic_readers_get_the_guard_too(store, audit_settings, secret_file):
    with pytest.raises(ReadOnlyViolation):
        run_readonly(store, f"SELECT file('{secret_file}')", None, 10)
    with pytest.raises((ReadOnlyViolation, ConnectorError)):
        open_reader(audit_settings).query(f"DESCRIBE file('{secret_file}')")
