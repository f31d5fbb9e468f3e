"""Inbound request bodies to the canonical `ChatRequest`: OpenAI Chat Completions and Anthropic Messages.

The local endpoint receives whatever an editor, agent or SDK sends; every shape problem becomes a
`BadRequest` that names the field (the client gets a 400 in its own error format), never an
exception from deep inside. Fields this translation does not model travel in `ChatRequest.extra`
under the inbound API's name, so they reach providers of the same API and no others.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from tui.engine.conversation import (ChatMessage, ChatRequest, ImagePart, Part, TextPart, ToolCall, ToolChoice,
                                     ToolSpec)

MAX_STOP = 16  # more stop strings than any API accepts is a malformed request


class BadRequest(ValueError):
    """The request's own problem: a 400 in the client's error format, naming `param` when known."""

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param


@dataclass
class Inbound:
    """What a route needs from a request body: the target (`model`), the canonical request, and
    the OpenAI `stream_options.include_usage` flag (the usage chunk before `[DONE]`)."""

    model: str
    request: ChatRequest
    include_usage: bool = False


# -- shared type checks -------------------------------------------------------------------------

def _str(value: Any, param: str, *, empty: bool = True) -> str:
    if not isinstance(value, str) or (not empty and not value):
        raise BadRequest(f"'{param}' must be a {'non-empty ' if not empty else ''}string", param)
    return value


def _int(value: Any, param: str, low: int = 0) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        raise BadRequest(f"'{param}' must be an integer >= {low}", param)
    return value


def _number(value: Any, param: str) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value != value:
        raise BadRequest(f"'{param}' must be a number", param)
    return float(value)


def _bool(value: Any, param: str) -> bool:
    if not isinstance(value, bool):
        raise BadRequest(f"'{param}' must be true or false", param)
    return value


def _list(value: Any, param: str, *, empty: bool = True) -> list:
    if not isinstance(value, list) or (not empty and not value):
        raise BadRequest(f"'{param}' must be a {'non-empty ' if not empty else ''}array", param)
    return value


def _dict(value: Any, param: str) -> dict:
    if not isinstance(value, dict):
        raise BadRequest(f"'{param}' must be an object", param)
    return value


def _stops(value: Any, param: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    items = _list(value, param)
    if len(items) > MAX_STOP:
        raise BadRequest(f"'{param}' may hold at most {MAX_STOP} strings", param)
    return tuple(_str(s, f"{param}[{i}]") for i, s in enumerate(items))


def _schema(value: Any, param: str) -> dict:
    return {"type": "object", "properties": {}} if value is None else _dict(value, param)


def _sampling(body: dict, request: ChatRequest) -> None:
    """temperature and top_p: the same in both APIs."""
    if body.get("temperature") is not None:
        request.temperature = _number(body["temperature"], "temperature")
    if body.get("top_p") is not None:
        request.top_p = _number(body["top_p"], "top_p")


def _body(body: Any) -> dict:
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object")
    return body


# -- OpenAI Chat Completions --------------------------------------------------------------------

_OPENAI_HANDLED = {"model", "messages", "stream", "stream_options", "max_tokens", "max_completion_tokens",
                   "temperature", "top_p", "stop", "seed", "tools", "tool_choice", "parallel_tool_calls", "n"}
_OPENAI_ROLES = {"system": "system", "developer": "system", "user": "user", "assistant": "assistant", "tool": "tool"}


def _openai_parts(content: Any, param: str) -> str | tuple[Part, ...]:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    parts: list[Part] = []
    for i, part in enumerate(_list(content, param)):
        where = f"{param}[{i}]"
        part = _dict(part, where)
        kind = part.get("type")
        if kind == "text":
            parts.append(TextPart(_str(part.get("text"), f"{where}.text")))
        elif kind == "image_url":
            image = part.get("image_url")
            image = {"url": image} if isinstance(image, str) else _dict(image, f"{where}.image_url")
            detail = image.get("detail")
            parts.append(ImagePart(url=_str(image.get("url"), f"{where}.image_url.url", empty=False),
                                   detail=None if detail is None else _str(detail, f"{where}.image_url.detail")))
        else:
            raise BadRequest(f"'{where}.type' must be 'text' or 'image_url'", f"{where}.type")
    return tuple(parts)


def _openai_tool_calls(value: Any, param: str) -> tuple[ToolCall, ...]:
    calls = []
    for i, call in enumerate(_list(value, param)):
        where = f"{param}[{i}]"
        call = _dict(call, where)
        function = _dict(call.get("function"), f"{where}.function")
        arguments = function.get("arguments", "{}")
        if isinstance(arguments, dict):  # some clients send the object itself
            arguments = json.dumps(arguments)
        calls.append(ToolCall(_str(call.get("id"), f"{where}.id", empty=False),
                              _str(function.get("name"), f"{where}.function.name", empty=False),
                              _str(arguments, f"{where}.function.arguments")))
    return tuple(calls)


def _openai_message(raw: Any, i: int) -> ChatMessage:
    where = f"messages[{i}]"
    raw = _dict(raw, where)
    role = raw.get("role")
    if role not in _OPENAI_ROLES:
        raise BadRequest(f"'{where}.role' must be one of {', '.join(_OPENAI_ROLES)}", f"{where}.role")
    message = ChatMessage(_OPENAI_ROLES[role], _openai_parts(raw.get("content"), f"{where}.content"))  # type: ignore[arg-type]
    if role == "assistant" and raw.get("tool_calls") is not None:
        message.tool_calls = _openai_tool_calls(raw["tool_calls"], f"{where}.tool_calls")
    if role == "tool":
        message.tool_call_id = _str(raw.get("tool_call_id"), f"{where}.tool_call_id", empty=False)
        if raw.get("name") is not None:
            message.name = _str(raw["name"], f"{where}.name")
    return message


def _openai_tools(value: Any) -> tuple[ToolSpec, ...]:
    tools = []
    for i, tool in enumerate(_list(value, "tools")):
        where = f"tools[{i}]"
        tool = _dict(tool, where)
        if tool.get("type", "function") != "function":
            raise BadRequest(f"'{where}.type' must be 'function'", f"{where}.type")
        function = _dict(tool.get("function"), f"{where}.function")
        tools.append(ToolSpec(_str(function.get("name"), f"{where}.function.name", empty=False),
                              _str(function.get("description") or "", f"{where}.function.description"),
                              _schema(function.get("parameters"), f"{where}.function.parameters")))
    return tuple(tools)


def _openai_choice(value: Any) -> ToolChoice:
    if value in ("none", "auto", "required"):
        return ToolChoice(value)
    if isinstance(value, dict) and isinstance(value.get("function"), dict):
        return ToolChoice("tool", _str(value["function"].get("name"), "tool_choice.function.name", empty=False))
    raise BadRequest("'tool_choice' must be 'none', 'auto', 'required' or {\"type\": \"function\", \"function\": "
                     "{\"name\": ...}}", "tool_choice")


def parse_openai(body: Any) -> Inbound:
    """An OpenAI Chat Completions body (`POST /v1/chat/completions`) as an `Inbound`."""
    body = _body(body)
    model = _str(body.get("model"), "model", empty=False)
    messages = [_openai_message(m, i) for i, m in enumerate(_list(body.get("messages"), "messages", empty=False))]
    request = ChatRequest(messages, stream=False if body.get("stream") is None else _bool(body["stream"], "stream"))
    limit = body.get("max_completion_tokens", body.get("max_tokens"))
    if limit is not None:
        request.max_tokens = _int(limit, "max_tokens", 1)
    _sampling(body, request)
    request.stop = _stops(body.get("stop"), "stop")
    if body.get("seed") is not None:
        request.seed = _int(body["seed"], "seed", -(2 ** 63))
    if body.get("tools") is not None:
        request.tools = _openai_tools(body["tools"])
    if body.get("tool_choice") is not None:
        request.tool_choice = _openai_choice(body["tool_choice"])
    if body.get("parallel_tool_calls") is not None:
        request.parallel_tool_calls = _bool(body["parallel_tool_calls"], "parallel_tool_calls")
    if body.get("n") not in (None, 1):
        raise BadRequest("'n' must be 1: one answer per request", "n")
    include_usage = False
    if body.get("stream_options") is not None:
        options = _dict(body["stream_options"], "stream_options")
        include_usage = options.get("include_usage") is True
    extra = {k: v for k, v in body.items() if k not in _OPENAI_HANDLED}
    if extra:
        request.extra["openai"] = extra
    return Inbound(model, request, include_usage)


# -- Anthropic Messages -------------------------------------------------------------------------

_ANTHROPIC_HANDLED = {"model", "messages", "system", "max_tokens", "stream", "temperature", "top_p",
                      "stop_sequences", "tools", "tool_choice"}


def _anthropic_image(block: dict, where: str) -> ImagePart:
    source = _dict(block.get("source"), f"{where}.source")
    if source.get("type") == "base64":
        return ImagePart(data=_str(source.get("data"), f"{where}.source.data", empty=False),
                         media_type=_str(source.get("media_type"), f"{where}.source.media_type", empty=False))
    if source.get("type") == "url":
        return ImagePart(url=_str(source.get("url"), f"{where}.source.url", empty=False))
    raise BadRequest(f"'{where}.source.type' must be 'base64' or 'url'", f"{where}.source.type")


def _block_text(content: Any, where: str) -> str:
    """A tool result's content (a string or blocks) as text; images inside a result are not carried."""
    if isinstance(content, str) or content is None:
        return content or ""
    texts = []
    for i, block in enumerate(_list(content, where)):
        block = _dict(block, f"{where}[{i}]")
        if block.get("type") == "text":
            texts.append(_str(block.get("text"), f"{where}[{i}].text"))
    return "\n".join(texts)


