"""Issue 13 item 3: the ``CLICKHOUSE_URL`` path, run for real. No ClickHouse server
installs here, so "the server" is inkstream's own ClickHouse HTTP interface served from
this test process's chDB (the one directory the audit tests share, a fresh database per
test); the sinks under test reach it only over HTTP with a *writer* user, exactly as they
would reach a ClickHouse server (``streams.audit.clickhouse_write``)."""

from __future__ import annotations

import uuid
import zlib
from types import SimpleNamespace

import audit_samples as s
import clickhouse_connect
import httpx
import pytest

from streams.audit.analysts import Analysts, analysts_path, writers_path
from streams.audit.query import QueryServer, _Direct
from streams.audit.sink import AuditSink
from streams.audit.store import connect
from streams.audit.verify import verify

PARTITIONS = 4


@pytest.fixture
def server(store, audit_settings):
    """The "ClickHouse server": the audit HTTP interface over this test's database."""
    settings = audit_settings.model_copy(update={"audit": audit_settings.audit.model_copy(
        update={"query_port": 0, "query_row_limit": 100_000})})
    writers = Analysts(writers_path(settings))
    secret = writers.add("sink")
    srv = QueryServer(store, settings).start()
    url = f"http://sink:{secret}@127.0.0.1:{srv.port}/{settings.clickhouse.database}"
    remote = settings.model_copy(update={"clickhouse": settings.clickhouse.model_copy(update={"url": url})})
    connect(remote)   # the DDL over HTTP, once; the sinks below open without it (fewer round trips)
    yield SimpleNamespace(srv=srv, settings=settings, remote=remote, url=url, secret=secret)
    srv.stop()
    writers.remove("sink")


def _ctx(topic: str, partition: int, offset: int, key: str | None):
    return SimpleNamespace(topic=topic, partition=partition, offset=offset, key=key, timestamp_ms=None)


def _partition(doc_id: str) -> int:
    return zlib.crc32(doc_id.encode()) % PARTITIONS   # keyed by doc_id, same count on every topic


def _log(docs: int) -> dict[int, list[tuple[str, dict, str | None]]]:
    """Per partition, the records in offset order: every topic co-partitioned by doc_id,
    plus records of no document (their chain is the partition's)."""
    out: dict[int, list] = {p: [] for p in range(PARTITIONS)}
    for i in range(docs):
        d = f"doc-{i:03d}"
        for topic, rec in (("documents.ingested", s.ingested(d)), ("ocr.results", s.ocr(d)),
                           ("documents.status", s.status(d, "ocr")), ("fields.validated", s.validated(d))):
            out[_partition(d)].append((topic, rec, d))
        if i % 7 == 0:
            out[_partition(d)].append(("crm.commands.dlq", s.dead("crm.commands", b"x", key=d.encode()), d))
    for p in range(PARTITIONS):
        out[p].append(("webhooks.rejected", s.rejected(), None))
    return out


def _feed(sink: AuditSink, log, partitions, start: dict[int, int], upto: int | None = None, batch: int = 7) -> dict:
    """Add each owned partition's records from ``start`` and flush every ``batch`` records;
    returns the offsets reached (what a commit after the last flush would store)."""
    pos = dict(start)
    pending = 0
    for p in partitions:
        end = len(log[p]) if upto is None else min(len(log[p]), upto)
        for offset in range(pos.get(p, 0), end):
            topic, rec, key = log[p][offset]
            sink.add(rec, _ctx(topic, p, offset, key))
            pending += 1
            if pending >= batch:
                sink.flush()
                pending = 0
            pos[p] = offset + 1
    sink.flush()
    return pos


def _rows(store, sql: str) -> list[tuple]:
    return sorted(store.query(sql)[1])


def test_the_same_sql_gives_the_same_rows_on_chdb_and_over_http(server, store, audit_settings):
    """One sink code, two transports: records written through chDB (another database of
    the same engine) and through the HTTP interface end as identical rows."""
    records = [("documents.ingested", s.ingested(f"d{i}")) for i in range(5)] + \
              [("ocr.results", s.ocr(f"d{i}")) for i in range(5)] + [("webhooks.rejected", s.rejected())]
    local_settings = audit_settings.model_copy(update={"clickhouse": audit_settings.clickhouse.model_copy(
        update={"database": f"t_{uuid.uuid4().hex[:12]}"})})
    local = connect(local_settings)
    remote = connect(server.remote)
    assert remote.shared and not local.shared
    for target in (local, remote):
        sink = AuditSink(lambda target=target: target)
        for offset, (topic, rec) in enumerate(records):
            sink.add(rec, _ctx(topic, 0, offset, rec.get("doc_id")))
        sink.flush()
    chain = ("SELECT doc_id, seq, event_id, topic, partition, offset, occurred_at, producer, payload, "
             "payload_sha256, prev_hash, hash FROM audit_events")
    for sql in (chain, "SELECT * FROM documents", "SELECT * FROM ocr_quality", "SELECT * FROM audit_chain_heads "
                "ORDER BY doc_id", "SELECT * FROM v_ocr_quality", "SELECT * FROM webhook_rejections"):
        sql = sql.replace("SELECT * FROM audit_chain_heads", "SELECT doc_id, seq, hash FROM audit_chain_heads")
        assert _rows(local, sql) == _rows(remote, sql) and _rows(local, sql), sql
    # the reads over HTTP return what the engine holds
    assert _rows(remote, chain) == _rows(store, chain)


