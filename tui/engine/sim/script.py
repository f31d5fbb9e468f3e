"""Composite simulator behaviours: scripts that change per request or over time (docs/architecture.md §5).

A composite picks another behaviour for each request: by request count (`Sequence`,
`ServerErrorOnce`), by elapsed clock time (`Timeline`), by a seeded coin (`Flaky`) or by the
request's size (`ChatsOnly`); `KeepAlive` adds SSE comment lines before the first token.
`resolve` follows composites down to a leaf from sim_behaviours.

State such as "how many requests reached this node" is kept per (model, node) in a dict the
transport owns, so one script object can serve several models independently.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from tui.engine.sim.behaviours import (
    Answer, Behaviour, ErrorReply, Healthy, ServerError, Unavailable,
)

_SERVER_ERROR = ServerError()


@dataclass
class NodeState:
    """What the transport remembers per (model, behaviour node)."""

    count: int = 0  # requests that reached this node, including the current one
    first_at: float = 0.0  # clock.monotonic() of the first of them
    fired: int = 0  # faults actually produced (CutMidStream.times)
    node: object = field(default=None, repr=False)  # keeps the node alive so its id stays unique


@dataclass
class PickContext:
    """What a composite may look at when choosing; built by the transport per request."""

    model: str
    seed: int
    now: float
    max_tokens: int | None
    states: dict[tuple[str, int], NodeState]
    keepalive: tuple[int | None, float] | None = None  # set by KeepAlive

    def state(self, node: Behaviour) -> NodeState:
        return self.states[(self.model, id(node))]

    def rng(self, *parts: object) -> random.Random:
        """A generator fixed by (seed, model, parts): independent of other models' traffic."""
        return random.Random(":".join(str(p) for p in (self.seed, self.model, *parts)))


class Composite(Behaviour):
    """A behaviour that delegates each request to another one."""

    def pick(self, ctx: PickContext) -> Behaviour:
        raise NotImplementedError


@dataclass(frozen=True)
class ServerErrorOnce(Composite):
    """500 on the first request that reaches it (per model), then `then`."""

    then: Behaviour = Healthy()

    def pick(self, ctx: PickContext) -> Behaviour:
        return _SERVER_ERROR if ctx.state(self).count == 1 else self.then


@dataclass(frozen=True)
class Sequence(Composite):
    """One behaviour per request, in order; the last one repeats."""

    items: tuple[Behaviour, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "items", tuple(self.items))
        if not self.items:
            raise ValueError("Sequence needs at least one behaviour")

    def pick(self, ctx: PickContext) -> Behaviour:
        return self.items[min(ctx.state(self).count, len(self.items)) - 1]


@dataclass(frozen=True)
class Timeline(Composite):
    """Behaviours by elapsed clock time since this model's first request reached the timeline.

    `Timeline([(0, Unavailable()), (25, Healthy())])`: 503 for 25 s, then healthy. Times are
    read from the injected clock and are not scaled by the transport speed.
    """

    steps: tuple[tuple[float, Behaviour], ...]

    def __post_init__(self) -> None:
        steps = tuple((float(t), b) for t, b in self.steps)
        if not steps:
            raise ValueError("Timeline needs at least one step")
        if any(a[0] > b[0] for a, b in zip(steps, steps[1:], strict=False)):
            raise ValueError("Timeline steps must be in time order")
        object.__setattr__(self, "steps", steps)

    def pick(self, ctx: PickContext) -> Behaviour:
        elapsed = ctx.now - ctx.state(self).first_at
        chosen = self.steps[0][1]
        for start, behaviour in self.steps:
            if elapsed >= start:
                chosen = behaviour
        return chosen


@dataclass(frozen=True)
class Flaky(Composite):
    """`failure` with probability `p`, else `ok`; the coin is fixed by (seed, model, request #)."""

    p: float = 0.3
    failure: Behaviour = Unavailable()
    ok: Behaviour = Healthy()

    def pick(self, ctx: PickContext) -> Behaviour:
        coin = ctx.rng("flaky", ctx.state(self).count).random()
        return self.failure if coin < self.p else self.ok


@dataclass(frozen=True)
class KeepAlive(Composite):
    """`: OPENROUTER PROCESSING` comment lines, `interval` s apart, before the first token of
    `inner`'s stream (`comments=None`: keep sending until the first token). Comments are not
    tokens: a slow model stays slow, but a read timeout does not fire between comments.
    """

    inner: Behaviour = Healthy()
    comments: int | None = 3
    interval: float = 0.5

    def pick(self, ctx: PickContext) -> Behaviour:
        ctx.keepalive = (self.comments, self.interval)
        return self.inner


@dataclass(frozen=True)
class ChatsOnly(Composite):
    """`inner` for real chats; tiny completions (health probes: `max_tokens` at most
    `probe_max_tokens`) get `probes`, so a background probe does not use up a scripted one-off.
    """

    inner: Behaviour = Healthy()
    probes: Behaviour = Healthy()
    probe_max_tokens: int = 16

    def pick(self, ctx: PickContext) -> Behaviour:
        small = ctx.max_tokens is not None and ctx.max_tokens <= self.probe_max_tokens
        return self.probes if small else self.inner


def resolve(behaviour: Behaviour, ctx: PickContext) -> Behaviour:
    """Follow composites down to an `Answer` or `ErrorReply`, counting each node reached."""
    for _ in range(64):
        key = (ctx.model, id(behaviour))
        state = ctx.states.get(key)
        if state is None:
            state = ctx.states[key] = NodeState(first_at=ctx.now, node=behaviour)
        state.count += 1
        if not isinstance(behaviour, Composite):
            if not isinstance(behaviour, (Answer, ErrorReply)):
                raise TypeError(f"not a simulator behaviour: {behaviour!r}")
            return behaviour
        behaviour = behaviour.pick(ctx)
    raise ValueError("behaviour script nests too deeply (a cycle?)")
