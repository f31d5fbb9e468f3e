"""Scripted provider behaviours for the simulator (docs/architecture.md §5): the leaves.

A behaviour is plain, frozen data describing how one model answers one request. There are three
sorts, so scripts compose freely (composites live in sim_script):

- answers (`Healthy` and the stream faults built on `Answer`): HTTP 200 and a body whose timing
  (time to first token, token rate) is real. A fault placed "after N tokens" only fires in an
  answer that reaches N tokens, so a 1-token health probe passes a `CutMidStream(40)` model.
- error replies (`ErrorReply` subclasses): an HTTP error status with a provider-shaped body.
- composites (`Composite` subclasses): pick another behaviour per request, by request count
  (`Sequence`, `ServerErrorOnce`), elapsed clock time (`Timeline`), a seeded coin (`Flaky`) or the
  request's size (`ChatsOnly`); `KeepAlive` adds SSE comment lines before the first token.

The transport does all the I/O; this module has none.
"""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass, field
from typing import Any


class Behaviour:
    """Base of every scripted behaviour."""


# --------------------------------------------------------------------------------------------
# Answers: 200 and a (possibly faulty) body
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer(Behaviour):
    """Timing shared by everything that answers 200; every delay is divided by the transport speed.

    `answer_tokens` fixes the answer length (default: the composed answer, ~60-120 tokens).
    `fragment` splits SSE events across network reads (mid-line, mid-UTF-8 character), as real
    proxies do, to exercise the client's SSE buffering.
    """

    _: KW_ONLY
    ttft: float = 0.3
    tokens_per_s: float = 60.0
    answer_tokens: int | None = None
    fragment: bool = False

    def first_token_delay(self) -> float:
        """Seconds from the response headers to the first content token."""
        return self.ttft

    def fault_at(self) -> int | None:
        """Token position where the fault fires (None: no fault)."""
        return None


@dataclass(frozen=True)
class Healthy(Answer):
    """A normal streamed (or JSON) answer."""

    ttft: float = 0.3
    tokens_per_s: float = 60.0
    answer_tokens: int | None = None


@dataclass(frozen=True)
class SlowFirstToken(Answer):
    """Headers and a role-only delta at once, then silence for `delay` s before the first token.

    The role-only delta must not count as the first token, so the client's ttft timeout fires.
    """

    delay: float = 15.0

    def first_token_delay(self) -> float:
        return self.delay


@dataclass(frozen=True)
class CutMidStream(Answer):
    """The body ends after `after_tokens` tokens: no finish reason, no usage, no [DONE].

    By default the connection drops (the client sees httpx.RemoteProtocolError, as with a real
    incomplete chunked body); `clean=True` ends the body normally instead. `times` limits how
    many answers are cut (None: every answer that is long enough); later ones are healthy.
    """

    after_tokens: int = 40
    times: int | None = None
    clean: bool = False

    def fault_at(self) -> int | None:
        return self.after_tokens


@dataclass(frozen=True)
class ErrorChunk(Answer):
    """OpenRouter's in-stream error: after `after_tokens` tokens, a chunk with a top-level
    `error: {code, message}` and `choices[0].finish_reason: "error"`, then the stream ends.

    `after_tokens=0` makes the error chunk the first and only event. A non-streamed request gets
    HTTP 200 with an `{"error": ...}` body instead (OpenRouter's error-inside-200).
    """

    after_tokens: int = 20
    code: int = 502
    message: str = "Provider returned error (simulated upstream failure)"
    done: bool = False  # also send `data: [DONE]` after the error chunk

    def fault_at(self) -> int | None:
        return self.after_tokens


@dataclass(frozen=True)
class MalformedLine(Answer):
    """`count` unparseable `data:` lines after `after_tokens` tokens; the stream then carries on.

    Non-streamed requests are unaffected (a bad SSE line has no JSON-body equivalent).
    """

    after_tokens: int = 5
    count: int = 1

    def fault_at(self) -> int | None:
        return self.after_tokens


@dataclass(frozen=True)
class Hang(Answer):
    """Never answers. `after_tokens=None`: no response headers at all; a number: the stream
    stalls forever after that many tokens. Cancellable; honours the request's read timeout
    (raising httpx.ReadTimeout) exactly as a silent real server would.
    """

    after_tokens: int | None = None

    def fault_at(self) -> int | None:
        return self.after_tokens


# --------------------------------------------------------------------------------------------
# Error replies: an HTTP error status before anything is streamed
# --------------------------------------------------------------------------------------------


class ErrorReply(Behaviour):
    """An HTTP error response; subclasses give the status, body and headers."""

    def status_code(self) -> int:
        raise NotImplementedError

    def body(self, model: str) -> dict[str, Any]:
        raise NotImplementedError

    def headers(self) -> dict[str, str]:
        return {}


