"""Failure kinds and what the policy does with each (docs/architecture.md §4).

A `Failure` is the engine's single description of why an attempt did not produce an answer.
The classifier produces it, the chain acts on it, the breaker and the UI display it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class FailureKind(str, Enum):
    RATE_LIMITED = "rate_limited"
    QUOTA = "quota"
    UNAVAILABLE = "unavailable"
    SERVER_ERROR = "server_error"
    TIMEOUT = "timeout"
    CONNECTION = "connection"
    INTERRUPTED = "interrupted"
    PROTOCOL = "protocol"
    NOT_FOUND = "not_found"
    AUTH = "auth"
    CONTEXT_LENGTH = "context_length"
    CONTENT_POLICY = "content_policy"
    BAD_REQUEST = "bad_request"
    CANCELLED = "cancelled"


class Scope(str, Enum):
    """What a failure disables: the model, every model of the provider (and key), or nothing."""

    MODEL = "model"
    PROVIDER = "provider"
    REQUEST = "request"


@dataclass(frozen=True)
class KindPolicy:
    scope: Scope
    same_model_retry: bool  # one quick retry of the same model before failing over
    stop_chain: bool  # stop instead of failing over
    fixed_cooldown_s: float | None = None  # e.g. not_found: 1 h; None = the cooldown policy


POLICY: dict[FailureKind, KindPolicy] = {
    FailureKind.RATE_LIMITED: KindPolicy(Scope.MODEL, False, False),
    FailureKind.QUOTA: KindPolicy(Scope.PROVIDER, False, False),
    FailureKind.UNAVAILABLE: KindPolicy(Scope.MODEL, False, False),
    FailureKind.SERVER_ERROR: KindPolicy(Scope.MODEL, True, False),
    FailureKind.TIMEOUT: KindPolicy(Scope.MODEL, False, False),
    FailureKind.CONNECTION: KindPolicy(Scope.MODEL, True, False),
    FailureKind.INTERRUPTED: KindPolicy(Scope.MODEL, False, False),
    FailureKind.PROTOCOL: KindPolicy(Scope.MODEL, False, False),
    FailureKind.NOT_FOUND: KindPolicy(Scope.MODEL, False, False, fixed_cooldown_s=3600.0),
    FailureKind.AUTH: KindPolicy(Scope.PROVIDER, False, False),
    FailureKind.CONTEXT_LENGTH: KindPolicy(Scope.REQUEST, False, False),
    FailureKind.CONTENT_POLICY: KindPolicy(Scope.REQUEST, False, True),
    FailureKind.BAD_REQUEST: KindPolicy(Scope.REQUEST, False, False),
    FailureKind.CANCELLED: KindPolicy(Scope.REQUEST, False, True),
}


@dataclass(frozen=True)
class Failure:
    """Why one attempt failed.

    `retry_after_s` is the provider's requested wait (Retry-After, retry-after-ms, reset headers),
    already converted to seconds from now. `reset_at` is an absolute wall time when the provider
    said a quota resets. `detail` is short, human, and never contains a secret.
    """

    kind: FailureKind
    detail: str = ""
    status: int | None = None
    retry_after_s: float | None = None
    reset_at: float | None = None
    code: str | None = None

    @property
    def policy(self) -> KindPolicy:
        return POLICY[self.kind]

    def short(self) -> str:
        """One line for trails and tables: `503 unavailable`, `timeout`."""
        return f"{self.status} {self.kind.value}" if self.status else self.kind.value

    def summary(self, limit: int = 160) -> str:
        """`503 unavailable: <detail>`, for a model's "last error"."""
        return (f"{self.short()}: {self.detail}" if self.detail else self.short())[:limit]


class ProviderError(Exception):
    """Raised by the provider client; carries the classified failure."""

    def __init__(self, failure: Failure, partial: str = "") -> None:
        super().__init__(failure.detail or failure.kind.value)
        self.failure = failure
        self.partial = partial


class RequestError(ValueError):
    """The request could not be built on our side (text that is not valid Unicode, say).

    Not a provider's failure: nothing is disabled, no attempt is recorded against a model, and the
    message says what to fix.
    """


class CannotCarry(RequestError):
    """Something in the request that one API cannot carry (an image by URL for Gemini, tool-call
    arguments that are not an object for Anthropic and Gemini). The chain skips the models of that
    API, blaming none, and goes on to one that can; only when none can does the run end with it."""
