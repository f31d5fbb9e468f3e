"""Hedged first tokens: when the model being tried stays silent, the next one starts too.

With `hedge` set (a duration, or `auto`: the model's own p90 time to first token, with a floor),
a model that has produced no token by then gets company: the next usable model of the chain
starts beside it. The first of the two to produce a token wins; the other is cancelled at once
(its stream closed) and is not blamed for being slow; a failure before any token is recorded by
the usual rules while the other goes on alone. Never more than two requests in flight for one
answer, and never a hedge once anything was shown. A reasoning token or a tool-call fragment counts
as a sign of life.

`Race` plays one such attempt for the chain: it yields the winner's tokens, the partner's start
(and the skips before it), a `AttemptCancelled` for the loser, and a `Tried` for each request
that ended; `next_index` then says where the chain goes on.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

from tui.engine.config import ModelConfig
from tui.engine.events import Attempt, AttemptCancelled, AttemptSkipped, AttemptStarted, Token, ToolCallToken
from tui.engine.policy.tried import Tried
from tui.engine.state.health_record import HealthRecord

AUTO_FLOOR_S = 1.0  # `hedge: auto` never hedges sooner than this
AUTO_WITHOUT_HISTORY_S = 3.0  # nor, before a model has five answers to learn from, sooner than this


def hedge_after(model: ModelConfig, record: HealthRecord) -> float | None:
    """Seconds of silence before `model` gets a hedge partner; None: no hedge."""
    hedge = model.policy.hedge
    if hedge is None:
        return None
    if hedge == "auto":
        p90 = record.ttft_p90_ms()
        return AUTO_WITHOUT_HISTORY_S if p90 is None else max(AUTO_FLOOR_S, p90 / 1000)
    return float(hedge)


class Race:
    """One hedged attempt: `first` alone, then (after `after` seconds of silence) with a partner."""

    def __init__(self, first: ModelConfig, after: float, start: Callable[[ModelConfig], AsyncIterator],
                 partner: Callable[[], tuple[list[Attempt], ModelConfig | None, int]], number: int) -> None:
        self.first, self.after, self._start, self._partner = first, after, start, partner
        self.number = number  # the first's attempt number; the partner's is the next
        self.second: ModelConfig | None = None
        self.next_index: int | None = None  # where the chain goes on when no one answered (None: after first)
        self.winner: str | None = None
        self._queue: asyncio.Queue = asyncio.Queue()
        self._pumps: dict[str, asyncio.Task] = {}

    def _pump(self, model: ModelConfig) -> None:
        async def run() -> None:
            try:
                async for item in self._start(model):
                    self._queue.put_nowait((model.name, item))
            except asyncio.CancelledError:
                raise
            except BaseException as exc:  # noqa: BLE001 - handed to the chain (a RequestError, say)
                self._queue.put_nowait((model.name, exc))

        self._pumps[model.name] = asyncio.get_running_loop().create_task(run())

    async def _cancel(self, name: str) -> None:
        task = self._pumps.pop(name, None)
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)  # its stream is closed before we go on

    async def __aiter__(self) -> AsyncIterator:
        loop = asyncio.get_running_loop()
        self._pump(self.first)
        alive = {self.first.name}
        hedge_at: float | None = loop.time() + self.after
        started = {self.first.name: loop.time()}
        try:
            while alive:
                timeout = None if hedge_at is None else max(0.0, hedge_at - loop.time())
                try:
                    name, item = await asyncio.wait_for(self._queue.get(), timeout)
                except TimeoutError:
                    hedge_at = None
                    skips, partner, index = self._partner()
                    for skip in skips:
                        yield AttemptSkipped(skip)
                    self.next_index = index
                    if partner is not None:
                        self.second = partner
                        yield AttemptStarted(partner.name, partner.provider, self.number + 1, hedge=True,
                                             beside=self.first.name, after_s=self.after)
                        self._pump(partner)
                        alive.add(partner.name)
                        started[partner.name] = loop.time()
                    continue
                if isinstance(item, BaseException):
                    raise item
                if type(item) is Token or type(item) is ToolCallToken:
                    hedge_at = None  # a sign of life: never a hedge after it
                    if self.winner is None:
                        self.winner = name
                        for loser in alive - {name}:
                            await self._cancel(loser)
                            alive.discard(loser)
                            yield AttemptCancelled(self._cancelled(loser, name, loop.time() - started[loser]))
                    if name == self.winner:
                        yield item
                    continue
                assert isinstance(item, Tried)
                alive.discard(name)
                yield item
        finally:
            for name in list(self._pumps):
                await self._cancel(name)

    def _cancelled(self, loser: str, winner: str, silent_s: float) -> Attempt:
        model = self.first if loser == self.first.name else self.second
        assert model is not None
        if loser == self.first.name:
            detail = f"no token in {self.after:.1f} s → hedged"
        else:
            detail = f"hedge cancelled: {winner.rsplit('/', 1)[-1]} answered first"
        return Attempt(model.name, model.provider, "cancelled", kind="hedged", detail=detail,
                       elapsed_ms=int(silent_s * 1000))