def _anthropic_turn(raw: Any, i: int) -> list[ChatMessage]:
    """One Anthropic turn as canonical messages: a user turn's tool results become `tool`
    messages placed before its text; an assistant turn's `tool_use` blocks become its tool calls."""
    where = f"messages[{i}]"
    raw = _dict(raw, where)
    role = raw.get("role")
    if role not in ("user", "assistant"):
        raise BadRequest(f"'{where}.role' must be 'user' or 'assistant'", f"{where}.role")
    content = raw.get("content")
    if isinstance(content, str):
        return [ChatMessage(role, content)]
    parts: list[Part] = []
    calls: list[ToolCall] = []
    results: list[ChatMessage] = []
    for j, block in enumerate(_list(content, f"{where}.content")):
        at = f"{where}.content[{j}]"
        block = _dict(block, at)
        kind = block.get("type")
        if kind == "text":
            parts.append(TextPart(_str(block.get("text"), f"{at}.text")))
        elif kind == "image":
            parts.append(_anthropic_image(block, at))
        elif kind == "tool_use" and role == "assistant":
            arguments = block.get("input", {})
            calls.append(ToolCall(_str(block.get("id"), f"{at}.id", empty=False),
                                  _str(block.get("name"), f"{at}.name", empty=False),
                                  json.dumps(_dict(arguments, f"{at}.input"))))
        elif kind == "tool_result" and role == "user":
            results.append(ChatMessage("tool", _block_text(block.get("content"), f"{at}.content"),
                                       tool_call_id=_str(block.get("tool_use_id"), f"{at}.tool_use_id", empty=False),
                                       is_error=block.get("is_error") is True))
        elif kind in ("thinking", "redacted_thinking"):
            continue  # valid only for the vendor that wrote it; another model cannot read it back
        else:
            allowed = "text, image, tool_use" if role == "assistant" else "text, image, tool_result"
            raise BadRequest(f"'{at}.type' must be one of {allowed} in a {role} turn", f"{at}.type")
    messages = list(results)
    if parts or calls or not results:
        text_only = all(isinstance(p, TextPart) for p in parts)
        body: str | tuple[Part, ...] = "".join(p.text for p in parts) if text_only else tuple(parts)  # type: ignore[union-attr]
        messages.append(ChatMessage(role, body, tool_calls=tuple(calls)))
    return messages


