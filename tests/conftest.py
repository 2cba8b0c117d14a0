"""Shared fixtures. Tests marked ``stack`` use the running local stack (``inkstream up``,
started by .ci/run); each such test gets its own topic prefix so tests never share data."""

from __future__ import annotations

import uuid

import pytest

from inkstream.settings import Settings, load_settings


@pytest.fixture(scope="session")
def base_settings() -> Settings:
    return load_settings()


@pytest.fixture
def settings(base_settings: Settings) -> Settings:
    """Settings with a unique topic prefix, for tests that touch Kafka."""
    prefix = f"t{uuid.uuid4().hex[:10]}."
    return base_settings.model_copy(
        update={"topics": base_settings.topics.model_copy(update={"prefix": prefix})}
    )
