"""Issue 14 item 3, with the analysts' real tools: the audit service's ClickHouse HTTP
interface answers ClickHouse's official JDBC driver (``com.clickhouse:clickhouse-jdbc``, the
driver DBeaver uses) and ``clickhouse-go`` v2 over HTTP (what Grafana's ClickHouse data
source uses), each running ``SELECT count() FROM audit_events`` and a finance-dashboard
panel's query with an analyst's credentials.

The clients live in ``clients/``: a Java file launched as a single-file program on the
driver's classpath (Maven resolves it once into ``~/.m2`` from ``clients/jdbc/pom.xml``),
and a Go program with its ``go.mod``/``go.sum`` (modules cached in Go's module cache).
A missing toolchain skips with the reason; CI has Java, Maven and Go, so there they run,
and a broken interface fails them."""

from __future__ import annotations

import os
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from test_finance_dashboard import _expand, _panels, _records

from streams.audit.analysts import Analysts, analysts_path
from streams.audit.query import QueryServer
from streams.audit.sink import AuditSink
from streams.runtime import Processor
from streams.runtime.testing import run_processor

CLIENTS = Path(__file__).resolve().parent / "clients"
PANEL = "Contract value by month and currency"
# The panel's rows for test_finance_dashboard's documents (as that file asserts them).
PANEL_ROWS = [("2026-01", "EUR", Decimal("1500.50")), ("2026-02", "USD", Decimal("200.00"))]
EVENTS = len(_records())
_GO = shutil.which("go") or next((p for p in ("/usr/local/go/bin/go",) if os.access(p, os.X_OK)), None)


def _tool(name: str, path: str | None) -> str:
    if not path:
        pytest.skip(f"{name} is not installed here (CI installs it: .ci/run)")
    return path


@pytest.fixture
def served(store, audit_settings):
    from session_codec import session_codec

    run_processor(Processor(name="audit", inputs=("x",), batch_sink=AuditSink(lambda: store,
                                                                              decode=session_codec().decode)),
                  _records())
    settings = audit_settings.model_copy(update={"audit": audit_settings.audit.model_copy(update={"query_port": 0})})
    analysts = Analysts(analysts_path(settings))
    secret = analysts.add("tool")
    srv = QueryServer(store, settings).start()
    yield srv, settings, secret
    srv.stop()
    analysts.remove("tool")


