"""The canonical request in Anthropic's Messages shape (wires.md §2, §4.2).

Anthropic takes one `system`, only user and assistant turns, tool results as `tool_result` blocks
at the start of the next user turn, tool calls as `tool_use` blocks with an object `input`, a
required `max_tokens`, temperature up to 1, and no seed. Each of those is handled here, once:
what is harmless to adapt is adapted or dropped with a debug line; what cannot be carried raises
CannotCarry (a RequestError) before anything is sent (no model is blamed).
"""

from __future__ import annotations

import logging
from typing import Any

from tui.engine.conversation import ChatMessage, ChatRequest, ImagePart, Part, TextPart, ToolChoice
from tui.engine.failures import CannotCarry

log = logging.getLogger("modelfallback.anthropic")

DEFAULT_MAX_TOKENS = 4096  # Anthropic requires max_tokens; what LiteLLM and others send by default
MAX_TEMPERATURE = 1.0


def _image(part: ImagePart) -> dict[str, Any]:
    inline = part.as_base64()
    if inline is not None:
        media_type, data = inline
        return {"type": "image", "source": {"type": "base64", "media_type": media_type, "data": data}}
    if part.url and part.url.startswith(("https://", "http://")):
        return {"type": "image", "source": {"type": "url", "url": part.url}}
    raise CannotCarry("an image that is neither a URL nor base64 data cannot be sent to an Anthropic model")


def _blocks(parts: tuple[Part, ...]) -> list[dict[str, Any]]:
    """Text and image blocks; empty text blocks are left out (the API rejects them)."""
    out: list[dict[str, Any]] = []
    for part in parts:
        if isinstance(part, TextPart):
            if part.text:
                out.append({"type": "text", "text": part.text})
        else:
            out.append(_image(part))
    return out


def _result(message: ChatMessage) -> dict[str, Any]:
    if message.tool_call_id is None:
        raise CannotCarry("a tool result without the id of the call it answers cannot be sent to an Anthropic model")
    block: dict[str, Any] = {"type": "tool_result", "tool_use_id": message.tool_call_id}
    if isinstance(message.content, str):
        block["content"] = message.content
    else:
        block["content"] = _blocks(message.content)
    if message.is_error:
        block["is_error"] = True
    return block


def _assistant(message: ChatMessage) -> list[dict[str, Any]]:
    blocks = _blocks(message.parts)
    for call in message.tool_calls:
        try:
            arguments = call.input()
        except ValueError as exc:
            raise CannotCarry(f"{exc}; Anthropic needs an object") from None
        blocks.append({"type": "tool_use", "id": call.id, "name": call.name, "input": arguments})
    return blocks


def anthropic_messages(request: ChatRequest) -> list[dict[str, Any]]:
    """The turns as Anthropic messages: consecutive same-role turns merged, tool results first in
    their user turn, empty turns left out, the final assistant text right-stripped."""
    turns: list[dict[str, Any]] = []
    for message in request.turns():
        if message.role == "tool":
            role, blocks = "user", [_result(message)]
        elif message.role == "assistant":
            role, blocks = "assistant", _assistant(message)
        else:
            role, blocks = "user", _blocks(message.parts)
        if not blocks:
            continue
        if turns and turns[-1]["role"] == role:
            previous = turns[-1]["content"]
            if blocks[0]["type"] == "tool_result":  # results go before any text of the turn
                results = [b for b in previous if b["type"] == "tool_result"]
                previous[:] = results + blocks + [b for b in previous if b["type"] != "tool_result"]
            else:
                previous.extend(blocks)
        else:
            turns.append({"role": role, "content": blocks})
    if turns and turns[-1]["role"] == "assistant":
        last = turns[-1]["content"]
        if last and last[-1]["type"] == "text":
            last[-1]["text"] = last[-1]["text"].rstrip()
            if not last[-1]["text"]:
                last.pop()
    return turns


def _tool_choice(choice: ToolChoice | None, parallel: bool | None) -> dict[str, Any] | None:
    if choice is None and parallel is not False:
        return None
    mode = choice.mode if choice is not None else "auto"
    out: dict[str, Any] = {"type": {"auto": "auto", "required": "any", "tool": "tool", "none": "none"}[mode]}
    if mode == "tool":
        out["name"] = choice.name if choice is not None else None
    if parallel is False and mode != "none":
        out["disable_parallel_tool_use"] = True
    return out


def anthropic_body(model_id: str, request: ChatRequest, max_tokens: int | None) -> dict[str, Any]:
    """The Messages API body for the canonical request."""
    body: dict[str, Any] = dict(request.extra.get("anthropic", {}))
    messages = anthropic_messages(request)
    if not messages:
        raise CannotCarry("the conversation has no message an Anthropic model can read")
    body.update(model=model_id, messages=messages, stream=request.stream,
                max_tokens=request.max_tokens or max_tokens or DEFAULT_MAX_TOKENS)
    if request.system:
        body["system"] = request.system
    if request.temperature is not None:
        if request.temperature > MAX_TEMPERATURE:
            log.debug("temperature %g clamped to %g for Anthropic", request.temperature, MAX_TEMPERATURE)
        body["temperature"] = min(request.temperature, MAX_TEMPERATURE)
    if request.top_p is not None:
        body["top_p"] = request.top_p
    stops = [s for s in request.stop if s.strip()]  # the API rejects whitespace-only sequences
    if stops:
        body["stop_sequences"] = stops
    if request.seed is not None:
        log.debug("seed dropped: the Anthropic API has none")
    tools = [{"name": t.name, "description": t.description, "input_schema": dict(t.parameters)}
             for t in request.tools]
    declared = {t.name for t in request.tools}
    for message in request.messages:  # history with tool blocks needs its tools declared
        for call in message.tool_calls:
            if call.name not in declared:
                log.debug("tool %r from the history declared for Anthropic", call.name)
                declared.add(call.name)
                tools.append({"name": call.name, "input_schema": {"type": "object"}})
    if tools:
        body["tools"] = tools
    choice = _tool_choice(request.tool_choice, request.parallel_tool_calls)
    if choice is not None and (tools or choice["type"] == "none"):
        body["tool_choice"] = choice
    return body