def test_two_instances_one_killed_mid_run_take_over_and_replay_without_duplicates(server, store):
    log = _log(docs=24)
    total = sum(len(v) for v in log.values())
    a = AuditSink(lambda: connect(server.remote, ddl=False))   # instance "a" owns partitions 0, 1
    b = AuditSink(lambda: connect(server.remote, ddl=False))   # instance "b" owns partitions 2, 3
    committed_a = _feed(a, log, (0, 1), {}, upto=9)      # a flushed and committed up to here
    _feed(a, log, (0, 1), committed_a, upto=17)          # ... flushed more, then died before its commit
    committed_b = _feed(b, log, (2, 3), {}, upto=12)
    # rebalance: b owns every partition and reads a's from a's last commit (a replay of
    # what a wrote but never committed), then its own onward
    c = AuditSink(lambda: connect(server.remote, ddl=False))   # b's worker after the rebalance: a fresh sink
    _feed(c, log, (0, 1, 2, 3), {**committed_a, **committed_b})
    # and a full replay (offsets reset), batched differently: nothing new may appear
    _feed(AuditSink(lambda: connect(server.remote, ddl=False)), log, (3, 2, 1, 0), {}, batch=5)

    assert store.query("SELECT count(), uniqExact(event_id) FROM audit_events")[1] == [(total, total)]
    assert store.query("SELECT count() FROM (SELECT doc_id, seq FROM audit_events GROUP BY doc_id, seq "
                       "HAVING count() > 1)")[1] == [(0,)]
    assert store.query("SELECT count() FROM documents")[1] == [(24,)]    # exact without FINAL
    assert store.query("SELECT count() FROM ocr_quality")[1] == [(24,)]
    # each partition's records of no document are their own chain, seq 1..1
    assert _rows(store, "SELECT doc_id, max(seq) FROM audit_events WHERE startsWith(doc_id, '~') GROUP BY doc_id") \
        == [("~webhooks.rejected", 1), ("~webhooks.rejected/1", 1), ("~webhooks.rejected/2", 1),
            ("~webhooks.rejected/3", 1)]
    report = verify(_Direct(connect(server.remote, ddl=False), 100_000), None)
    assert report.ok, [str(p) for p in report.problems][:5]
    assert report.rows == total and report.chains == 24 + PARTITIONS


def test_a_chain_continues_where_its_previous_owner_left_it(server, store):
    """Ownership moves back and forth: each owner reads the head from the server, never
    from what it remembered when it last owned the partition."""
    d = "doc-moving"
    first, second = AuditSink(lambda: connect(server.remote, ddl=False)), AuditSink(lambda: connect(server.remote, ddl=False))
    for i, sink in enumerate((first, second, first, second)):
        sink.add(s.status(d, f"stage{i}"), _ctx("documents.status", 0, i, d))
        sink.flush()
    rows = store.query("SELECT seq, prev_hash, hash FROM audit_events WHERE doc_id = {d:String} ORDER BY seq",
                       {"d": d})[1]
    assert [r[0] for r in rows] == [1, 2, 3, 4]
    assert all(rows[i][1] == rows[i - 1][2] for i in range(1, 4))
    assert verify(_Direct(store, 1000), None, doc_id=d).ok


