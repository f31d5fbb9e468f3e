"""The fallback chain: one place where a group's models are tried in order (docs/architecture.md §4, §5).

`FallbackChain.run()` is an async generator of events (see `events.py`). It applies the failure
policy: same-model retries (short Retry-After, one quick retry for 5xx and connection failures),
skips of disabled / blocked / keyless models and of models whose context cannot hold the
conversation, failover, restart from scratch after a mid-stream interruption, stop on content
policy, and an "all failed" naming when a model comes back. With `restart=False` (a local endpoint
whose client already received part of the answer) an interruption ends the run instead of
restarting on the next model: the client cannot take back what it was sent. Skipping a model that is out
automatically starts its recheck if one is due (beside the request; the answer never waits).
A request that cannot be built on our side (`RequestError`) ends the run without blaming a model.
Cancellation (Esc, Ctrl+C) is the consumer cancelling the iteration: the chain records nothing for
it and the client closes its HTTP response.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from tui.engine.clock import Clock
from tui.engine.config import Config, ModelConfig
from tui.engine.durations import format_duration, format_left
from tui.engine.conversation import ToolCallAssembler, ToolCallDelta
from tui.engine.events import (Answered, Attempt, AttemptCancelled, AttemptFailed, AttemptSkipped, AttemptStarted,
                               ChainEvent, ChainFailed, ChatRequest, Restarted, Token, ToolCallToken, Usage, Waiting)
from tui.engine.failures import Failure, FailureKind, ProviderError, RequestError
from tui.engine.policy.context_fit import too_long_for
from tui.engine.policy.health import HealthMonitor
from tui.engine.policy.hedge import Race, hedge_after
from tui.engine.policy.tried import Tried
from tui.engine.provider.adapter import ChatClient
from tui.engine.provider.answer import Delta, Done
from tui.engine.state.availability import Availability, ModelAvailability
from tui.engine.state.catalog import CatalogBook
from tui.engine.state.health_record import HealthBook
from tui.engine.state.status import missing_key

if TYPE_CHECKING:
    import random

QUICK_RETRY_S = (0.05, 0.25)  # jittered pause before the one quick retry of a 5xx or connection failure


def skip_reason(av: ModelAvailability) -> tuple[str, str]:
    """(kind, detail) for skipping a model that is not usable, as shown in trails."""
    left = format_left(av.remaining_s)
    if av.state == "blocked":
        return "blocked", f"provider {av.kind}, {left}"
    who = "manual" if av.source == "manual" else (av.kind or "auto")
    return "disabled", f"{who}, {left}"


class FallbackChain:
    def __init__(self, config: Config, clients: Mapping[str, ChatClient], availability: Availability,
                 health: HealthBook, clock: Clock, *,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep, rng: random.Random | None = None,
                 monitor: HealthMonitor | None = None, catalog: CatalogBook | None = None) -> None:
        self.config = config
        self.monitor = monitor  # starts due rechecks of the models it skips
        self.catalog = catalog  # context lengths the providers published
        self.clients = clients
        self.availability = availability
        self.health = health
        self.clock = clock
        self._sleep = sleep
        self._rng = rng  # made on the first quick retry: most runs never need one

    async def run(self, group: str, request: ChatRequest, *, start_after: str | None = None,
                  tokens: bool = True, members: Sequence[str] | None = None,
                  restart: bool = True) -> AsyncIterator[ChainEvent]:
        """Try the group's models in order until one answers; yields every step as an event.

        `tokens=False` leaves out the Token events (the answer still arrives whole in `Answered`):
        for a consumer that only wants the answer, each token then crosses two generator frames
        fewer. `members` replaces the group's models (one model alone, with its breaker: `group`
        then only names the run). `restart=False`: a failure after part of the answer was shown
        ends the run (the model is cooled as usual) instead of restarting on the next model."""
        models = self.config.chain(group) if members is None else [self.config.models[n] for n in members]
        if start_after is not None:
            names = [m.name for m in models]
            models = models[names.index(start_after) + 1:] if start_after in names else models
        attempts: list[Attempt] = []
        number = 0
        started = self.clock.monotonic()
        index = 0
        while index < len(models):
            model = models[index]
            index += 1
            skip = self._skip(model, request)
            if skip is not None:
                attempts.append(skip)
                yield AttemptSkipped(skip)
                continue
            retried = False
            while True:
                number += 1
                yield AttemptStarted(model.name, model.provider, number, retry=retried)
                after = None if retried else hedge_after(model, self.health.get(model.name))
                race = None if after is None else Race(model, after, lambda m: self._attempt(m, request, True),
                                                       self._partner_finder(models, index, request), number)
                retry_wait: float | None = None
                retry_reason = ""
                items = (self._attempt(model, request, tokens) if race is None else race).__aiter__()
                try:
                    async for item in items:
                        kind = type(item)
                        if kind is Token or kind is ToolCallToken:
                            if tokens:
                                yield item
                            continue
                        if kind is not Tried:  # a race's partner, its skips, its loser
                            if kind is AttemptStarted:
                                number += 1
                            elif kind in (AttemptSkipped, AttemptCancelled):
                                attempts.append(item.attempt)
                            yield item
                            continue
                        tried: Tried = item
                        attempt = tried.attempt
                        if tried.answered is not None:
                            result = tried.answered
                            attempts.append(attempt)
                            yield Answered(result.model, result.provider, result.content, result.reasoning,
                                           result.reported_model, result.finish_reason, result.usage, attempts,
                                           int((self.clock.monotonic() - started) * 1000), result.ttft_ms,
                                           result.tool_calls)
                            return
                        failure, partial = tried.failure, tried.partial
                        assert failure is not None
                        failed = self.config.models[attempt.model]
                        alone = race is None or race.second is None  # no retry while a partner runs
                        retry_wait = None if retried or not alone else self._same_model_wait(failure, tried.shown,
                                                                                             failed)
                        if retry_wait is not None:
                            retry_reason = failure.short()
                            attempt.outcome = "retried"
                            attempts.append(attempt)
                            yield AttemptFailed(attempt, failure, "retry")
                            continue
                        out_for = self.availability.record_failure(failed.name, failure)
                        if out_for is not None and out_for != float("inf"):
                            attempt.cooldown_s = round(out_for, 3)
                        attempts.append(attempt)
                        ended = tried.shown and not restart  # the client already has part of it
                        stop = failure.policy.stop_chain or ended
                        yield AttemptFailed(attempt, failure, "stop" if stop else "failover")
                        if ended:
                            yield ChainFailed(failure.kind.value, f"{failed.name} failed after its answer had begun "
                                              f"({failure.detail or failure.kind.value}); not restarted", attempts)
                            return
                        if partial:
                            yield Restarted(failed.name, partial)
                        if stop:
                            yield ChainFailed(failure.kind.value, failure.detail or failure.kind.value, attempts,
                                              stopped_at=failed.name)
                            return
                except RequestError as exc:  # our side: no model is blamed, nothing else would do better
                    yield ChainFailed("request_error", str(exc), attempts)
                    return
                finally:
                    # Closed here, not by the garbage collector: a generator left suspended after its
                    # last item costs asyncio a finalizer task per request.
                    await items.aclose()
                if race is not None and race.next_index is not None and race.winner != model.name:
                    index = race.next_index  # the partner (and the skips before it) were this attempt's
                if retry_wait is None:
                    break
                if retry_wait > 0:
                    yield Waiting(model.name, retry_wait, f"{retry_reason}, retrying {model.name}")
                    await self._sleep(retry_wait)
                retried = True
        if attempts and all(a.kind == "unsupported" for a in attempts):  # no model's API can carry it
            yield ChainFailed("request_error", attempts[0].detail or "the request cannot be carried", attempts)
            return
        earliest = self.availability.earliest_return([m.name for m in models])
        message = f"every model in '{group}' failed or is unavailable"
        if earliest is not None:
            message += f"; the first one is back in {format_duration(earliest)}"
        yield ChainFailed("all_failed", message, attempts, earliest_return_s=earliest)

    def _partner_finder(self, models: list[ModelConfig], index: int,
                        request: ChatRequest) -> Callable[[], tuple[list[Attempt], ModelConfig | None, int]]:
        """For a race: the next usable model from `index`, the skips before it, and where the chain
        goes on after it."""
        def find() -> tuple[list[Attempt], ModelConfig | None, int]:
            skips: list[Attempt] = []
            for position in range(index, len(models)):
                skip = self._skip(models[position], request)
                if skip is None:
                    return skips, models[position], position + 1
                skips.append(skip)
            return skips, None, len(models)
        return find

    def _skip(self, model: ModelConfig, request: ChatRequest) -> Attempt | None:
        client = self.clients[model.provider]
        if not client.has_key():
            env = self.config.providers[model.provider].api_key_env
            return Attempt(model.name, model.provider, "skipped", kind="no_key", detail=missing_key(env or "?"))
        # One look at the state file for both questions (they are asked at the same moment), not one each.
        data = self.availability.store.data
        av = self.availability.of(model.name, data)
        if av.usable:
            catalog = self.catalog
            too_long = None if catalog is None else too_long_for(
                request.messages, catalog.context_length(model.name, data if catalog.store is self.availability.store
                                                         else None))
            if too_long is not None:
                return Attempt(model.name, model.provider, "skipped", kind="context_length", detail=too_long)
            refusal = client.adapter.cannot_carry(model.id, request, model.max_tokens)
            if refusal is not None:  # this API cannot carry the request: another model's may
                return Attempt(model.name, model.provider, "skipped", kind="unsupported", detail=refusal)
            return None
        if av.state == "disabled" and av.source == "auto" and self.monitor is not None:
            self.monitor.recheck_soon(model.name)
        kind, detail = skip_reason(av)
        return Attempt(model.name, model.provider, "skipped", kind=kind, detail=detail,
                       remaining_s=av.remaining_s, source=av.source)

    def _same_model_wait(self, failure: Failure, shown: bool, model: ModelConfig) -> float | None:
        """Seconds to wait before retrying the same model once, or None to fail over."""
        if shown:
            return None  # something was shown: restart on the next model instead
        if failure.kind is FailureKind.RATE_LIMITED:
            wait = failure.retry_after_s
            if wait is not None and wait <= model.policy.retry_after_wait:
                return wait
            return None
        if failure.policy.same_model_retry:
            if self._rng is None:
                import random

                self._rng = random.Random()
            return self._rng.uniform(*QUICK_RETRY_S)
        return None

    async def _attempt(self, model: ModelConfig, request: ChatRequest,
                       tokens: bool = True) -> AsyncIterator[Token | ToolCallToken | Tried]:
        """One request to one model: its tokens and tool-call fragments as they come (with `tokens`),
        then one `Tried` saying how it ended. A tool-call fragment is content: it stops the
        first-token clock, and an answer of only calls is an answer."""
        client = self.clients[model.provider]
        begin = self.clock.monotonic()
        started = self.clock.wall()
        ttft_ms: int | None = None
        content: list[str] = []
        reasoning: list[str] = []
        done: Done | None = None
        calls: ToolCallAssembler | None = None
        try:
            async for item in client.chat(model.id, request, model.policy, max_tokens=model.max_tokens):
                kind = type(item)
                if kind is Delta:
                    if ttft_ms is None:
                        ttft_ms = int((self.clock.monotonic() - begin) * 1000)
                    (reasoning if item.reasoning else content).append(item.text)
                    if tokens:
                        yield Token(model.name, item.text, item.reasoning)
                elif kind is ToolCallDelta:
                    if ttft_ms is None:
                        ttft_ms = int((self.clock.monotonic() - begin) * 1000)
                    if calls is None:
                        calls = ToolCallAssembler()
                    calls.add(item)
                    if tokens:
                        yield ToolCallToken(model.name, item.index, item.id, item.name, item.arguments)
                else:
                    done = item
        except ProviderError as exc:
            elapsed = int((self.clock.monotonic() - begin) * 1000)
            failure = exc.failure
            partial = "".join(content)
            self.health.get(model.name).record(False, self.clock.wall(), elapsed, error=failure.summary(),
                                               kind=failure.kind.value)
            attempt = Attempt(model.name, model.provider, "failed", kind=failure.kind.value, status=failure.status,
                              detail=failure.detail or None, elapsed_ms=elapsed)
            yield Tried(attempt, failure=failure, partial=partial, shown=bool(content or calls))
            return
        elapsed = int((self.clock.monotonic() - begin) * 1000)
        self.health.get(model.name).record(True, self.clock.wall(), elapsed, ttft_ms=ttft_ms)
        self.availability.record_success(model.name, started)
        done = done or Done(None, None, None)
        usage = done.usage or Usage()
        usage.estimate(model.price)
        attempt = Attempt(model.name, model.provider, "ok", status=200, elapsed_ms=elapsed, ttft_ms=ttft_ms)
        yield Tried(attempt, answered=Answered(model.name, model.provider, "".join(content), "".join(reasoning),
                                               done.reported_model, done.finish_reason, usage, [attempt], elapsed,
                                               ttft_ms, calls.calls() if calls else ()))
