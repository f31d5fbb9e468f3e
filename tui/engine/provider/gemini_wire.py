"""The canonical request in Gemini's `generateContent` shape (wires.md §3, §4.2).

Gemini takes one `systemInstruction`, `user` and `model` contents, calls as `functionCall` parts
with an object `args`, results as `functionResponse` parts matched by the function's *name* (ids
are usually absent), an OpenAPI-subset schema for parameters, images as bytes (or a file URI), no
parallel-call switch. Harmless differences are adapted or dropped with a debug line; what cannot be
carried raises CannotCarry (a RequestError) before anything is sent.
"""

from __future__ import annotations

import logging
import mimetypes
from collections.abc import Mapping
from typing import Any

from tui.engine.conversation import ChatMessage, ChatRequest, ImagePart, Part, TextPart
from tui.engine.failures import CannotCarry

log = logging.getLogger("modelfallback.gemini")

# History written by another API carries no thought signature; Gemini 3 documents this placeholder for it.
PLACEHOLDER_SIGNATURE = "skip_thought_signature_validator"
_SCHEMA_KEYS = {"type", "format", "description", "nullable", "enum", "properties", "required", "items", "anyOf",
                "minItems", "maxItems", "minimum", "maximum", "title", "minLength", "maxLength", "pattern",
                "propertyOrdering", "default", "minProperties", "maxProperties"}


def clean_schema(schema: Any, defs: Mapping[str, Any] | None = None, depth: int = 0) -> Any:
    """A JSON Schema in Gemini's dialect: `$ref`s into `$defs` inlined, `["x", "null"]` types and
    `anyOf` with null as `nullable`, keys Gemini rejects (`additionalProperties`, `$schema`…) dropped."""
    if not isinstance(schema, dict) or depth > 32:
        return schema
    defs = {**(defs or {}), **schema.get("$defs", {}), **schema.get("definitions", {})}
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.rsplit("/", 1)[-1] in defs:
        return clean_schema(defs[ref.rsplit("/", 1)[-1]], defs, depth + 1)
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key not in _SCHEMA_KEYS:
            continue
        if key == "properties" and isinstance(value, dict):
            out[key] = {name: clean_schema(sub, defs, depth + 1) for name, sub in value.items()}
        elif key == "items":
            out[key] = clean_schema(value, defs, depth + 1)
        elif key == "anyOf" and isinstance(value, list):
            options = [o for o in value if not (isinstance(o, dict) and o.get("type") == "null")]
            if len(options) < len(value):
                out["nullable"] = True
            if len(options) == 1:
                out.update(clean_schema(options[0], defs, depth + 1))
            else:
                out[key] = [clean_schema(o, defs, depth + 1) for o in options]
        elif key == "type" and isinstance(value, list):
            types = [t for t in value if t != "null"]
            if len(types) < len(value):
                out["nullable"] = True
            out["type"] = types[0] if types else "string"
        else:
            out[key] = value
    return out


def _image(part: ImagePart) -> dict[str, Any]:
    inline = part.as_base64()
    if inline is not None:
        media_type, data = inline
        return {"inlineData": {"mimeType": media_type, "data": data}}
    url = part.url or ""
    mime = part.media_type or mimetypes.guess_type(url.split("?", 1)[0])[0]
    if url.startswith(("https://", "http://", "gs://")) and mime and mime.startswith("image/"):
        return {"fileData": {"mimeType": mime, "fileUri": url}}
    raise CannotCarry("an image by URL of unknown type cannot be sent to a Gemini model; send it as base64 data")


def _parts(parts: tuple[Part, ...]) -> list[dict[str, Any]]:
    return [({"text": p.text} if isinstance(p, TextPart) else _image(p))
            for p in parts if not (isinstance(p, TextPart) and not p.text)]


def _response(message: ChatMessage, names: Mapping[str, str]) -> dict[str, Any]:
    name = message.name or names.get(message.tool_call_id or "")
    if not name:
        raise CannotCarry("a tool result whose function name cannot be found cannot be sent to a Gemini model")
    result: dict[str, Any] = {"error" if message.is_error else "content": message.text}
    return {"functionResponse": {"name": name, "response": result}}


def gemini_contents(request: ChatRequest) -> list[dict[str, Any]]:
    """The turns as Gemini contents: same-role turns merged, tool results as function responses in
    the user content after the calls, empty parts left out."""
    names = {c.id: c.name for m in request.messages for c in m.tool_calls}
    contents: list[dict[str, Any]] = []
    for message in request.turns():
        if message.role == "tool":
            role, parts = "user", [_response(message, names)]
        elif message.role == "assistant":
            role, parts = "model", _parts(message.parts)
            for number, call in enumerate(message.tool_calls):
                try:
                    part: dict[str, Any] = {"functionCall": {"name": call.name, "args": call.input()}}
                except ValueError as exc:
                    raise CannotCarry(f"{exc}; Gemini needs an object") from None
                if number == 0:
                    part["thoughtSignature"] = PLACEHOLDER_SIGNATURE
                parts.append(part)
        else:
            role, parts = "user", _parts(message.parts)
        if not parts:
            continue
        if contents and contents[-1]["role"] == role:
            contents[-1]["parts"].extend(parts)
        else:
            contents.append({"role": role, "parts": parts})
    return contents


def gemini_body(request: ChatRequest, max_tokens: int | None) -> dict[str, Any]:
    """The generateContent body for the canonical request (the model goes in the path)."""
    body: dict[str, Any] = dict(request.extra.get("gemini", {}))
    contents = gemini_contents(request)
    if not contents:
        raise CannotCarry("the conversation has no message a Gemini model can read")
    body["contents"] = contents
    if request.system:
        body["systemInstruction"] = {"parts": [{"text": request.system}]}
    config: dict[str, Any] = dict(body.get("generationConfig") or {})
    tokens = request.max_tokens if request.max_tokens is not None else max_tokens
    for key, value in (("temperature", request.temperature), ("topP", request.top_p),
                       ("maxOutputTokens", tokens), ("seed", request.seed)):
        if value is not None:
            config[key] = value
    if request.stop:
        config["stopSequences"] = list(request.stop)
    if config:
        body["generationConfig"] = config
    if request.tools:
        body["tools"] = [{"functionDeclarations": [
            {"name": t.name, "description": t.description, "parameters": clean_schema(dict(t.parameters))}
            for t in request.tools]}]
    if request.parallel_tool_calls is False:
        log.debug("parallel_tool_calls=false dropped: Gemini has no such switch")
    choice = request.tool_choice
    if choice is not None:
        mode = {"auto": "AUTO", "none": "NONE", "required": "ANY", "tool": "ANY"}[choice.mode]
        calling: dict[str, Any] = {"mode": mode}
        if choice.mode == "tool" and choice.name:
            calling["allowedFunctionNames"] = [choice.name]
        body["toolConfig"] = {"functionCallingConfig": calling}
    return body
