"""Audit tests share ONE chDB directory per pytest process (chDB opens one directory per
process) and get a fresh database each, so they never see each other's rows."""

from __future__ import annotations

import os
import uuid

import pytest

from inkstream.settings import Settings
from streams.audit.store import ClickHouse, connect, opened_chdb_data_dir


@pytest.fixture(scope="session")
def chdb_dir(tmp_path_factory) -> str:
    # Another area's test may have opened chDB in this process first: share its directory.
    return str(opened_chdb_data_dir() or tmp_path_factory.mktemp("inkstream-data"))


@pytest.fixture
def audit_settings(base_settings: Settings, chdb_dir: str, topic_prefix) -> Settings:
    """Own database, own topic prefix (its topics deleted when the test ends)."""
    db = f"t_{uuid.uuid4().hex[:12]}"
    return base_settings.model_copy(update={
        "data_dir": chdb_dir,
        "clickhouse": base_settings.clickhouse.model_copy(update={"url": None, "database": db}),
        "topics": base_settings.topics.model_copy(update={"prefix": topic_prefix()}),
    })


@pytest.fixture
def store(audit_settings: Settings) -> ClickHouse:
    return connect(audit_settings)


@pytest.fixture
def env(audit_settings: Settings, monkeypatch) -> dict[str, str]:
    """Environment under which `inkstream` (CliRunner or a subprocess) sees this test's store."""
    monkeypatch.setenv("INKSTREAM_DATA_DIR", str(audit_settings.data_dir))
    monkeypatch.setenv("INKSTREAM_CLICKHOUSE__DATABASE", audit_settings.clickhouse.database)
    monkeypatch.setenv("INKSTREAM_AUDIT__QUERY_ROW_LIMIT", "5")
    # A developer's own CLICKHOUSE_URL must not leak in; the server path is run on purpose,
    # over inkstream's own HTTP interface, in test_clickhouse_server_path.py and test_server_path_stack.py.
    monkeypatch.delenv("CLICKHOUSE_URL", raising=False)
    return {**os.environ}
