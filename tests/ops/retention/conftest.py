"""Retention tests: a fresh chDB database each (one chDB directory per pytest process, shared
with other areas' tests) and, for S3, a test-owned versioned bucket."""

from __future__ import annotations

import uuid

import pytest

from inkstream.settings import Settings
from streams.audit.store import ClickHouse, connect, opened_chdb_data_dir


@pytest.fixture(scope="session")
def retention_chdb_dir(tmp_path_factory) -> str:
    return str(opened_chdb_data_dir() or tmp_path_factory.mktemp("retention-data"))


@pytest.fixture
def rsettings(settings: Settings, retention_chdb_dir: str) -> Settings:
    """Unique topic prefix (from ``settings``), own chDB database, own bucket name."""
    return settings.model_copy(update={
        "data_dir": retention_chdb_dir,
        "clickhouse": settings.clickhouse.model_copy(update={"url": None, "database": f"t_{uuid.uuid4().hex[:12]}"}),
        "s3": settings.s3.model_copy(update={"bucket": f"t-retention-{uuid.uuid4().hex[:10]}"}),
    })


@pytest.fixture
def rstore(rsettings: Settings) -> ClickHouse:
    return connect(rsettings)
