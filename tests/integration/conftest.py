"""Fixtures for the integration tests (the fault server fixture itself is in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from faultserver import FaultServer
from loopback import KEY

from tui.engine.config import ProviderConfig
from tui.engine.provider.client import ProviderClient


@pytest.fixture
async def client(fault_server: FaultServer) -> AsyncIterator[ProviderClient]:
    provider = ProviderConfig("loop", fault_server.base_url, "LOOP_KEY", headers={"X-Title": "modelfallback"})
    c = ProviderClient(provider, env={"LOOP_KEY": KEY})
    yield c
    await c.aclose()
