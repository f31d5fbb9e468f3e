"""What every check of one `doctor` run shares: the engine, the options, and each provider's
calls, made once and awaited by every check that needs them (a provider's model checks read the
listing its own check fetched; a group's check reads its models' probes)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from tui.engine.doctor import provider_api as api

if TYPE_CHECKING:
    from tui.engine.api import ModelFallback
    from tui.engine.failures import Failure

T = TypeVar("T")


@dataclass(frozen=True)
class Terminal:
    """The terminal the TUI would run in: size, colours (None: unknown) and whether it is one."""

    width: int
    height: int
    colors: int | None
    is_tty: bool = True


@dataclass
class Context:
    engine: ModelFallback
    offline: bool = False
    probes: bool = True  # False: no one-token probes (the TUI's check at start: its health sweep probes)
    _once: dict[tuple[str, str], asyncio.Future] = field(default_factory=dict)

    @property
    def timeout(self) -> float:
        return self.engine.config.health.timeout

    def once(self, key: tuple[str, str], make: Callable[[], Awaitable[T]]) -> asyncio.Future[T]:
        """The one future for `key`, started by the first caller."""
        if key not in self._once:
            self._once[key] = asyncio.ensure_future(make())
        return self._once[key]

    def key_reply(self, provider: str) -> asyncio.Future[api.Reply]:
        """The call that proves `provider`'s key (and its endpoint, TLS and clock)."""
        client = self.engine.clients[provider]
        path = api.key_call(client)
        return self.once(("key", provider), lambda: api.get(client, path, self.timeout, self.engine.clock,
                                                             "key check" if path == "/key" else "model list"))

    def listing_reply(self, provider: str) -> asyncio.Future[api.Reply]:
        """The provider's whole model list, read by its adapter (`data`: Listed by id). Where the key
        call is the list's first page, that page is used: a one-page list costs no second call."""
        client = self.engine.clients[provider]

        async def read() -> api.Reply:
            if not api.lists_publicly(client):
                first = await self.key_reply(provider)
                if first.failure is not None:
                    return first
                whole = api.one_page(client, first)
                if whole is not None:
                    return whole
            return await api.listing(client, self.timeout, self.engine.clock)

        return self.once(("models", provider), read)

    def probe(self, model: str) -> asyncio.Future[tuple[Failure | None, float] | None]:
        """A one-token probe of `model` (None with --offline or without a key): (failure or None, ms)."""
        return self.once(("probe", model), lambda: self._probe(model))

    async def _probe(self, model: str) -> tuple[Failure | None, float] | None:
        from tui.engine.failures import Failure, FailureKind, ProviderError

        engine = self.engine
        cfg = engine.config.models[model]
        client = engine.clients[cfg.provider]
        if self.offline or not self.probes or not client.has_key():
            return None
        begin = engine.clock.monotonic()
        try:
            async with asyncio.timeout(self.timeout):
                await engine.monitor.one_token(client, cfg)
        except ProviderError as exc:
            return exc.failure, (engine.clock.monotonic() - begin) * 1000
        except TimeoutError:
            return (Failure(FailureKind.TIMEOUT, f"no answer within {self.timeout:g}s"),
                    (engine.clock.monotonic() - begin) * 1000)
        return None, (engine.clock.monotonic() - begin) * 1000

    def pending(self) -> list[asyncio.Future]:
        """The shared calls still running (the run's bound has passed: they are cancelled)."""
        return [f for f in self._once.values() if not f.done()]