def _retry_after_headers(seconds: float | None) -> dict[str, str]:
    """Both forms real providers send: whole seconds and (OpenAI) milliseconds."""
    if seconds is None:
        return {}
    whole = int(seconds) if float(seconds).is_integer() else int(seconds) + 1
    return {"retry-after": str(whole), "retry-after-ms": str(int(round(seconds * 1000)))}


def _openrouter_error(code: int, message: str, **metadata: Any) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if metadata:
        error["metadata"] = {"provider_name": "Simulated", **metadata}
    return {"error": error}


def _openai_error(message: str, type_: str, code: str | None) -> dict[str, Any]:
    return {"error": {"message": message, "type": type_, "param": None, "code": code}}


@dataclass(frozen=True)
class HttpError(ErrorReply):
    """Any status with any body; for cases the named behaviours don't cover."""

    status: int = 500
    payload: dict[str, Any] | None = None
    extra_headers: dict[str, str] = field(default_factory=dict)

    def status_code(self) -> int:
        return self.status

    def body(self, model: str) -> dict[str, Any]:
        return self.payload if self.payload is not None else _openrouter_error(
            self.status, f"Simulated HTTP {self.status}")

    def headers(self) -> dict[str, str]:
        return dict(self.extra_headers)


@dataclass(frozen=True)
class RateLimited(ErrorReply):
    """429 with Retry-After and an OpenAI-style `rate_limit_exceeded` body."""

    retry_after: float | None = 2.0

    def status_code(self) -> int:
        return 429

    def body(self, model: str) -> dict[str, Any]:
        wait = f" Please try again in {self.retry_after:g}s." if self.retry_after else ""
        return _openai_error(f"Rate limit reached for {model} (simulated).{wait}",
                             "requests", "rate_limit_exceeded")

    def headers(self) -> dict[str, str]:
        return _retry_after_headers(self.retry_after)


@dataclass(frozen=True)
class Unavailable(ErrorReply):
    """503 (or 502/529) with an OpenRouter-style body; Retry-After only when given."""

    status: int = 503
    retry_after: float | None = None

    def status_code(self) -> int:
        return self.status

    def body(self, model: str) -> dict[str, Any]:
        return _openrouter_error(self.status, f"No endpoints available for {model} (simulated "
                                 "outage)", error_type="provider_unavailable",
                                 raw="upstream overloaded")

    def headers(self) -> dict[str, str]:
        return _retry_after_headers(self.retry_after)


@dataclass(frozen=True)
class ServerError(ErrorReply):
    """A plain 500."""

    status: int = 500

    def status_code(self) -> int:
        return self.status

    def body(self, model: str) -> dict[str, Any]:
        return _openrouter_error(self.status, "Internal Server Error (simulated)")


@dataclass(frozen=True)
class Quota(ErrorReply):
    """Out of credits: OpenRouter's 402, or (status=429) OpenAI's `insufficient_quota`."""

    status: int = 402

    def status_code(self) -> int:
        return self.status

    def body(self, model: str) -> dict[str, Any]:
        if self.status == 429:
            return _openai_error("You exceeded your current quota, please check your plan and "
                                 "billing details (simulated).", "insufficient_quota",
                                 "insufficient_quota")
        return _openrouter_error(402, "Insufficient credits (simulated). Add more to continue.")


@dataclass(frozen=True)
class AuthFailure(ErrorReply):
    """401: the key is missing, invalid or disabled."""

    def status_code(self) -> int:
        return 401

    def body(self, model: str) -> dict[str, Any]:
        return _openrouter_error(401, "No auth credentials found (simulated)")


@dataclass(frozen=True)
class NotFound(ErrorReply):
    """404 for an unknown model, OpenAI-style."""

    def status_code(self) -> int:
        return 404

    def body(self, model: str) -> dict[str, Any]:
        return _openai_error(f"The model `{model}` does not exist or you do not have access to "
                             "it (simulated).", "invalid_request_error", "model_not_found")


@dataclass(frozen=True)
class ContextTooLong(ErrorReply):
    """400 context_length_exceeded."""

    def status_code(self) -> int:
        return 400

    def body(self, model: str) -> dict[str, Any]:
        return _openai_error("This model's maximum context length is 8192 tokens (simulated).",
                             "invalid_request_error", "context_length_exceeded")


@dataclass(frozen=True)
class ContentPolicy(ErrorReply):
    """403 with OpenRouter moderation metadata."""

    def status_code(self) -> int:
        return 403

    def body(self, model: str) -> dict[str, Any]:
        return _openrouter_error(403, f"{model} requires moderation: input flagged (simulated)",
                                 reasons=["simulated"], flagged_input="...", model_slug=model)
