"""Helpers for the stack tests: the `inkstream` CLI as a subprocess, free ports, and a
second, throw-away stack (own data dir and ports) that shares the dev stack's download
cache so it does not rebuild Kafka's jars or the S3 server."""

from __future__ import annotations

from pathlib import Path

import pytest

from inkstream.settings import Settings
from ops.stack.layout import Layout
from stack_helpers import free_port


@pytest.fixture
def side_stack_env(tmp_path: Path, base_settings: Settings) -> dict[str, str]:
    """Environment for a second stack on its own data dir and ports (never the dev stack's)."""
    data = tmp_path / "stack"
    data.mkdir()
    shared_cache = Layout.of(base_settings).cache
    if shared_cache.is_dir():
        (data / "cache").symlink_to(shared_cache, target_is_directory=True)
    return {
        "INKSTREAM_DATA_DIR": str(data),
        "INKSTREAM_KAFKA__PORT": str(free_port()),
        "INKSTREAM_KAFKA__CONTROLLER_PORT": str(free_port()),
        "INKSTREAM_S3__PORT": str(free_port()),
        "INKSTREAM_PROMETHEUS__PORT": str(free_port()),
        "INKSTREAM_ALERTMANAGER__PORT": str(free_port()),
    }
