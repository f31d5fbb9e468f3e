"""Inbound request bodies as the canonical request: what a local endpoint receives, read once here.

A client of the local endpoint speaks OpenAI's Chat Completions (`parse_openai_request`) or
Anthropic's Messages (`parse_anthropic_request`); either becomes a `ChatRequest` that any provider
API can carry. The mapping is the adapters' outbound mapping read backwards (wires.md §4), kept
beside them so both directions change together. What has no canonical field and is meant only for
the API it came in (`response_format`, `top_k`, `metadata`, `thinking`…) goes into
`ChatRequest.extra[api]`: it reaches providers of that API and no other. What cannot be carried at
all is refused with `RequestError`, whose message says which field; nothing is dropped silently.
The requested `model` stays in the body: which group answers is the endpoint's business.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from tui.engine.conversation import (ChatMessage, ChatRequest, ImagePart, Part, TextPart, ToolCall, ToolChoice,
                                     ToolSpec)
from tui.engine.failures import RequestError

log = logging.getLogger("modelfallback.inbound")

_OPENAI_KNOWN = {"model", "messages", "stream", "stream_options", "max_tokens", "max_completion_tokens",
                 "temperature", "top_p", "stop", "seed", "tools", "tool_choice", "parallel_tool_calls"}
_ANTHROPIC_KNOWN = {"model", "messages", "system", "stream", "max_tokens", "temperature", "top_p", "stop_sequences",
                    "tools", "tool_choice"}


def _require(cond: bool, where: str, what: str) -> None:
    if not cond:
        raise RequestError(f"{where}: {what}")


def _number(body: dict, key: str) -> float | None:
    value = body.get(key)
    if value is None:
        return None
    _require(isinstance(value, (int, float)) and not isinstance(value, bool), key, "expected a number")
    return float(value)


def _int(body: dict, key: str) -> int | None:
    value = body.get(key)
    if value is None:
        return None
    _require(isinstance(value, int) and not isinstance(value, bool), key, "expected an integer")
    return value


def _stop(value: Any, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    _require(isinstance(value, list) and all(isinstance(s, str) for s in value), key,
             "expected a string or a list of strings")
    return tuple(value)


def _text_part(block: dict, at: str) -> TextPart:
    _require(isinstance(block.get("text"), str), f"{at}.text", "expected a string")
    return TextPart(block["text"])


def _schema(value: Any, where: str) -> dict:
    if value is None:
        return {"type": "object", "properties": {}}
    _require(isinstance(value, dict), where, "expected a JSON Schema object")
    return value


# -- OpenAI Chat Completions ---------------------------------------------------------------------


def parse_openai_request(body: Any) -> ChatRequest:
    """An OpenAI Chat Completions request body as a ChatRequest; RequestError names what is wrong."""
    _require(isinstance(body, dict), "body", "expected a JSON object")
    messages = body.get("messages")
    _require(isinstance(messages, list) and bool(messages), "messages", "expected a non-empty list")
    parsed = [_openai_message(m, f"messages[{i}]") for i, m in enumerate(messages)]
    tools = body.get("tools") or []
    _require(isinstance(tools, list), "tools", "expected a list")
    specs = tuple(_openai_tool(t, f"tools[{i}]") for i, t in enumerate(tools))
    max_tokens = _int(body, "max_completion_tokens")
    if max_tokens is None:
        max_tokens = _int(body, "max_tokens")
    parallel = body.get("parallel_tool_calls")
    _require(parallel is None or isinstance(parallel, bool), "parallel_tool_calls", "expected true or false")
    seed = _int(body, "seed")
    extra = {k: v for k, v in body.items() if k not in _OPENAI_KNOWN}
    return ChatRequest(parsed, stream=bool(body.get("stream", False)), max_tokens=max_tokens,
                       temperature=_number(body, "temperature"), top_p=_number(body, "top_p"),
                       stop=_stop(body.get("stop"), "stop"), seed=seed, tools=specs,
                       tool_choice=_openai_choice(body.get("tool_choice")), parallel_tool_calls=parallel,
                       extra={"openai": extra} if extra else {})


def _openai_message(msg: Any, where: str) -> ChatMessage:
    _require(isinstance(msg, dict), where, "expected a message object")
    role = msg.get("role")
    if role == "developer":
        role = "system"
    if role == "function":  # the legacy form of a tool result: its name is its only link
        return ChatMessage("tool", _openai_content(msg.get("content"), where, text_only=True),
                           tool_call_id=msg.get("name"), name=msg.get("name"))
    _require(role in ("system", "user", "assistant", "tool"), f"{where}.role",
             "expected system, developer, user, assistant or tool")
    content = _openai_content(msg.get("content"), where, text_only=role in ("system", "tool"))
    if role == "tool":
        call_id = msg.get("tool_call_id")
        _require(isinstance(call_id, str) and bool(call_id), f"{where}.tool_call_id", "expected the call's id")
        name = msg.get("name") if isinstance(msg.get("name"), str) else None
        return ChatMessage("tool", content, tool_call_id=call_id, name=name)
    calls: tuple[ToolCall, ...] = ()
    if role == "assistant" and msg.get("tool_calls"):
        raw = msg["tool_calls"]
        _require(isinstance(raw, list), f"{where}.tool_calls", "expected a list")
        calls = tuple(_openai_call(c, f"{where}.tool_calls[{i}]") for i, c in enumerate(raw))
    return ChatMessage(role, content, tool_calls=calls)


def _openai_content(content: Any, where: str, *, text_only: bool = False) -> str | tuple[Part, ...]:
    if content is None or isinstance(content, str):
        return content or ""
    _require(isinstance(content, list), f"{where}.content", "expected a string or a list of parts")
    parts: list[Part] = []
    for i, part in enumerate(content):
        at = f"{where}.content[{i}]"
        _require(isinstance(part, dict), at, "expected a content part object")
        kind = part.get("type")
        if kind == "text":
            parts.append(_text_part(part, at))
        elif kind == "image_url" and not text_only:
            image = part.get("image_url")
            url = image.get("url") if isinstance(image, dict) else image
            _require(isinstance(url, str) and bool(url), f"{at}.image_url.url", "expected an https or data: URL")
            detail = image.get("detail") if isinstance(image, dict) else None
            parts.append(ImagePart(url=url, detail=detail if isinstance(detail, str) else None))
        else:
            raise RequestError(f"{at}.type: content of type {kind!r} cannot be carried here")
    if parts and all(isinstance(p, TextPart) for p in parts) and len(parts) == 1:
        return parts[0].text  # type: ignore[union-attr]
    return tuple(parts)


def _openai_call(call: Any, where: str) -> ToolCall:
    _require(isinstance(call, dict) and call.get("type", "function") == "function", where,
             "expected a function call")
    fn = call.get("function")
    _require(isinstance(fn, dict) and isinstance(fn.get("name"), str), f"{where}.function.name", "expected a name")
    arguments = fn.get("arguments", "{}")
    if isinstance(arguments, dict):  # some clients send the object itself
        arguments = json.dumps(arguments, ensure_ascii=False)
    _require(isinstance(arguments, str), f"{where}.function.arguments", "expected a JSON string")
    call_id = call.get("id")
    _require(isinstance(call_id, str) and bool(call_id), f"{where}.id", "expected the call's id")
    return ToolCall(call_id, fn["name"], arguments)


def _openai_tool(tool: Any, where: str) -> ToolSpec:
    _require(isinstance(tool, dict) and tool.get("type", "function") == "function", f"{where}.type",
             "only function tools can be carried")
    fn = tool.get("function")
    _require(isinstance(fn, dict) and isinstance(fn.get("name"), str), f"{where}.function.name", "expected a name")
    description = fn.get("description") if isinstance(fn.get("description"), str) else ""
    return ToolSpec(fn["name"], description, _schema(fn.get("parameters"), f"{where}.function.parameters"))


def _openai_choice(choice: Any) -> ToolChoice | None:
    if choice is None:
        return None
    if choice in ("auto", "none", "required"):
        return ToolChoice(choice)
    fn = choice.get("function") if isinstance(choice, dict) else None
    _require(isinstance(fn, dict) and isinstance(fn.get("name"), str), "tool_choice",
             "expected none, auto, required or {type: function, function: {name}}")
    return ToolChoice("tool", fn["name"])


# -- Anthropic Messages --------------------------------------------------------------------------


def parse_anthropic_request(body: Any) -> ChatRequest:
    """An Anthropic Messages request body as a ChatRequest; RequestError names what is wrong.

    A user turn's `tool_result` blocks become `tool` messages placed before that turn's text (the
    order every API accepts); a tool result's name is found from the `tool_use` it answers, because
    Gemini matches results by name. Thinking blocks are Anthropic's alone and are not carried.
    """
    _require(isinstance(body, dict), "body", "expected a JSON object")
    messages = body.get("messages")
    _require(isinstance(messages, list) and bool(messages), "messages", "expected a non-empty list")
    out: list[ChatMessage] = []
    system = _anthropic_system(body.get("system"))
    if system:
        out.append(ChatMessage("system", system))
    names: dict[str, str] = {}  # tool_use id -> tool name
    for i, msg in enumerate(messages):
        out += _anthropic_message(msg, f"messages[{i}]", names)
    tools = body.get("tools") or []
    _require(isinstance(tools, list), "tools", "expected a list")
    specs = tuple(_anthropic_tool(t, f"tools[{i}]") for i, t in enumerate(tools))
    choice, parallel = _anthropic_choice(body.get("tool_choice"))
    extra = {k: v for k, v in body.items() if k not in _ANTHROPIC_KNOWN}
    return ChatRequest(out, stream=bool(body.get("stream", False)), max_tokens=_int(body, "max_tokens"),
                       temperature=_number(body, "temperature"), top_p=_number(body, "top_p"),
                       stop=_stop(body.get("stop_sequences"), "stop_sequences"), tools=specs, tool_choice=choice,
                       parallel_tool_calls=parallel, extra={"anthropic": extra} if extra else {})


def _anthropic_system(system: Any) -> str:
    if system is None or isinstance(system, str):
        return system or ""
    _require(isinstance(system, list), "system", "expected a string or a list of text blocks")
    texts = []
    for i, block in enumerate(system):
        _require(isinstance(block, dict) and block.get("type") == "text" and isinstance(block.get("text"), str),
                 f"system[{i}]", "expected a text block")
        texts.append(block["text"])
    return "\n\n".join(texts)


def _anthropic_message(msg: Any, where: str, names: dict[str, str]) -> list[ChatMessage]:
    _require(isinstance(msg, dict), where, "expected a message object")
    role = msg.get("role")
    _require(role in ("user", "assistant"), f"{where}.role", "expected user or assistant")
    content = msg.get("content")
    if isinstance(content, str):
        return [ChatMessage(role, content)]
    _require(isinstance(content, list), f"{where}.content", "expected a string or a list of blocks")
    parts: list[Part] = []
    calls: list[ToolCall] = []
    results: list[ChatMessage] = []
    for i, block in enumerate(content):
        at = f"{where}.content[{i}]"
        _require(isinstance(block, dict), at, "expected a content block")
        kind = block.get("type")
        if kind == "text":
            parts.append(_text_part(block, at))
        elif kind == "image" and role == "user":
            parts.append(_anthropic_image(block.get("source"), f"{at}.source"))
        elif kind == "tool_use" and role == "assistant":
            call_id, name = block.get("id"), block.get("name")
            _require(isinstance(call_id, str) and isinstance(name, str), at, "expected a tool_use with id and name")
            names[call_id] = name
            calls.append(ToolCall(call_id, name, json.dumps(block.get("input") or {}, ensure_ascii=False)))
        elif kind == "tool_result" and role == "user":
            call_id = block.get("tool_use_id")
            _require(isinstance(call_id, str), f"{at}.tool_use_id", "expected the tool_use's id")
            results.append(ChatMessage("tool", _anthropic_result(block.get("content"), at), tool_call_id=call_id,
                                       name=names.get(call_id), is_error=bool(block.get("is_error"))))
        elif kind in ("thinking", "redacted_thinking") and role == "assistant":
            log.debug("%s: a %s block is Anthropic's own and is not carried", at, kind)
        else:
            raise RequestError(f"{at}.type: a {role} block of type {kind!r} cannot be carried here")
    body: str | tuple[Part, ...] = tuple(parts)
    if not parts:
        body = ""
    elif len(parts) == 1 and isinstance(parts[0], TextPart):
        body = parts[0].text
    out = results
    if parts or calls or not results:
        out = [*results, ChatMessage(role, body, tool_calls=tuple(calls))]
    return out


def _anthropic_result(content: Any, where: str) -> str | tuple[Part, ...]:
    if content is None or isinstance(content, str):
        return content or ""
    _require(isinstance(content, list), f"{where}.content", "expected a string or a list of blocks")
    parts: list[Part] = []
    for i, block in enumerate(content):
        at = f"{where}.content[{i}]"
        _require(isinstance(block, dict), at, "expected a content block")
        if block.get("type") == "text" and isinstance(block.get("text"), str):
            parts.append(TextPart(block["text"]))
        elif block.get("type") == "image":
            parts.append(_anthropic_image(block.get("source"), f"{at}.source"))
        else:
            raise RequestError(f"{at}.type: a tool result block of type {block.get('type')!r} cannot be carried")
    if all(isinstance(p, TextPart) for p in parts):
        return "".join(p.text for p in parts)  # type: ignore[union-attr]
    return tuple(parts)


def _anthropic_image(source: Any, where: str) -> ImagePart:
    _require(isinstance(source, dict), where, "expected an image source")
    if source.get("type") == "base64":
        _require(isinstance(source.get("data"), str) and isinstance(source.get("media_type"), str), where,
                 "expected media_type and data")
        return ImagePart(data=source["data"], media_type=source["media_type"])
    if source.get("type") == "url":
        _require(isinstance(source.get("url"), str), f"{where}.url", "expected a URL")
        return ImagePart(url=source["url"])
    raise RequestError(f"{where}.type: an image source of type {source.get('type')!r} cannot be carried here")


def _anthropic_tool(tool: Any, where: str) -> ToolSpec:
    _require(isinstance(tool, dict) and isinstance(tool.get("name"), str), f"{where}.name", "expected a name")
    _require(tool.get("type") in (None, "custom"), f"{where}.type",
             f"the server tool {tool.get('type')!r} is Anthropic's own and cannot be carried")
    description = tool.get("description") if isinstance(tool.get("description"), str) else ""
    return ToolSpec(tool["name"], description, _schema(tool.get("input_schema"), f"{where}.input_schema"))


def _anthropic_choice(choice: Any) -> tuple[ToolChoice | None, bool | None]:
    if choice is None:
        return None, None
    _require(isinstance(choice, dict), "tool_choice", "expected {type: auto | any | tool | none}")
    parallel = False if choice.get("disable_parallel_tool_use") else None
    kind = choice.get("type")
    if kind == "tool":
        _require(isinstance(choice.get("name"), str), "tool_choice.name", "expected the tool's name")
        return ToolChoice("tool", choice["name"]), parallel
    modes = {"auto": "auto", "any": "required", "none": "none"}
    _require(kind in modes, "tool_choice.type", "expected auto, any, tool or none")
    return ToolChoice(modes[kind]), parallel  # type: ignore[arg-type]