def _anthropic_tools(value: Any) -> tuple[ToolSpec, ...]:
    tools = []
    for i, tool in enumerate(_list(value, "tools")):
        where = f"tools[{i}]"
        tool = _dict(tool, where)
        if tool.get("type") not in (None, "custom"):
            raise BadRequest(f"'{where}': server tools ({tool.get('type')!r}) cannot be answered by another "
                             "provider; only custom tools are supported", f"{where}.type")
        tools.append(ToolSpec(_str(tool.get("name"), f"{where}.name", empty=False),
                              _str(tool.get("description") or "", f"{where}.description"),
                              _schema(tool.get("input_schema"), f"{where}.input_schema")))
    return tuple(tools)


def _anthropic_choice(value: Any, request: ChatRequest) -> ToolChoice:
    choice = _dict(value, "tool_choice")
    if choice.get("disable_parallel_tool_use") is True:
        request.parallel_tool_calls = False
    kind = choice.get("type")
    if kind in ("auto", "none"):
        return ToolChoice(kind)
    if kind == "any":
        return ToolChoice("required")
    if kind == "tool":
        return ToolChoice("tool", _str(choice.get("name"), "tool_choice.name", empty=False))
    raise BadRequest("'tool_choice.type' must be 'auto', 'any', 'tool' or 'none'", "tool_choice.type")


def parse_anthropic(body: Any) -> Inbound:
    """An Anthropic Messages body (`POST /v1/messages`) as an `Inbound`."""
    body = _body(body)
    model = _str(body.get("model"), "model", empty=False)
    if "max_tokens" not in body:
        raise BadRequest("'max_tokens' is required", "max_tokens")
    turns = _list(body.get("messages"), "messages", empty=False)
    messages: list[ChatMessage] = []
    system = body.get("system")
    if system is not None:
        text = system if isinstance(system, str) else _block_text(_list(system, "system"), "system")
        if text:
            messages.append(ChatMessage("system", text))
    for i, turn in enumerate(turns):
        messages.extend(_anthropic_turn(turn, i))
    request = ChatRequest(messages, stream=False if body.get("stream") is None else _bool(body["stream"], "stream"),
                          max_tokens=_int(body["max_tokens"], "max_tokens", 1))
    _sampling(body, request)
    request.stop = _stops(body.get("stop_sequences"), "stop_sequences")
    if body.get("tools") is not None:
        request.tools = _anthropic_tools(body["tools"])
    if body.get("tool_choice") is not None:
        request.tool_choice = _anthropic_choice(body["tool_choice"], request)
    extra = {k: v for k, v in body.items() if k not in _ANTHROPIC_HANDLED}
    if extra:
        request.extra["anthropic"] = extra
    return Inbound(model, request)
