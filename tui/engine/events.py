"""The events a chain run yields (docs/architecture.md §5).

The TUI and the CLI are two consumers of this stream; neither reimplements chain logic. Every
event is a small frozen dataclass; `Attempt` is the per-model record that ends up in the trail and
in `chat --json`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from tui.engine.conversation import ChatMessage, ChatRequest, ToolCall
from tui.engine.failures import Failure

__all__ = ["ChatMessage", "ChatRequest"]  # the request's shape lives in conversation.py; re-exported for callers

Outcome = Literal["ok", "failed", "skipped", "retried", "cancelled"]  # cancelled: a hedged race's loser


@dataclass
class Usage:
    """Tokens and money for one answer. `cost` is what the provider reported (exact);
    `estimated_cost` is ours, from the model's configured `price:` when the provider reported none.
    `prompt_tokens` counts every input token, cached ones included, whatever the API."""

    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    total_tokens: int | None = None
    cost: float | None = None
    cache_read_tokens: int | None = None
    cache_write_tokens: int | None = None
    estimated_cost: float | None = None

    def estimate(self, price: tuple[float, float] | None) -> None:
        """Set `estimated_cost` from a price in USD per million tokens (input, output), when the
        provider reported no cost and the token counts are known."""
        if price is None or self.cost is not None or self.prompt_tokens is None or self.completion_tokens is None:
            return
        self.estimated_cost = (self.prompt_tokens * price[0] + self.completion_tokens * price[1]) / 1e6

    def to_json(self) -> dict:
        out: dict = {"prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens,
                     "total_tokens": self.total_tokens, "cost": self.cost}
        for key in ("cache_read_tokens", "cache_write_tokens", "estimated_cost"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out


@dataclass
class Attempt:
    """One line of the attempt trail."""

    model: str
    provider: str
    outcome: Outcome
    kind: str | None = None  # failure kind, or disabled / blocked / no_key for skips
    status: int | None = None
    detail: str | None = None
    elapsed_ms: int | None = None
    ttft_ms: int | None = None
    cooldown_s: float | None = None  # how long the model (or provider) went out after this
    remaining_s: float | None = None  # for skips: time left on the disable (None = until enabled)
    source: str | None = None  # for skips: manual / auto

    def to_json(self) -> dict:
        out: dict = {"model": self.model, "provider": self.provider, "outcome": self.outcome}
        for key in ("kind", "status", "detail", "elapsed_ms", "ttft_ms", "cooldown_s"):
            value = getattr(self, key)
            if value is not None:
                out[key] = round(value, 3) if isinstance(value, float) else value
        return out


@dataclass(frozen=True)
class AttemptStarted:
    model: str
    provider: str
    number: int  # 1-based attempt number within this run
    retry: bool = False
    hedge: bool = False  # started beside a silent model (hedged first tokens): two requests in flight
    beside: str | None = None  # for a hedge: the model that was silent
    after_s: float | None = None  # for a hedge: how long it had been silent


@dataclass(frozen=True)
class AttemptCancelled:
    """A hedged race's loser: the other model's first token came first, so this request was closed.

    Not a failure: nothing is disabled or recorded against the model for being second."""

    attempt: Attempt


@dataclass(frozen=True)
class AttemptSkipped:
    attempt: Attempt


@dataclass(frozen=True)
class Waiting:
    """The chain is waiting (e.g. a short Retry-After) before retrying the same model."""

    model: str
    seconds: float
    reason: str


@dataclass(slots=True)  # not frozen: one per token, and frozen init costs 3× as much
class Token:
    model: str
    text: str
    reasoning: bool = False


@dataclass(slots=True)
class ToolCallToken:
    """A fragment of a tool call as the model streams it (see `conversation.ToolCallDelta`): the
    first content of an answer may be a call, and a local endpoint forwards the fragments as they come."""

    model: str
    index: int
    id: str | None
    name: str | None
    arguments: str


@dataclass(frozen=True)
class AttemptFailed:
    """An attempt failed; `action` says what the chain does next: retry, failover or stop."""

    attempt: Attempt
    failure: Failure
    action: Literal["retry", "failover", "stop"]


@dataclass(frozen=True)
class Restarted:
    """A partial answer was cut off; it stays visible, marked interrupted, and the answer restarts."""

    model: str
    partial: str


@dataclass(frozen=True)
class Answered:
    model: str
    provider: str
    content: str
    reasoning: str
    reported_model: str | None
    finish_reason: str | None
    usage: Usage
    attempts: list[Attempt]
    elapsed_ms: int
    ttft_ms: int | None
    tool_calls: tuple[ToolCall, ...] = ()  # the calls the model asked for (finish_reason "tool_calls")


@dataclass(frozen=True)
class ChainFailed:
    """No answer: every model failed or was skipped, or a stop-class failure (content policy, cancel)."""

    kind: str  # a FailureKind value, or "all_failed"
    message: str
    attempts: list[Attempt]
    earliest_return_s: float | None = None  # seconds until the first model comes back, if known
    stopped_at: str | None = None  # model that caused a stop (content policy): "try next model" starts after it


ChainEvent = (AttemptStarted | AttemptSkipped | AttemptCancelled | Waiting | Token | ToolCallToken | AttemptFailed
              | Restarted | Answered | ChainFailed)