@pytest.fixture(scope="session")
def jdbc_classpath(tmp_path_factory) -> str:
    # javac stands for the JDK: `java File.java` compiles with its jdk.compiler module
    _tool("java", shutil.which("java"))
    _tool("javac (a JDK)", shutil.which("javac"))
    mvn = _tool("mvn", shutil.which("mvn"))
    out = tmp_path_factory.mktemp("jdbc") / "classpath"
    result = subprocess.run([mvn, "-B", "-q", "-f", str(CLIENTS / "jdbc" / "pom.xml"), "dependency:build-classpath",
                             f"-Dmdep.outputFile={out}"], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"Maven could not resolve the JDBC driver:\n{result.stdout}{result.stderr}"
    return out.read_text().strip()


@pytest.fixture(scope="session")
def go_client(tmp_path_factory) -> Path:
    go = _tool("go", _GO)
    binary = tmp_path_factory.mktemp("goclient") / "client"
    result = subprocess.run([go, "build", "-o", str(binary), "."], cwd=CLIENTS / "golang", capture_output=True,
                            text=True, timeout=900, env={**os.environ, "GOFLAGS": "-mod=readonly -buildvcs=false"})
    assert result.returncode == 0, f"go build failed:\n{result.stdout}{result.stderr}"
    return binary


def _run(argv: list[str], env: dict[str, str] | None = None) -> str:
    result = subprocess.run(argv, capture_output=True, text=True, timeout=180, env={**os.environ, **(env or {})})
    assert result.returncode == 0, f"{argv[0]} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
    return result.stdout


def _panel_rows(lines: list[list[str]]) -> list[tuple[str, str, Decimal]]:
    return [(month[:7], currency, Decimal(value)) for month, currency, value in lines]


def test_the_official_jdbc_driver_counts_events_and_runs_a_dashboard_panel(served, jdbc_classpath):
    srv, settings, secret = served
    url = f"jdbc:clickhouse://127.0.0.1:{srv.port}/{settings.clickhouse.database}"
    out = _run(["java", "-cp", jdbc_classpath, str(CLIENTS / "jdbc" / "AuditQuery.java"), url, "tool", secret,
                "SELECT count() FROM audit_events", _expand(_panels()[PANEL])])
    lines = out.splitlines()
    assert lines[0].startswith("server\tClickHouse\t"), lines[0]
    # DBeaver's navigator: the tables and views, and a table's columns (DatabaseMetaData)
    assert {"audit_events", "documents", "v_contract_value_by_month"} <= set(lines[1].split("\t")[1:]), lines[1]
    assert lines[2].split("\t")[1:4] == ["doc_id", "seq", "event_id"], lines[2]
    count, panel = "\n".join(lines[3:]).split("\n--\n", 1)
    assert count == str(EVENTS)
    assert _panel_rows([row.split("\t") for row in panel.strip().removesuffix("--").strip().splitlines()]) == PANEL_ROWS


def test_the_jdbc_driver_is_refused_with_a_wrong_secret_and_cannot_write(served, jdbc_classpath):
    srv, settings, secret = served
    url = f"jdbc:clickhouse://127.0.0.1:{srv.port}/{settings.clickhouse.database}"
    java = ["java", "-cp", jdbc_classpath, str(CLIENTS / "jdbc" / "AuditQuery.java"), url]
    wrong = subprocess.run(java + ["tool", "wrong", "SELECT 1"], capture_output=True, text=True, timeout=180)
    assert wrong.returncode != 0 and "516" in wrong.stderr + wrong.stdout
    write = subprocess.run(java + ["tool", secret, "INSERT INTO documents (doc_id) VALUES ('x')"],
                           capture_output=True, text=True, timeout=180)
    assert write.returncode != 0 and "readonly" in (write.stderr + write.stdout).lower()


@pytest.mark.parametrize("compress", ["", "lz4"])
def test_clickhouse_go_over_http_counts_events_and_runs_a_dashboard_panel(served, go_client, compress):
    """Plain, and with LZ4 blocks, whose CityHash128 checksums clickhouse-go (ch-go) checks."""
    import json

    srv, settings, secret = served
    out = _run([str(go_client), f"127.0.0.1:{srv.port}", "tool", secret, settings.clickhouse.database,
                "SELECT count() FROM audit_events", _expand(_panels()[PANEL]),
                # what the data source's query builder asks to list tables
                "SELECT name FROM system.tables WHERE database = currentDatabase() AND name LIKE 'v_contract%'"],
               env={"CH_COMPRESS": compress})
    count, panel, tables = (json.loads(line) for line in out.splitlines())
    assert count == [[str(EVENTS)]] and tables == [["v_contract_value_by_month"]]
    assert _panel_rows(panel) == PANEL_ROWS


def test_clickhouse_go_reads_every_column_shape_an_analyst_selects(served, go_client):
    """The Native re-framing (streams/audit/ch_native.py) walks each type's bytes: nested,
    nullable, fixed, variable and LowCardinality columns, over two blocks, decode in the driver."""
    import json

    srv, settings, secret = served
    columns = ("number AS n, toString(number) AS s, [number, 2] AS a, (number, 'x') AS t, map('k', number) AS m, "
               "if(number = 1, NULL, number) AS nul, toFixedString('ab', 2) AS f, toDecimal64(1.5, 3) AS d, "
               "toUUID('61f0c404-5cb3-11e7-907b-a6006ad3dba0') AS u, "
               "toDateTime64('2026-01-02 03:04:05', 3, 'UTC') AS dt, toLowCardinality('lc') AS lc, "
               "CAST('b' AS Enum8('a' = 1, 'b' = 2)) AS e, toDate('2026-03-04') AS day")
    sql = f"SELECT {columns} FROM numbers(0, 2) UNION ALL SELECT {columns} FROM numbers(2, 1)"   # two blocks
    out = _run([str(go_client), f"127.0.0.1:{srv.port}", "tool", secret, settings.clickhouse.database, sql])
    rows = sorted(json.loads(out), key=lambda r: r[0])
    assert [r[:2] for r in rows] == [["0", "0"], ["1", "1"], ["2", "2"]]
    assert rows[1][5] == "NULL" and rows[2][5] == "2"
    assert rows[0][6:] == ["ab", "1.5", "61f0c404-5cb3-11e7-907b-a6006ad3dba0", "2026-01-02 03:04:05", "lc", "b",
                           "2026-03-04 00:00:00"]
    assert rows[2][2] == "[2 2]" and "x" in rows[0][3] and "k" in rows[0][4]


def test_clickhouse_go_is_refused_with_a_wrong_secret(served, go_client):
    srv, settings, _ = served
    result = subprocess.run([str(go_client), f"127.0.0.1:{srv.port}", "tool", "wrong", settings.clickhouse.database,
                             "SELECT 1"], capture_output=True, text=True, timeout=180)
    assert result.returncode != 0 and "516" in result.stderr
