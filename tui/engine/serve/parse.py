"""What a route reads from a request body: the target, the canonical request, the stream options.

The translation of the body itself is the provider layer's (`provider.inbound`, the adapters'
mapping read backwards); this adds what only the endpoint cares about: `model` names the group
or model to use (it must be a non-empty string), `stream` must be a boolean, and OpenAI's
`stream_options.include_usage` asks for the usage chunk before `[DONE]`. Every problem is a
`RequestError` naming the field: a 400 in the client's own error format.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tui.engine.conversation import ChatRequest
from tui.engine.failures import RequestError
from tui.engine.provider.inbound import parse_anthropic_request, parse_openai_request


@dataclass
class Inbound:
    model: str
    request: ChatRequest
    include_usage: bool = False


def _read(body: Any, parse: Callable[[Any], ChatRequest]) -> Inbound:
    if not isinstance(body, dict):
        raise RequestError("body: expected a JSON object")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise RequestError("model: expected the name of a group or a configured model")
    if body.get("stream") is not None and not isinstance(body["stream"], bool):
        raise RequestError("stream: expected true or false")
    return Inbound(model, parse(body))


def read_openai(body: Any) -> Inbound:
    """A Chat Completions body: `n` other than 1 is refused (one answer per request)."""
    inbound = _read(body, parse_openai_request)
    if body.get("n") not in (None, 1):
        raise RequestError("n: expected 1 (one answer per request)")
    options = body.get("stream_options")
    if options is not None and not isinstance(options, dict):
        raise RequestError("stream_options: expected an object")
    inbound.include_usage = bool(options and options.get("include_usage") is True)
    return inbound


def read_anthropic(body: Any) -> Inbound:
    """A Messages body: `max_tokens` is required, as Anthropic's API requires it."""
    inbound = _read(body, parse_anthropic_request)
    if inbound.request.max_tokens is None or inbound.request.max_tokens < 1:
        raise RequestError("max_tokens: required, a positive integer")
    return inbound
