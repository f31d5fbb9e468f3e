"""Active health checks, run concurrently, feeding the same records and breaker as chat attempts.

Three uses of one probe (docs/architecture.md §6):
- a **sweep** checks every model that is in service (the TUI every `health.interval`, `check`);
- a **trial** checks a model whose cooldown ended (half-open): it closes or re-opens the breaker;
- a **recheck** checks a model that is out automatically, every `health.recheck` however long its
  cooldown: a pass closes the breaker at once (the trips stay), a failure only updates its health.
  Processes sharing a state take a lease per model first, so N processes cost one check per
  interval. Without a background loop (the CLI, a script) the chain asks for due rechecks as it
  skips a model; they run beside the request and `settle()` waits for them, bounded.

A probe is a 1-token completion (default), a `GET /models` listing (one request per provider per
run, shared by its models), or nothing. Every probe is bounded by `health.timeout`. A probe's
failure in a sweep or trial disables a model by the same policy as a failed chat attempt; the
user's check of a model that is out automatically is a recheck (no new trip); a manual disable is
never lifted by any check.
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from tui.engine.clock import Clock
from tui.engine.config import Config, ModelConfig
from tui.engine.events import ChatMessage, ChatRequest
from tui.engine.failures import Failure, FailureKind, ProviderError
from tui.engine.provider.adapter import ChatClient
from tui.engine.provider.answer import Delta, ToolCallDelta
from tui.engine.state.availability import Availability, ModelAvailability
from tui.engine.state.health_record import HealthBook
from tui.engine.text import did_you_mean

PROBE_PROMPT = [ChatMessage("user", "Reply with the single word: ok")]
Mode = Literal["sweep", "trial", "check", "recheck"]


@dataclass(frozen=True)
class ProbeResult:
    model: str
    provider: str
    ok: bool | None  # None: not probed (disabled, blocked, no key, probe: none, another process's lease)
    latency_ms: float | None = None
    failure: Failure | None = None
    skipped: str | None = None  # why it was not probed

    @property
    def error(self) -> str | None:
        return None if self.failure is None else self.failure.summary()


class HealthMonitor:
    def __init__(self, config: Config, clients: Mapping[str, ChatClient], availability: Availability,
                 health: HealthBook, clock: Clock) -> None:
        self.config = config
        self.clients = clients
        self.availability = availability
        self.health = health
        self.clock = clock
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{os.urandom(4).hex()}"  # whose lease it is
        self._inline: dict[str, asyncio.Task] = {}  # rechecks started beside a request, by model

    # -- sweeps and trials -------------------------------------------------------------------------
    async def sweep(self, models: Sequence[str] | None = None, *, force: bool = False) -> list[ProbeResult]:
        """Probe `models` (default: all) concurrently.

        Without `force`, models whose breaker is open (disabled, blocked) are left alone: trials
        and rechecks decide when they are tried again. With `force` (the user asked to check now),
        auto-disabled models are probed too; blocked providers and missing keys are still skipped.
        """
        names = list(self.config.models) if models is None else list(models)
        return await self._probe_all(names, "check" if force else "sweep")

    async def trials(self) -> list[ProbeResult]:
        """Half-open trials: probe every model whose cooldown ended (state `probing`)."""
        return await self._probe_all([n for n in self.config.models if self.availability.of(n).state == "probing"],
                                     "trial")

    async def _probe_all(self, names: Sequence[str], mode: Mode) -> list[ProbeResult]:
        """Probe `names` concurrently; a `models` probe's listing is fetched once per provider."""
        listings: dict[str, asyncio.Task] = {}
        return list(await asyncio.gather(*(self._probe(self.config.models[n], mode, listings) for n in names)))

    # -- rechecks ----------------------------------------------------------------------------------
    def next_check_s(self, model: str, av: ModelAvailability | None = None) -> float | None:
        """Seconds until `model`'s next recheck (0: due); None when it gets none. `av`: its
        availability, when the caller already has it."""
        if self.config.probe_kind(self.config.models[model].provider) == "none":
            return None
        return self.availability.next_check_s(model, self.config.health.recheck, av)

    def due_rechecks(self, models: Sequence[str] | None = None) -> list[str]:
        names = list(self.config.models) if models is None else list(models)
        return [n for n in names if self.next_check_s(n) == 0.0]

    async def rechecks(self, models: Sequence[str] | None = None) -> list[ProbeResult]:
        """Recheck every due model this process can take the lease for, concurrently."""
        due = [n for n in self.due_rechecks(models) if n not in self._inline]
        if not due:
            return []
        return await self._probe_all([n for n in due if await self._claim(n)], "recheck")

    def recheck_soon(self, model: str) -> None:
        """If `model`'s recheck is due, start it beside whatever runs now (the answer never waits,
        not even for the lease: a shared state on a hung server must not stall a chat)."""
        if model in self._inline or self.next_check_s(model) != 0.0:
            return
        task = asyncio.get_running_loop().create_task(self._recheck_if_claimed(model))
        self._inline[model] = task
        task.add_done_callback(lambda _: self._inline.pop(model, None))

    async def _recheck_if_claimed(self, model: str) -> ProbeResult:
        if not await self._claim(model):
            cfg = self.config.models[model]
            return ProbeResult(cfg.name, cfg.provider, None, skipped="another process is checking it")
        return await self._probe(self.config.models[model], "recheck", {})

    async def settle(self, timeout: float | None = None) -> list[ProbeResult]:
        """Wait for the rechecks started beside requests, at most `timeout` (default `health.timeout`).

        A check still running then is cancelled and counts as a check that did not answer in time
        (a timeout for the model's health, no trip); its lease runs out by itself. With `timeout=0`
        (interrupted) nothing is recorded."""
        waiting = dict(self._inline)
        if not waiting:
            return []
        limit = self.config.health.timeout if timeout is None else timeout
        done, pending = await asyncio.wait(waiting.values(), timeout=limit)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        results = [t.result() for t in done if not t.cancelled() and t.exception() is None]
        if limit > 0:
            for model in (m for m, task in waiting.items() if task in pending):
                failure = Failure(FailureKind.TIMEOUT, f"no answer within {limit:g}s")
                self.health.get(model).record(False, self.clock.wall(), limit * 1000, error=failure.summary(),
                                              kind=failure.kind.value)
                cfg = self.config.models[model]
                results.append(ProbeResult(cfg.name, cfg.provider, False, limit * 1000, failure))
        return results

    async def _claim(self, model: str) -> bool:
        """Take the model's recheck lease (one checker per interval across processes) and mark it.

        The lease is a round trip to the shared state (a locked file write, a Redis call): it runs
        in a worker thread so the event loop (a TUI, a chat) never waits on it."""
        interval = self.config.health.recheck
        take = self.availability.store.take_lease
        if not await asyncio.to_thread(take, f"recheck:{model}", self.owner, interval, self.clock.wall()):
            return False
        self.availability.mark_rechecked(model)
        return True

    # -- one probe ---------------------------------------------------------------------------------
    async def _probe(self, model: ModelConfig, mode: Mode, listings: dict[str, asyncio.Task]) -> ProbeResult:
        client = self.clients[model.provider]
        if not client.has_key():
            return ProbeResult(model.name, model.provider, None, skipped="no key")
        av = self.availability.of(model.name)
        allowed = mode == "recheck" or (mode == "check" and av.source == "auto")
        if av.state == "blocked" or (av.state == "disabled" and not allowed):
            return ProbeResult(model.name, model.provider, None, skipped=av.state)
        kind = self.config.probe_kind(model.provider)
        if kind == "none":
            return ProbeResult(model.name, model.provider, None, skipped="probe: none")
        if av.kind == FailureKind.NOT_FOUND.value and self.config.providers[model.provider].catalog != "none":
            kind = "models"  # out for not being listed: the free listing tells when it is back
        timeout = self.config.health.timeout
        # The user's check of a model that is out automatically is a recheck: its failure says
        # "still out" and adds no trip (its cooldown does not grow however often the user checks).
        rechecking = mode == "recheck" or av.state == "disabled"
        begin = self.clock.monotonic()
        started = self.clock.wall()
        try:
            async with asyncio.timeout(timeout):
                if kind == "models":
                    if model.provider not in listings:
                        listings[model.provider] = asyncio.ensure_future(client.list_models(timeout))
                    listed = await asyncio.shield(listings[model.provider])
                    if model.id not in listed:
                        raise ProviderError(Failure(FailureKind.NOT_FOUND, "not in the provider's model list"
                                                    + did_you_mean(model.id, list(listed))))
                else:
                    await self.one_token(client, model)
        except ProviderError as exc:
            return self._record(model, mode, begin, started, exc.failure, rechecking)
        except TimeoutError:
            return self._record(model, mode, begin, started,
                                Failure(FailureKind.TIMEOUT, f"no answer within {timeout:g}s"), rechecking)
        return self._record(model, mode, begin, started, None, rechecking)

    async def one_token(self, client: ChatClient, model: ModelConfig) -> None:
        """The completion probe alone: ask for one token, return at the first; ProviderError when it
        fails. Records nothing (`doctor` asks without changing any model's state)."""
        timeout = self.config.health.timeout
        policy = replace(model.policy, ttft_timeout=min(model.policy.ttft_timeout, timeout),
                         connect_timeout=min(model.policy.connect_timeout, timeout))
        request = ChatRequest(PROBE_PROMPT, stream=True, max_tokens=1)
        async for item in client.chat(model.id, request, policy):
            if isinstance(item, (Delta, ToolCallDelta)):
                break  # the first token is proof of life; closing the stream stops the rest

    def _record(self, model: ModelConfig, mode: Mode, begin: float, started: float,
                failure: Failure | None, rechecking: bool) -> ProbeResult:
        latency = (self.clock.monotonic() - begin) * 1000
        record = self.health.get(model.name)
        if failure is None:
            record.record(True, self.clock.wall(), latency)
            # a sweep's pass is ignored for a disable that began after it started (news it could not know)
            self.availability.record_check_passed(model.name, started if mode == "sweep" else None)
            return ProbeResult(model.name, model.provider, True, latency)
        record.record(False, self.clock.wall(), latency, error=failure.summary(), kind=failure.kind.value)
        if not rechecking:  # a failed recheck only says "still out": no new trip, no longer cooldown
            self.availability.record_failure(model.name, failure)
        return ProbeResult(model.name, model.provider, False, latency, failure)
