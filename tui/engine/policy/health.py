"""Active health probes, run concurrently, feeding the same records and breaker as chat attempts.

A probe is a 1-token completion (default), a `GET /models` listing (one request per provider per
sweep, shared by its models), or nothing. Every probe is bounded by `health.timeout`, and a sweep
runs them all at once, so 200 models that answer in 200 ms take about 200 ms, not 40 s.
A probe's failure disables a model by the same policy as a failed chat attempt; its success
closes a half-open breaker (never a manual disable).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from collections.abc import Mapping, Sequence

from tui.engine.state.availability import Availability
from tui.engine.provider.client import Delta, ProviderClient
from tui.engine.clock import Clock
from tui.engine.config import Config, ModelConfig
from tui.engine.events import ChatMessage, ChatRequest
from tui.engine.failures import Failure, FailureKind, ProviderError
from tui.engine.state.health_record import HealthBook

PROBE_PROMPT = [ChatMessage("user", "Reply with the single word: ok")]


@dataclass(frozen=True)
class ProbeResult:
    model: str
    provider: str
    ok: bool | None  # None: not probed (disabled, blocked, no key, probe: none)
    latency_ms: float | None = None
    failure: Failure | None = None
    skipped: str | None = None  # why it was not probed

    @property
    def error(self) -> str | None:
        return None if self.failure is None else self.failure.summary()


class HealthMonitor:
    def __init__(self, config: Config, clients: Mapping[str, ProviderClient], availability: Availability,
                 health: HealthBook, clock: Clock) -> None:
        self.config = config
        self.clients = clients
        self.availability = availability
        self.health = health
        self.clock = clock

    async def sweep(self, models: Sequence[str] | None = None, *, force: bool = False) -> list[ProbeResult]:
        """Probe `models` (default: all) concurrently.

        Without `force`, models whose breaker is open (disabled, blocked) are left alone: the
        breaker decides when they are tried again. With `force` (the user asked to check now),
        auto-disabled models are probed too; blocked providers and missing keys are still skipped.
        """
        names = list(self.config.models) if models is None else list(models)
        listings: dict[str, asyncio.Task] = {}
        tasks = [self._probe(self.config.models[n], force, listings) for n in names]
        return list(await asyncio.gather(*tasks))

    async def trials(self) -> list[ProbeResult]:
        """Half-open trials: probe every model whose cooldown ended (state `probing`)."""
        due = [n for n in self.config.models if self.availability.of(n).state == "probing"]
        return await self.sweep(due) if due else []

    async def _probe(self, model: ModelConfig, force: bool, listings: dict[str, asyncio.Task]) -> ProbeResult:
        client = self.clients[model.provider]
        if not client.has_key():
            return ProbeResult(model.name, model.provider, None, skipped="no key")
        av = self.availability.of(model.name)
        if av.state == "blocked" or (av.state == "disabled" and not (force and av.source == "auto")):
            return ProbeResult(model.name, model.provider, None, skipped=av.state)
        kind = self.config.probe_kind(model.provider)
        if kind == "none":
            return ProbeResult(model.name, model.provider, None, skipped="probe: none")
        timeout = self.config.health.timeout
        begin = self.clock.monotonic()
        try:
            async with asyncio.timeout(timeout):
                if kind == "models":
                    if model.provider not in listings:
                        listings[model.provider] = asyncio.ensure_future(client.list_models(timeout))
                    listed = await asyncio.shield(listings[model.provider])
                    if model.id not in listed:
                        raise ProviderError(Failure(FailureKind.NOT_FOUND, "not in the provider's model list"))
                else:
                    await self._one_token(client, model)
        except ProviderError as exc:
            return self._record(model, begin, exc.failure, force)
        except TimeoutError:
            return self._record(model, begin, Failure(FailureKind.TIMEOUT, f"no answer within {timeout:g}s"), force)
        return self._record(model, begin, None, force)

    async def _one_token(self, client: ProviderClient, model: ModelConfig) -> None:
        timeout = self.config.health.timeout
        policy = replace(model.policy, ttft_timeout=min(model.policy.ttft_timeout, timeout),
                         connect_timeout=min(model.policy.connect_timeout, timeout))
        request = ChatRequest(PROBE_PROMPT, stream=True, max_tokens=1)
        async for item in client.chat(model.id, request, policy):
            if isinstance(item, Delta):
                break  # the first token is proof of life; closing the stream stops the rest

    def _record(self, model: ModelConfig, begin: float, failure: Failure | None, forced: bool) -> ProbeResult:
        latency = (self.clock.monotonic() - begin) * 1000
        record = self.health.get(model.name)
        if failure is None:
            record.record(True, self.clock.wall(), latency)
            self.availability.record_success(model.name, deliberate=forced)
            return ProbeResult(model.name, model.provider, True, latency)
        record.record(False, self.clock.wall(), latency, error=failure.summary(), kind=failure.kind.value)
        self.availability.record_failure(model.name, failure)
        return ProbeResult(model.name, model.provider, False, latency, failure)
