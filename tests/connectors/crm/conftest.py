"""Fixtures for the CRM connector tests: settings pointing at the vendor fakes."""

from __future__ import annotations

import pytest

from inkstream.settings import load_settings


@pytest.fixture
def crm_settings():
    def make(**vendors):
        return load_settings(crm={"max_attempts": 4, "backoff_base_s": 0.1, **vendors})
    return make


@pytest.fixture
def slept():
    return []
