"""`ModelFallback`: the engine's embeddable surface, used by the CLI, the TUI and the benchmarks.

    from tui.engine import ModelFallback
    engine = ModelFallback.from_files()             # groups.yaml lookup as on the command line
    answer = await engine.ask("coding", "hello")    # or: async for event in engine.chat(...)
    engine.disable("openai/gpt-4-turbo", 300, reason="flaky today")
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from tui.engine.clock import Clock, SystemClock
from tui.engine.config import Config, ModelConfig
from tui.engine.events import Answered, ChainEvent, ChainFailed, ChatMessage, ChatRequest
from tui.engine.failures import Failure, FailureKind, RequestError
from tui.engine.policy.chain import FallbackChain
from tui.engine.policy.health import HealthMonitor, ProbeResult
from tui.engine.policy.preflight import Preflight, PreflightNote
from tui.engine.provider.adapter import ChatClient
from tui.engine.provider.client import ProviderClient
from tui.engine.state.availability import Availability
from tui.engine.state.catalog import CatalogBook
from tui.engine.state.health_record import HealthBook
from tui.engine.state.status import ModelStatus, first_back, model_status
from tui.engine.state.store import open_store
from tui.engine.text import one_line, printable

if TYPE_CHECKING:
    import httpx

    from tui.engine.config.paths import Located

DEFAULT = object()  # "use the configured manual_disable duration"
WAIT_TICK_S = 1.0  # how often a wait for a model's return looks again (another process may bring one back)


class UnknownModel(KeyError):
    """No model, or more than one (`ambiguous`), goes by `text`; the message offers the candidates."""

    def __init__(self, text: str, known: Sequence[str], ambiguous: Sequence[str] = (),
                 same_id: Mapping[str, Sequence[str]] | None = None) -> None:
        import difflib  # only for a mistyped model name

        shown = printable(text)[:200]  # what was typed, every control character shown as `\xNN`
        if ambiguous:
            self.message = f"'{shown}' names {len(ambiguous)} models; did you mean {_either(ambiguous)}?"
        else:
            close = difflib.get_close_matches(text, known, n=1)
            # a close name whose id is on several providers: every one of them is offered
            offered = list((same_id or {}).get(close[0], close)) if close else []
            hint = f"; did you mean {_either(offered)}?" if offered else ""
            self.message = f"unknown model '{shown}'{hint}"
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


def _either(names: Sequence[str]) -> str:
    quoted = [f"'{one_line(n, 80)}'" for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


def check_text(messages: Sequence[ChatMessage]) -> None:
    """Text that cannot be sent as UTF-8 (a lone surrogate from undecodable input) is our problem,
    not a provider's: say so before any request, instead of failing every model of the chain."""
    for number, message in enumerate(messages, 1):
        try:
            message.text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise RequestError(f"message {number} is not valid text (an undecodable character at position "
                               f"{exc.start}); nothing was sent") from None


class ChainError(Exception):
    """Raised by `ask()` when no model answered; carries the final ChainFailed event."""

    def __init__(self, failed: ChainFailed) -> None:
        super().__init__(failed.message)
        self.failed = failed


def load_located(config_path: str | Path | None, env: Mapping[str, str], *, demo: bool = False
                 ) -> tuple[Located, Config]:
    """The groups.yaml the command line's lookup finds (why that one, and the configuration loaded
    from it, cached); ConfigError when it does not load. With `demo` and no groups.yaml of the
    user's, the demo's own."""
    from tui.engine.config.cache import load_cached
    from tui.engine.config.paths import Located, default_config_path, locate_config

    def load(path: Path) -> Config:
        from tui.engine.config.loader import load_config  # PyYAML: only when the file changed

        return load_config(path)

    config_at = locate_config(None if config_path is None else str(config_path), env)
    if demo and Path(config_at.where) == default_config_path():
        from tui.engine.sim.demo import DEMO_CONFIG

        config_at = Located(DEMO_CONFIG, "the demo's own (no groups.yaml of yours: no --config, "
                                         "$MODELFALLBACK_CONFIG, ./groups.yaml or user config file)")
    return config_at, load_cached(Path(config_at.where), load)


