"""Issue 14 item 3: the audit sink answers ClickHouse's HTTP protocol, read-only, and the
stock ``clickhouse_connect`` HTTP client works against it unchanged."""

from __future__ import annotations

import base64

import audit_samples as s
import clickhouse_connect
import httpx
import pytest
from clickhouse_connect.driver.exceptions import DatabaseError

from streams.audit.analysts import Analysts, analysts_path
from streams.audit.query import QueryServer
from streams.audit.sink import AuditSink
from streams.runtime import Processor
from streams.runtime.testing import run_processor


@pytest.fixture
def served(store, audit_settings):
    settings = audit_settings.model_copy(update={"audit": audit_settings.audit.model_copy(
        update={"query_port": 0, "query_row_limit": 1000, "query_max_memory_mb": 64})})
    records = [("documents.ingested", s.ingested(f"d{i}", source="email" if i % 2 else "folder")) for i in range(6)]
    run_processor(Processor(name="audit", inputs=("x",), batch_sink=AuditSink(lambda: store)), records)
    analysts = Analysts(analysts_path(settings))
    secret = analysts.add("fin")
    srv = QueryServer(store, settings).start()
    yield srv, settings, secret
    srv.stop()
    analysts.remove("fin")


def _client(srv, settings, secret, **kw):
    return clickhouse_connect.get_client(host="127.0.0.1", port=srv.port, username="fin", password=secret,
                                         database=settings.clickhouse.database, **kw)


def test_the_stock_clickhouse_connect_client_counts_the_audit_events(served):
    srv, settings, secret = served
    client = _client(srv, settings, secret)
    assert client.query("SELECT count() FROM audit_events").result_rows == [(6,)]
    assert client.command("SELECT count() FROM documents FINAL WHERE source = 'email'") == 3
    rows = client.query("SELECT source, count() AS n FROM documents FINAL WHERE source = {s:String} GROUP BY source",
                        parameters={"s": "folder"}).result_rows
    assert rows == [("folder", 3)]
    assert client.query_df is not None and client.ping()


def test_the_client_gets_the_engine_refusals_as_errors(served, tmp_path):
    srv, settings, secret = served
    client = _client(srv, settings, secret)
    with pytest.raises(DatabaseError, match="not allowed"):
        client.query(f"DESCRIBE file('{tmp_path}/x', 'LineAsString')")
    with pytest.raises(DatabaseError, match="(?i)readonly"):
        client.command("DROP TABLE audit_events")
    with pytest.raises(DatabaseError, match="(?i)readonly"):
        client.command("INSERT INTO documents (doc_id) VALUES ('x')")
    assert client.command("SELECT count() FROM audit_events") == 6


def test_a_wrong_secret_or_no_user_is_refused(served):
    srv, settings, _ = served
    with pytest.raises(Exception, match="AUTHENTICATION_FAILED|516"):
        clickhouse_connect.get_client(host="127.0.0.1", port=srv.port, username="fin", password="wrong")
    resp = httpx.get(f"http://127.0.0.1:{srv.port}/", params={"query": "SELECT 1"})
    assert resp.status_code == 401 and resp.headers["X-ClickHouse-Exception-Code"] == "516"


def test_the_plain_http_protocol_query_in_url_body_format_and_settings(served):
    srv, settings, secret = served
    base = f"http://127.0.0.1:{srv.port}/"
    assert httpx.get(f"http://127.0.0.1:{srv.port}/ping").text == "Ok.\n"
    headers = {"X-ClickHouse-User": "fin", "X-ClickHouse-Key": secret}
    # query in the URL, default TabSeparated
    assert httpx.get(base, params={"query": "SELECT count() FROM audit_events"}, headers=headers).text == "6\n"
    # query in the body, FORMAT in the statement
    resp = httpx.post(base, content=b"SELECT source, count() AS n FROM documents FINAL GROUP BY source "
                                     b"ORDER BY source FORMAT JSONEachRow", headers=headers)
    assert resp.status_code == 200 and resp.headers["X-ClickHouse-Format"] == "JSONEachRow"
    assert resp.text.splitlines() == ['{"source":"email","n":3}', '{"source":"folder","n":3}']
    # default_format, database, param_, protocol parameters, basic auth
    basic = "Basic " + base64.b64encode(f"fin:{secret}".encode()).decode()
    resp = httpx.post(base, params={"default_format": "CSV", "database": settings.clickhouse.database,
                                    "param_n": "2", "session_id": "s1", "query_id": "q1"},
                      content=b"SELECT number, 'x' FROM numbers({n:UInt8})", headers={"Authorization": basic})
    assert resp.status_code == 200 and resp.text == '0,"x"\n1,"x"\n', resp.text
    assert resp.headers["X-ClickHouse-Query-Id"] == "q1"
    # query in the URL and the rest in the body, as ClickHouse concatenates them
    resp = httpx.post(base, params={"query": "SELECT count()"}, content=b"FROM audit_events", headers=headers)
    assert resp.text == "6\n"


