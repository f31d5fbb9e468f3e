"""`ModelFallback`: the engine's embeddable surface, used by the CLI, the TUI and the benchmarks.

    from tui.engine import ModelFallback
    engine = ModelFallback.from_files()             # groups.yaml lookup as on the command line
    answer = await engine.ask("coding", "hello")    # or: async for event in engine.chat(...)
    engine.disable("openai/gpt-4-turbo", 300, reason="flaky today")
"""

from __future__ import annotations

import contextlib
import difflib
import os
from pathlib import Path
from typing import TYPE_CHECKING
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence

from tui.engine.state.availability import Availability
from tui.engine.policy.chain import FallbackChain
from tui.engine.provider.client import ProviderClient
from tui.engine.clock import Clock, SystemClock
from tui.engine.config import Config, ModelConfig
from tui.engine.events import Answered, ChainEvent, ChainFailed, ChatMessage, ChatRequest
from tui.engine.policy.health import HealthMonitor, ProbeResult
from tui.engine.state.health_record import HealthBook
from tui.engine.state.store import open_store
from tui.engine.state.status import ModelStatus, model_status

if TYPE_CHECKING:
    import httpx

DEFAULT = object()  # "use the configured manual_disable duration"


class UnknownModel(KeyError):
    def __init__(self, text: str, known: Sequence[str]) -> None:
        close = difflib.get_close_matches(text, known, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        super().__init__(f"unknown model '{text}'{hint}")
        self.message = f"unknown model '{text}'{hint}"

    def __str__(self) -> str:
        return self.message


class ChainError(Exception):
    """Raised by `ask()` when no model answered; carries the final ChainFailed event."""

    def __init__(self, failed: ChainFailed) -> None:
        super().__init__(failed.message)
        self.failed = failed


class ModelFallback:
    """Config, clients, shared state, health and the chain, wired together once."""

    def __init__(self, config: Config, *, state_path: str | Path | None = None, clock: Clock | None = None,
                 transport: httpx.AsyncBaseTransport | None = None, env: Mapping[str, str] | None = None,
                 demo: bool = False, sleep: Callable[[float], Awaitable[None]] | None = None) -> None:
        self.config = config
        self.clock = clock or SystemClock()
        self.demo = demo
        self.demo_notice: str | None = None  # what to tell the user in demo mode
        env = dict(os.environ if env is None else env)
        if demo:
            from tui.engine.sim.demo import DEMO_NOTICE, demo_env, demo_transport

            self.demo_notice = DEMO_NOTICE

            transport = transport or demo_transport(clock=self.clock, models=[m.id for m in config.models.values()])
            env.update(demo_env(config))
        self.clients: dict[str, ProviderClient] = {
            name: ProviderClient(provider, env=env, transport=transport, clock=self.clock)
            for name, provider in config.providers.items()}
        self.store = open_store(state_path)
        self.availability = Availability(config, self.store, self.clock,
                                         key_fingerprint=lambda p: self.clients[p].key_fingerprint())
        self.health = HealthBook()
        self.chain = FallbackChain(config, self.clients, self.availability, self.health, self.clock,
                                   **({"sleep": sleep} if sleep is not None else {}))
        self.monitor = HealthMonitor(config, self.clients, self.availability, self.health, self.clock)

    @classmethod
    def from_files(cls, config_path: str | Path | None = None, state_path: str | Path | None = None, *,
                   env: Mapping[str, str] | None = None, demo: bool = False, **kwargs) -> ModelFallback:
        """Load groups.yaml and open the state with the command line's lookup order.

        The CLI opens its engine here too, so both apply the same rule: the demo never uses the
        real state unless `state_path` names it explicitly.
        """
        from tui.engine.config.loader import load_config
        from tui.engine.config.paths import find_config_path, find_state_path

        env = dict(os.environ if env is None else env)
        config = load_config(find_config_path(None if config_path is None else str(config_path), env))
        state = find_state_path(None if state_path is None else str(state_path), env, configured=config.state,
                                demo=demo)
        return cls(config, state_path=state, env=env, demo=demo, **kwargs)

    # -- chat ------------------------------------------------------------------------------------
    def chat(self, group: str, prompt: str | Sequence[ChatMessage], *, stream: bool = True,
             start_after: str | None = None) -> AsyncIterator[ChainEvent]:
        """Stream one answer through `group` as events; `prompt` may be a whole conversation."""
        if group not in self.config.groups:
            raise KeyError(f"unknown group '{group}'")
        messages = [ChatMessage("user", prompt)] if isinstance(prompt, str) else list(prompt)
        return self.chain.run(group, ChatRequest(messages, stream=stream), start_after=start_after)

    async def ask(self, group: str, prompt: str | Sequence[ChatMessage], *, stream: bool = True) -> Answered:
        """The answer, or ChainError when every model failed."""
        # aclosing: returning at the final event must close the chain's generator now; left to the
        # garbage collector, asyncio finalizes it through a new task and a self-pipe wake-up.
        async with contextlib.aclosing(self.chat(group, prompt, stream=stream)) as events:
            async for event in events:
                if isinstance(event, Answered):
                    return event
                if isinstance(event, ChainFailed):
                    raise ChainError(event)
        raise RuntimeError("chain ended without a final event")  # pragma: no cover - a chain bug

    # -- health ----------------------------------------------------------------------------------
    async def check(self, group: str | None = None, *, force: bool = True) -> list[ProbeResult]:
        """Probe the models of `group` (default: all) now, concurrently, and remember the results."""
        models = None if group is None else list(self.config.groups[group])
        results = await self.monitor.sweep(models, force=force)
        self.persist_health([r.model for r in results if r.ok is not None])
        return results

    # -- manual control --------------------------------------------------------------------------
    def resolve(self, text: str) -> ModelConfig:
        model = self.config.resolve_model(text)
        if model is None:
            raise UnknownModel(text, list(self.config.models))
        return model

    def disable(self, model: str, seconds: float | None | object = DEFAULT, reason: str = "") -> ModelConfig:
        """Disable by hand; `seconds=None` means until enabled, the default is `manual_disable`."""
        cfg = self.resolve(model)
        duration = cfg.policy.manual_disable if seconds is DEFAULT else seconds
        self.availability.disable(cfg.name, duration, reason)  # type: ignore[arg-type]
        return cfg

    def enable(self, model: str) -> ModelConfig:
        cfg = self.resolve(model)
        self.availability.enable(cfg.name)
        return cfg

    # -- status ----------------------------------------------------------------------------------
    def refresh(self) -> bool:
        """Pick up another process's changes to the state file; True when something changed."""
        return self.store.refresh()

    def status(self, model: str) -> ModelStatus:
        cfg = self.config.models[model]
        persisted = self.store.data.get("health", {}).get(model)
        return model_status(cfg.name, cfg.provider, self.availability.of(cfg.name),
                            self.clients[cfg.provider].has_key(), self.health.get(cfg.name), persisted)

    def statuses(self) -> list[ModelStatus]:
        return [self.status(name) for name in self.config.models]

    def preferred(self, group: str) -> str | None:
        """The model that would answer right now: the first usable one of the group."""
        for name in self.config.groups[group]:
            if self.status(name).usable:
                return name
        return None

    def persist_health(self, models: Sequence[str] | None = None) -> None:
        """Write the latest health of `models` to the state file so other processes can show it."""
        names = list(self.config.models) if models is None else list(models)
        rows = {}
        for name in names:
            rec = self.health.records.get(name)
            if rec is None or not rec.outcomes:
                continue
            rows[name] = {"status": rec.status, "latency_ms": rec.last_latency_ms, "error": rec.last_error,
                          "checked_at": rec.checked_at}
        if rows:
            self.store.update(lambda data: data["health"].update(rows), durable=False)

    async def aclose(self) -> None:
        """Close the HTTP clients and write the state changes still pending (write-behind)."""
        for client in self.clients.values():
            await client.aclose()
        self.store.close()

    async def __aenter__(self) -> ModelFallback:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