class ModelFallback:
    """Config, clients, shared state, health and the chain, wired together once."""

    def __init__(self, config: Config, *, state_path: str | Path | None = None, clock: Clock | None = None,
                 transport: httpx.AsyncBaseTransport | None = None, env: Mapping[str, str] | None = None,
                 demo: bool = False, sleep: Callable[[float], Awaitable[None]] | None = None,
                 check_state: bool = True) -> None:
        """`check_state` False: a state file is opened without taking its lock to prove it writable
        (doctor does that as one of its checks, bounded, so a lock a stuck process holds is a finding
        rather than a wait)."""
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
        self.clients: dict[str, ChatClient] = {
            name: ProviderClient(provider, env=env, transport=transport, clock=self.clock)
            for name, provider in config.providers.items()}
        self.store = open_store(state_path, check_writable=check_state)
        self.availability = Availability(config, self.store, self.clock,
                                         key_fingerprint=lambda p: self.clients[p].key_fingerprint())
        self.health = HealthBook()
        self.catalog = CatalogBook(self.store, self.clock)
        self.monitor = HealthMonitor(config, self.clients, self.availability, self.health, self.clock)
        self.preflight_check = Preflight(config, self.clients, self.availability, self.catalog)
        self.chain = FallbackChain(config, self.clients, self.availability, self.health, self.clock,
                                   monitor=self.monitor, catalog=self.catalog,
                                   **({"sleep": sleep} if sleep is not None else {}))
        self._background: set[asyncio.Task] = set()  # catalog refreshes started beside a chat
        # where the config and the state were found and why (`from_files`; None when built in code)
        self.located: tuple[Located, Located] | None = None
        self._sleep = sleep or asyncio.sleep

    @classmethod
    def from_files(cls, config_path: str | Path | None = None, state_path: str | Path | None = None, *,
                   env: Mapping[str, str] | None = None, demo: bool = False, **kwargs) -> ModelFallback:
        """Load groups.yaml and open the state with the command line's lookup order.

        The CLI opens its engine here too, so both apply the same rule: the demo never uses the
        real state unless `state_path` names it explicitly.
        """
        from tui.engine.config.paths import locate_state

        env = dict(os.environ if env is None else env)
        config_at, config = load_located(config_path, env, demo=demo)
        state_at = locate_state(None if state_path is None else str(state_path), env, configured=config.state,
                                demo=demo)
        engine = cls(config, state_path=state_at.where, env=env, demo=demo, **kwargs)
        engine.located = (config_at, state_at)
        return engine

    # -- chat ------------------------------------------------------------------------------------
    def members(self, name: str) -> tuple[str, ...]:
        """The models a chat through `name` tries: a group's chain, or one configured model alone
        (by its name or unambiguous id; a group of that name wins). KeyError when it is neither."""
        if name in self.config.groups:
            return self.config.groups[name]
        model = self.config.resolve_model(name)
        if model is None:
            raise KeyError(f"unknown group '{name}'")
        return (model.name,)

    def chat(self, group: str, prompt: str | Sequence[ChatMessage] | ChatRequest, *, stream: bool = True,
             start_after: str | None = None, tokens: bool = True, restart: bool = True) -> AsyncIterator[ChainEvent]:
        """Stream one answer through `group` as events; `prompt` may be a whole conversation, or a
        whole `ChatRequest` (tools, images, sampling parameters; its own `stream` then counts).

        `group` may also name one configured model: that model alone, with its breaker.
        `tokens=False`: no Token events, for a consumer that wants only the final answer.
        `restart=False`: a failure after part of the answer was shown ends the chat (a local
        endpoint's client cannot take back what it received) instead of restarting on the next model."""
        members = self.members(group)
        if isinstance(prompt, ChatRequest):
            request = prompt
        else:
            messages = [ChatMessage("user", prompt)] if isinstance(prompt, str) else list(prompt)
            request = ChatRequest(messages, stream=stream)
        check_text(request.messages)
        alone = None if group in self.config.groups else members
        return self.chain.run(group, request, start_after=start_after, tokens=tokens, members=alone, restart=restart)

    async def ask(self, group: str, prompt: str | Sequence[ChatMessage] | ChatRequest, *,
                  stream: bool = True) -> Answered:
        """The answer, or ChainError when every model failed."""
        # aclosing: returning at the final event must close the chain's generator now; left to the
        # garbage collector, asyncio finalizes it through a new task and a self-pipe wake-up.
        async with contextlib.aclosing(self.chat(group, prompt, stream=stream, tokens=False)) as events:
            async for event in events:
                if isinstance(event, Answered):
                    return event
                if isinstance(event, ChainFailed):
                    raise ChainError(event)
        raise RuntimeError("chain ended without a final event")  # pragma: no cover - a chain bug

    # -- health ----------------------------------------------------------------------------------
    async def check(self, group: str | None = None, *, force: bool = True) -> list[ProbeResult]:
        """Pre-flight (the providers' free listings), then probe the models of `group` (default: all)
        concurrently, and remember the results. A model the listing lacks is reported not found
        without a probe."""
        names = list(self.config.models) if group is None else list(self.config.groups[group])
        missing = {n.model: n.detail for n in await self.preflight() if n.model in names}
        results = {r.model: r for r in await self.monitor.sweep([n for n in names if n not in missing], force=force)}
        for name, detail in missing.items():
            cfg = self.config.models[name]
            results[name] = ProbeResult(name, cfg.provider, False, failure=Failure(FailureKind.NOT_FOUND, detail))
        self.persist_health([r.model for r in results.values() if r.ok is not None])
        return [results[n] for n in names]

    async def preflight(self) -> list[PreflightNote]:
        """Read the providers' free listings now (bounded by `health.timeout`): models not listed go
        out as not found, context lengths and uptimes are remembered."""
        return await self.preflight_check.refresh()

    def refresh_catalog_soon(self) -> None:
        """Refresh a stale listing beside whatever runs now (a chat never waits for it)."""
        if self._background or not self.preflight_check.stale():
            return
        task = asyncio.get_running_loop().create_task(self.preflight())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def rechecks(self) -> list[ProbeResult]:
        """Recheck every model that is out automatically and due (one process per lease), now."""
        results = await self.monitor.rechecks()
        self.persist_health([r.model for r in results if r.ok is not None])
        return results

    async def settle(self) -> None:
        """Wait, at most `health.timeout`, for checks started beside requests, and keep their results."""
        timeout = self.config.health.timeout
        background = list(self._background)
        results = await self.monitor.settle(timeout)
        if background:
            _, pending = await asyncio.wait(background, timeout=timeout)
            for task in pending:
                task.cancel()
            await asyncio.gather(*background, return_exceptions=True)
        if results:
            self.persist_health([r.model for r in results if r.ok is not None])

    # -- manual control --------------------------------------------------------------------------
    def resolve(self, text: str) -> ModelConfig:
        """The model `text` names (its name, id, or the short name the screens show), else UnknownModel."""
        matches = self.config.models_named(text)
        if len(matches) == 1:
            return matches[0]
        models = self.config.models.values()
        same_id = {m.name: [o.name for o in models if o.id == m.id] for m in models}
        raise UnknownModel(text, list(self.config.models), [m.name for m in matches], same_id)

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

    def status(self, model: str, data: dict | None = None) -> ModelStatus:
        """`model`'s row; `data` is the state document when the caller reads it once for many rows."""
        cfg = self.config.models[model]
        if data is None:
            data = self.store.data
        persisted = data.get("health", {}).get(model)
        av = self.availability.of(cfg.name, data)
        status = model_status(cfg.name, cfg.provider, av, self.clients[cfg.provider].has_key(),
                              self.health.get(cfg.name), persisted, self.config.providers[cfg.provider].api_key_env,
                              self.config.providers[cfg.provider].api)
        next_check = self.monitor.next_check_s(cfg.name, av) if status.status == "disabled" else None
        uptime = self.catalog.uptime(cfg.name, data)
        if next_check is None and uptime is None:
            return status
        return replace(status, next_check_s=next_check, uptime=uptime)

    def statuses(self) -> list[ModelStatus]:
        data = self.store.data  # one look at the state for every row (the TUI asks once a second)
        return [self.status(name, data) for name in self.config.models]

    def preferred(self, group: str) -> str | None:
        """The model that would answer right now: the first usable one of the group (or the one model)."""
        data = self.store.data  # one look at the state for the whole group
        for name in self.members(group):
            if self.status(name, data).usable:
                return name
        return None

    def first_return(self, group: str) -> tuple[str, float] | None:
        """The model of `group` expected back first and in how many seconds (`status.first_back`):
        its cooldown's or block's end, or its next recheck when that is sooner. None when nothing
        of the group comes back by itself (disabled until enabled, no key)."""
        data = self.store.data
        return first_back([self.status(name, data) for name in self.members(group)])

    async def wait_for_return(self, group: str, timeout: float) -> str | None:
        """Wait, at most `timeout` seconds, until a model of `group` is usable again, running the
        group's due rechecks meanwhile (another process's recheck or enable counts too). Returns
        that model, or None when the time ran out or nothing of the group comes back by itself."""
        deadline = self.clock.monotonic() + timeout
        models = list(self.members(group))
        while True:
            self.refresh()
            if (model := self.preferred(group)) is not None:
                return model
            if self.first_return(group) is None:
                return None
            await self.monitor.rechecks(models)
            if (model := self.preferred(group)) is not None:
                return model
            left = deadline - self.clock.monotonic()
            back = self.first_return(group)
            if left <= 0 or back is None:
                return None
            await self._sleep(min(WAIT_TICK_S, left, max(back[1], 0.01)))

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

    async def aclose(self, *, settle: bool = True) -> None:
        """Wait (at most `health.timeout`) for checks started beside requests unless `settle` is
        False (interrupted: they are cancelled), close the HTTP clients, and write the state
        changes still pending (write-behind)."""
        if settle:
            await self.settle()
        else:
            await self.monitor.settle(0)
            for task in list(self._background):
                task.cancel()
            await asyncio.gather(*self._background, return_exceptions=True)
        for client in self.clients.values():
            await client.aclose()
        self.store.close()

    async def __aenter__(self) -> ModelFallback:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
