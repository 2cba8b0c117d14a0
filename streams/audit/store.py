"""ClickHouse access for the audit trail: embedded chDB by default, a server when
``settings.clickhouse.url`` is set, both through ``clickhouse-connect``.

chDB rules this module encodes (measured with chdb 4.4 / clickhouse-connect 1.12):

- one OS process per data directory: a second process gets ``Unable to open the chdb
  engine``. The audit sink owns ``<data_dir>/clickhouse`` while it runs and serves reads
  to other processes over its query endpoint (``streams.audit.query``).
- one chDB directory per process: once a process opened one, opening another fails.
  ``connect`` says so plainly instead of surfacing the engine's error.
- several clients on the same directory in one process are fine (they share the engine);
  calls are serialised with one lock because the sink thread and the query endpoint's
  threads share it.

>>> client = connect(load_settings(data_dir="/tmp/ink"))      # doctest: +SKIP
>>> client.query("SELECT count() FROM audit_events").result_rows  # doctest: +SKIP
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Protocol, Sequence

from inkstream.errors import ConfigError, ConnectorError
from inkstream.settings import Settings

__all__ = ["Reader", "ClickHouse", "connect", "readonly_session", "apply_ddl", "chdb_path", "opened_chdb_data_dir"]

_CHDB_OPEN: dict[str, Any] = {}   # path -> bootstrap client; chDB allows one path per process
_LOCK = threading.RLock()


class Reader(Protocol):
    """Read-only SQL access. Implementations: ``ClickHouse`` (in this process) and
    ``streams.audit.query.QueryClient`` (through the running sink). ``query`` MUST run one
    parameterised SELECT (``{name:Type}`` placeholders) and return column names and rows."""

    def query(self, sql: str, params: dict[str, Any] | None = None) -> tuple[list[str], list[tuple]]: ...


def chdb_path(settings: Settings) -> Path:
    return (Path(settings.data_dir) / "clickhouse").resolve()


def opened_chdb_data_dir() -> Path | None:
    """The data dir whose chDB this process already opened (a process can open only one):
    tests that need chDB in-process reuse it instead of failing on a second directory."""
    return Path(next(iter(_CHDB_OPEN))).parent if _CHDB_OPEN else None


class ClickHouse:
    """A clickhouse-connect client on the configured database, with a process-wide lock."""

    def __init__(self, client: Any, database: str, lock: Any = None, *, shared: bool = False) -> None:
        self.client = client
        self.database = database
        # A server (``settings.clickhouse.url``) may have other writers: sink instances on
        # other hosts. The sink then trusts nothing it remembers between flushes.
        self.shared = shared
        # chDB clients share the process-wide lock (one engine); a server's client has its
        # own: holding the chDB lock across an HTTP call deadlocks when that server is this
        # process's own HTTP interface (tests, or a sink writing to its peer in-process).
        self._lock = lock if lock is not None else _LOCK

    def query(self, sql: str, params: dict[str, Any] | None = None,
              settings: dict[str, Any] | None = None) -> tuple[list[str], list[tuple]]:
        with self._lock:
            try:
                result = self.client.query(sql, parameters=params or {}, settings=settings or {})
            except Exception as exc:
                raise ConnectorError(f"ClickHouse query failed: {_first_line(exc)}") from exc
        return list(result.column_names), list(result.result_rows)

    def raw(self, sql: str, params: dict[str, Any] | None, settings: dict[str, Any],
            fmt: str | None) -> bytes:
        """The engine's own bytes in ``fmt`` (None: the statement's FORMAT or TabSeparated);
        what the ClickHouse HTTP interface (``streams.audit.clickhouse_http``) answers with."""
        with self._lock:
            try:
                return self.client.raw_query(sql, parameters=params or None, settings=settings, fmt=fmt)
            except Exception as exc:
                raise ConnectorError(f"ClickHouse query failed: {_first_line(exc)}") from exc

    def command(self, sql: str, params: dict[str, Any] | None = None,
                settings: dict[str, Any] | None = None) -> None:
        with self._lock:
            try:
                self.client.command(sql, parameters=params or None, settings=settings or None)
            except Exception as exc:
                raise ConnectorError(f"ClickHouse command failed: {_first_line(exc)}") from exc

    def raw_insert(self, table: str, columns: Sequence[str] | None, data: bytes, fmt: str,
                   settings: dict[str, Any] | None = None) -> int:
        """Insert ``data`` already serialised in ``fmt`` (what a client sent the HTTP
        interface's write side); returns the rows written."""
        with self._lock:
            try:
                summary = self.client.raw_insert(table, list(columns) if columns else None, data,
                                                 settings=settings or None, fmt=fmt)
            except Exception as exc:
                raise ConnectorError(f"ClickHouse insert into {table} failed: {_first_line(exc)}") from exc
        return int(getattr(summary, "written_rows", 0) or 0)

    def insert(self, table: str, rows: Sequence[Sequence[Any]], columns: Sequence[str]) -> None:
        if not rows:
            return
        with self._lock:
            try:
                self.client.insert(table, list(rows), column_names=list(columns))
            except Exception as exc:
                raise ConnectorError(f"ClickHouse insert into {table} failed: {_first_line(exc)}") from exc


def connect(settings: Settings, *, ddl: bool = True) -> ClickHouse:
    """Open the audit store (creating database, tables and views when ``ddl``)."""
    import clickhouse_connect

    database = settings.clickhouse.database
    if settings.clickhouse.url:
        try:
            boot = clickhouse_connect.get_client(dsn=settings.clickhouse.url)
            if ddl:
                boot.command(f"CREATE DATABASE IF NOT EXISTS `{database}`")
            client = clickhouse_connect.get_client(dsn=settings.clickhouse.url, database=database)
        except Exception as exc:
            raise ConnectorError(f"cannot reach ClickHouse at the configured url: {_first_line(exc)}") from exc
        store = ClickHouse(client, database, threading.RLock(), shared=True)
    else:
        with _LOCK:
            client = _open_chdb(chdb_path(settings), database, create=ddl)
        store = ClickHouse(client, database)
    if ddl:
        apply_ddl(store)
    return store


def readonly_session(settings: Settings, limits: dict[str, Any]) -> ClickHouse:
    """A second client on the store whose session is read-only, with ``limits`` for good.

    Why a second client: clickhouse-connect's chDB ``raw_query`` applies per-call settings
    with SET and restores them afterwards, but once ``readonly=1`` is SET the restore is
    refused, so the shared session would stay read-only and the sink could no longer
    write (measured, clickhouse-connect 1.12). chDB gives each client its own session:
    this one is SET once (``limits`` in order, ``readonly`` last) and stays so. Against a
    server the limits ride on every request instead. The store must already be open here
    (``connect``)."""
    import clickhouse_connect

    database = settings.clickhouse.database
    with _LOCK:
        try:
            if settings.clickhouse.url:
                client = clickhouse_connect.get_client(dsn=settings.clickhouse.url, database=database,
                                                       settings=limits)
            else:
                client = _open_chdb(chdb_path(settings), database, create=False)
                for name, value in limits.items():
                    literal = f"'{value}'" if isinstance(value, str) else repr(value)
                    client.command(f"SET {name} = {literal}")
        except ConnectorError:
            raise
        except Exception as exc:
            raise ConnectorError(f"cannot open a read-only session on the audit store: {_first_line(exc)}") from exc
    return ClickHouse(client, database, threading.RLock() if settings.clickhouse.url else None)


def _open_chdb(path: Path, database: str, *, create: bool) -> Any:
    import clickhouse_connect

    key = str(path)
    if _CHDB_OPEN and key not in _CHDB_OPEN:
        raise ConfigError(f"this process already opened chDB at {next(iter(_CHDB_OPEN))}; chDB allows one "
                          f"directory per process, so {key} cannot be opened here")
    path.mkdir(parents=True, exist_ok=True)
    try:
        boot = _CHDB_OPEN.get(key) or clickhouse_connect.get_client(dsn=f"chdb://{key}")
        _CHDB_OPEN[key] = boot
        if create:
            boot.command(f"CREATE DATABASE IF NOT EXISTS `{database}`")
        return clickhouse_connect.get_client(dsn=f"chdb://{key}", database=database)
    except Exception as exc:
        if "Unable to open the chdb engine" in str(exc):
            raise ConnectorError(
                f"chDB at {key} is held by another process (the audit sink, `inkstream run audit`, owns it "
                "while it runs; reads go through its query endpoint)") from exc
        raise ConnectorError(f"cannot open chDB at {key}: {_first_line(exc)}") from exc


def apply_ddl(store: ClickHouse) -> list[str]:
    """Run ``ops/clickhouse/*.sql`` in order; every statement is idempotent. Returns the files."""
    from ops.clickhouse import ddl_statements

    done: list[str] = []
    for name, stmt in ddl_statements():
        try:
            store.command(stmt)
        except ConnectorError as exc:
            raise ConnectorError(f"{name}: {exc}") from exc
        if name not in done:
            done.append(name)
    return done


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:500] if text else type(exc).__name__
