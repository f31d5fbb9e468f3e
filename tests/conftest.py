"""Shared pytest fixtures."""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import settings

# The default run (and CI) fuzzes with a fixed derandomised sequence so a green commit stays green;
# `HYPOTHESIS_PROFILE=explore python -m pytest` draws fresh random inputs to look for new bugs.
settings.register_profile("repeatable", derandomize=True, print_blob=True)
settings.register_profile("explore", derandomize=False, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))

# ---------------------------------------------------------------------------------------------
# The fault server (tests/faultserver.py): a real HTTP/1.1 server on 127.0.0.1.
# Test modules import its behaviours with `from faultserver import Stream, Json, ...`.
# ---------------------------------------------------------------------------------------------

_TESTS = str(Path(__file__).resolve().parent)
if _TESTS not in sys.path:
    sys.path.insert(0, _TESTS)

from faultserver import FaultServer  # noqa: E402


@pytest.fixture
async def fault_server() -> AsyncIterator[FaultServer]:
    """A started fault server, stopped (every connection closed) after the test."""
    server = FaultServer()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()

# --- end of fault server fixtures ------------------------------------------------------------
