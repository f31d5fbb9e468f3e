"""Fixtures for the reliability suite: every log record at DEBUG, checked for the canary keys."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from reliability_kit import assert_no_canary  # noqa: E402


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture):
    """Capture every logger at DEBUG (httpx, httpcore, asyncio, modelfallback.*); no key in any record."""
    caplog.set_level(logging.DEBUG)
    yield caplog
    for record in caplog.records:
        assert_no_canary(record.getMessage(), record.msg, record.args, record.exc_text or "")
    assert_no_canary(caplog.text)


@pytest.fixture
async def loop_server():
    """A started RoutedFaultServer (scripts like the fault_server fixture, plus `route`), stopped after."""
    from reliability_kit import RoutedFaultServer

    server = RoutedFaultServer()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
