"""Fixtures for the Redis store tests: a real redis-server (never a mock), isolated user dirs.

One password-protected server serves the whole session (each test gets its own key prefix, so
tests never see each other's keys); the fault tests that kill or stop a server start their own.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from redis_kit import PASSWORD
from redis_server import RedisServer
from tui.engine.state.redis_store import RedisStore


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer(password=PASSWORD).start()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def own_server() -> Iterator[RedisServer]:
    """A server of the test's own, to kill or stop."""
    server = RedisServer(password=PASSWORD).start()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def prefix() -> str:
    return f"t{uuid.uuid4().hex[:10]}"


@pytest.fixture
def url(redis_server: RedisServer, prefix: str) -> str:
    return redis_server.url(prefix=prefix)


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path: Path) -> None:
    """No test reads or writes the developer's own config or state."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.delenv("MODELFALLBACK_STATE", raising=False)
    monkeypatch.delenv("MODELFALLBACK_CONFIG", raising=False)


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[Callable[..., RedisStore]]:
    """`stores(url, machine="a", **options)`: a RedisStore with a local file per machine, closed after."""
    opened: list[RedisStore] = []

    def make(url: str, machine: str = "a", **options) -> RedisStore:
        options.setdefault("local_path", tmp_path / f"machine-{machine}" / "shared.json")
        store = RedisStore(url, **options)
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()
