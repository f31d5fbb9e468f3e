"""The state store interface, and opening the one a location names.

Availability (breakers, blocks), the health rows other processes show, and the recheck leases
live in one small document shared by every process using the same state. Two implementations
keep it: `FileStore` (a versioned JSON file, one machine) and `RedisStore` (several machines,
the `redis` extra). Both give the same semantics:

- `data` is this process's current view (another process's change is picked up on read);
- `update(mutate)` applies `mutate` to the latest document atomically (no lost update, nothing
  applied twice); `durable=True` (manual changes) is confirmed before returning, `durable=False`
  (cooldowns, health rows) is visible here at once and written behind;
- `take_lease(name, owner, ttl_s, now)` lets one process of many do a thing (a recheck) per `ttl_s`;
- `offline` says why the shared state cannot be reached (None when it can), `location` names it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from tui.engine.config.state_location import is_redis_url


class StateStore(Protocol):
    warnings: list[str]

    @property
    def data(self) -> dict: ...

    @property
    def location(self) -> str: ...

    @property
    def offline(self) -> str | None: ...

    def update(self, mutate: Callable[[dict], object], *, durable: bool = True,
               fsync: bool | None = None) -> object: ...

    def take_lease(self, name: str, owner: str, ttl_s: float, now: float) -> bool: ...

    def refresh(self) -> bool: ...

    def flush(self) -> None: ...

    def close(self) -> None:
        """Write what is pending and let go of connections and threads (after `flush`)."""


def open_store(location: str | Path | None, *, check_writable: bool = True) -> StateStore:
    """The store `location` names: None (memory), a file path, or a redis:// URL. `check_writable`
    False: a state file is read but not locked and test-written at open (the caller checks that
    itself, bounded; a Redis store's local copy is never checked at open)."""
    if is_redis_url(location):
        from tui.engine.state.redis_store import RedisStore  # the `redis` extra; a clear error without it

        return RedisStore(str(location))
    from tui.engine.state.file_store import FileStore

    return FileStore(location, check_writable=check_writable)