def test_the_interface_stays_read_only_and_capped(served):
    srv, settings, secret = served
    base = f"http://127.0.0.1:{srv.port}/"
    headers = {"X-ClickHouse-User": "fin", "X-ClickHouse-Key": secret}
    resp = httpx.post(base, params={"readonly": "0", "max_memory_usage": "0"}, content=b"SELECT 1", headers=headers)
    assert resp.status_code == 400 and "max_memory_usage" in resp.text
    resp = httpx.post(base, params={"database": "system"}, content=b"SELECT 1", headers=headers)
    assert resp.status_code == 404 and "UNKNOWN_DATABASE" in resp.text
    resp = httpx.post(base, content=b"SELECT 1 INTO OUTFILE '/tmp/x' TRUNCATE", headers=headers)
    assert resp.status_code == 400 and "INTO OUTFILE" in resp.text
    resp = httpx.post(base, content=b"SELECT number FROM numbers(100000000) FORMAT TSV", headers=headers)
    assert resp.status_code == 200 and len(resp.text.splitlines()) < 100_000   # row cap (block granular)
    resp = httpx.post(base, content=b"SELECT length(groupArray(number)) FROM numbers(300000000)", headers=headers)
    assert resp.status_code == 422 and "MEMORY_LIMIT_EXCEEDED" in resp.text


def test_analyst_traffic_leaves_the_sink_session_writable(served, store):
    srv, settings, secret = served
    headers = {"X-ClickHouse-User": "fin", "X-ClickHouse-Key": secret}
    assert httpx.post(f"http://127.0.0.1:{srv.port}/", content=b"SELECT 1", headers=headers).status_code == 200
    run_processor(Processor(name="audit", inputs=("x",), batch_sink=AuditSink(lambda: store)),
                  [("documents.ingested", s.ingested("after"))])
    assert store.query("SELECT count() FROM audit_events")[1] == [(7,)]


def test_a_removed_analyst_is_refused_at_once(served):
    srv, settings, secret = served
    headers = {"X-ClickHouse-User": "fin", "X-ClickHouse-Key": secret}
    base = f"http://127.0.0.1:{srv.port}/"
    assert httpx.get(base, params={"query": "SELECT 1"}, headers=headers).status_code == 200
    Analysts(analysts_path(settings)).remove("fin")
    assert httpx.get(base, params={"query": "SELECT 1"}, headers=headers).status_code == 401


def test_analysts_file_is_private_and_holds_no_secret(served):
    _, settings, secret = served
    path = analysts_path(settings)
    assert oct(path.stat().st_mode & 0o777) == "0o600" and secret not in path.read_text()


@pytest.mark.stack
def test_inkstream_analyst_add_is_audited_and_its_secret_works(store, audit_settings, monkeypatch):
    import typer
    from tests.inkstream.admin_audit_kafka import create_admin_topic, read_admin_actions
    from typer.testing import CliRunner

    from app.commands.analysts import register
    from session_codec import decode

    create_admin_topic(audit_settings)
    env = {"INKSTREAM_DATA_DIR": str(audit_settings.data_dir), "INKSTREAM_TOPICS__PREFIX": audit_settings.topics.prefix,
           "INKSTREAM_CLICKHOUSE__DATABASE": audit_settings.clickhouse.database}
    app = typer.Typer()
    register(app)
    result = CliRunner().invoke(app, ["analyst", "add", "bi.tool"], env=env)
    assert result.exit_code == 0, result.output
    secret = result.stdout.splitlines()[0]
    assert Analysts(analysts_path(audit_settings)).check("bi.tool", secret)
    assert "bi.tool" in CliRunner().invoke(app, ["analyst", "list"], env=env).stdout
    assert CliRunner().invoke(app, ["analyst", "remove", "bi.tool"], env=env).exit_code == 0
    actions = [(decode(v)["action"], decode(v)["target"]) for _, v in read_admin_actions(audit_settings)]
    assert actions == [("analyst.add", "bi.tool"), ("analyst.remove", "bi.tool")]
    assert not Analysts(analysts_path(audit_settings)).check("bi.tool", secret)
