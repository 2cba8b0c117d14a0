"""Fixtures for the gateway tests; the harness lives in esign_gateway_harness.py."""

from __future__ import annotations

import pytest
from esign_gateway_harness import Gateway, gateway_settings, make_gateway


@pytest.fixture
def gateway(base_settings) -> Gateway:
    return make_gateway(gateway_settings(base_settings))