def test_writers_write_only_the_audit_database_and_analysts_stay_read_only(server):
    base = f"http://127.0.0.1:{server.srv.port}/"
    db = server.settings.clickhouse.database
    writer = {"X-ClickHouse-User": "sink", "X-ClickHouse-Key": server.secret}
    for sql, why in (("DROP TABLE audit_events", "DROP"), ("TRUNCATE TABLE audit_events", "TRUNCATE"),
                     ("ALTER TABLE audit_events DELETE WHERE 1", "DELETE"),
                     ("INSERT INTO audit_events SELECT * FROM audit_events", "INSERT"),
                     ("INSERT INTO system.users FORMAT TSV\nx", "audit database"),
                     ("CREATE DATABASE other", "audit database"),
                     ("CREATE TABLE t (a String) ENGINE = URL('http://127.0.0.1:1/x', CSV)", "URL"),
                     ("CREATE TABLE t2 AS SELECT * FROM file('/etc/passwd')", "file"),
                     ("SELECT * FROM url('http://127.0.0.1:1/x', CSV)", "url")):
        resp = httpx.post(base, content=sql.encode(), headers=writer)
        assert resp.status_code == 403 and why.lower() in resp.text.lower(), (sql, resp.text)
    ok = httpx.post(base, content=b"INSERT INTO erasures (doc_id, event_id, request_id, erased_at, rows_blanked) "
                    b"FORMAT TSV\nd1\te1\tr1\t2026-01-01 00:00:00\t0\n", headers=writer)
    assert ok.status_code == 200, ok.text
    assert httpx.post(base, content=b"ALTER TABLE erasures UPDATE request_id = 'r2' WHERE doc_id = 'd1'",
                      params={"mutations_sync": "2"}, headers=writer).status_code == 200
    got = httpx.post(base, content=b"SELECT request_id FROM erasures", headers=writer)
    assert got.status_code == 200 and got.text == "r2\n"
    # an analyst cannot write, a writer's secret is not an analyst's
    analysts = Analysts(analysts_path(server.settings))
    secret = analysts.add("fin")
    try:
        resp = httpx.post(base, content=b"INSERT INTO erasures FORMAT TSV\nd\te\tr\t2026-01-01 00:00:00\t0\n",
                          headers={"X-ClickHouse-User": "fin", "X-ClickHouse-Key": secret})
        assert resp.status_code == 400 and "READONLY" in resp.text
    finally:
        analysts.remove("fin")
    assert httpx.post(base, content=b"SELECT 1", headers={"X-ClickHouse-User": "sink", "X-ClickHouse-Key": "no"}
                      ).status_code == 401
    # the stock client, as a writer, over the real wire shapes (lz4 chunked inserts)
    client = clickhouse_connect.get_client(host="127.0.0.1", port=server.srv.port, username="sink",
                                           password=server.secret, database=db)
    client.insert("erasures", [["d2", "e2", "r", s.T0 // 1000, 3]],
                  column_names=["doc_id", "event_id", "request_id", "erased_at", "rows_blanked"])
    assert client.query("SELECT rows_blanked FROM erasures WHERE doc_id = {d:String}",
                        parameters={"d": "d2"}).result_rows == [(3,)]


def test_the_cli_with_clickhouse_url_verifies_and_queries_over_the_server(server, store, env):
    """``CLICKHOUSE_URL`` set: `inkstream audit verify` and `inkstream query` talk to the
    server (never chDB in their own process) and see what the sink wrote there."""
    import typer
    from typer.testing import CliRunner

    from app.commands.audit import register

    sink = AuditSink(lambda: connect(server.remote, ddl=False))
    for offset, d in enumerate(("d1", "d2", "d3")):
        sink.add(s.ingested(d), _ctx("documents.ingested", 0, offset, d))
    sink.flush()
    app = typer.Typer()
    register(app)
    with_url = {**env, "CLICKHOUSE_URL": server.url, "INKSTREAM_AUDIT__QUERY_ROW_LIMIT": "1000"}
    ok = CliRunner().invoke(app, ["audit", "verify", "--no-files"], env=with_url)
    assert ok.exit_code == 0 and "intact" in ok.output, ok.output
    store.command("ALTER TABLE audit_events DELETE WHERE doc_id = 'd2'", settings={"mutations_sync": 2})
    bad = CliRunner().invoke(app, ["audit", "verify", "--no-files"], env=with_url)
    assert bad.exit_code == 1 and "d2" in bad.output
    # a wrong secret is refused by the server, clearly
    wrong = CliRunner().invoke(app, ["audit", "verify", "--no-files"],
                               env={**with_url, "CLICKHOUSE_URL": server.url.replace(server.secret, "nope")})
    assert wrong.exit_code != 0 and "AUTHENTICATION_FAILED" in (wrong.output + str(wrong.exception))


def test_a_big_batch_whose_ids_go_as_a_multipart_form_is_written_once(server, store, monkeypatch):
    """Many chains in one flush: clickhouse_connect moves the bound ids from the URL into a
    multipart/form-data body (as ClickHouse's HTTP interface allows); the server reads it."""
    from streams.audit import clickhouse_http

    forms = []
    real = clickhouse_http._form_fields
    monkeypatch.setattr(clickhouse_http, "_form_fields", lambda *a: forms.append(1) or real(*a))
    sink = AuditSink(lambda: connect(server.remote, ddl=False))
    records = [s.status(f"bulk-{i:03d}-{uuid.uuid4().hex}", "ocr") for i in range(120)]
    for _ in range(2):      # the same batch again: every id is known
        for offset, rec in enumerate(records):
            sink.add(rec, _ctx("documents.status", 0, offset, rec["doc_id"]))
        sink.flush()
    assert forms, "the ids went as a form"
    assert store.query("SELECT count(), uniqExact(doc_id) FROM audit_events")[1] == [(120, 120)]
