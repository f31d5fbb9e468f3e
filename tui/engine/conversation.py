"""The canonical chat request: one shape for the whole conversation, whatever API carries it.

Every provider adapter translates a `ChatRequest` into its own wire format and its answers back
into the canonical deltas below; the local endpoint (`serve`) translates inbound OpenAI and
Anthropic requests into a `ChatRequest`. The shape follows OpenAI's Chat Completions message
model (roles system / user / assistant / tool, tool calls on the assistant message, one `tool`
message per result) because it is the one the other two map onto without loss: Anthropic's
`tool_result` blocks become `tool` messages, Gemini's `functionResponse` parts likewise.

Text-only callers keep writing `ChatMessage("user", "hello")`: `content` is a string or a tuple
of parts, and `text` gives the text of either.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Role = Literal["system", "user", "assistant", "tool"]
FinishReason = Literal["stop", "length", "tool_calls", "content_filter", "error"]


@dataclass(frozen=True, slots=True)
class TextPart:
    text: str


@dataclass(frozen=True, slots=True)
class ImagePart:
    """An image by URL (`https://…` or a `data:` URL) or as base64 `data` with its `media_type`.

    `detail` is OpenAI's hint (auto / low / high); the other APIs ignore it."""

    url: str | None = None
    data: str | None = None
    media_type: str | None = None
    detail: str | None = None

    def as_base64(self) -> tuple[str, str] | None:
        """(media type, base64 data) when the image travels as bytes (inline or a data: URL), else None."""
        if self.data is not None:
            return self.media_type or "image/png", self.data
        if self.url and self.url.startswith("data:") and ";base64," in self.url:
            head, _, data = self.url.partition(";base64,")
            return head[len("data:"):] or "image/png", data
        return None


Part = TextPart | ImagePart


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """A function the model may call: its name, what it does, and its parameters as JSON Schema."""

    name: str
    description: str = ""
    parameters: Mapping[str, Any] = field(default_factory=lambda: {"type": "object", "properties": {}})


@dataclass(frozen=True, slots=True)
class ToolChoice:
    """`auto` (the model decides), `none`, `required` (some tool), or `tool` (the one named)."""

    mode: Literal["auto", "none", "required", "tool"] = "auto"
    name: str | None = None


@dataclass(frozen=True, slots=True)
class ToolCall:
    """An assistant's call of a tool. `arguments` is the JSON text as the model wrote it (OpenAI's
    form; it may be malformed or cut short); `input()` is the object Anthropic and Gemini carry."""

    id: str
    name: str
    arguments: str = "{}"

    def input(self) -> dict[str, Any]:
        """The arguments as an object; ValueError when they are not a JSON object."""
        try:
            value = json.loads(self.arguments) if self.arguments.strip() else {}
        except json.JSONDecodeError as exc:
            raise ValueError(f"tool call {self.name!r} has arguments that are not JSON: {exc.msg}") from None
        if not isinstance(value, dict):
            raise ValueError(f"tool call {self.name!r} has arguments that are not a JSON object")
        return value


@dataclass
class ChatMessage:
    """One turn. `tool_calls` on an assistant turn; `tool_call_id` (and the tool's `name`, which
    Gemini needs to match a result) on a `tool` turn; `is_error` marks a failed tool result."""

    role: Role
    content: str | tuple[Part, ...] = ""
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None
    name: str | None = None
    is_error: bool = False

    @property
    def text(self) -> str:
        """The message's text: the string itself, or its text parts joined."""
        if isinstance(self.content, str):
            return self.content
        return "".join(part.text for part in self.content if isinstance(part, TextPart))

    @property
    def parts(self) -> tuple[Part, ...]:
        """The content as parts (a string is one text part; an empty string none)."""
        if isinstance(self.content, str):
            return (TextPart(self.content),) if self.content else ()
        return self.content

    def has_images(self) -> bool:
        return not isinstance(self.content, str) and any(isinstance(p, ImagePart) for p in self.content)

    def to_json(self) -> dict:
        """OpenAI's message shape (what the openai adapter sends, and what a saved chat keeps)."""
        out: dict[str, Any] = {"role": self.role}
        if isinstance(self.content, str):
            out["content"] = self.content if (self.content or not self.tool_calls) else None
        else:
            out["content"] = [_part_json(p) for p in self.content]
        if self.tool_calls:
            out["tool_calls"] = [{"id": c.id, "type": "function",
                                  "function": {"name": c.name, "arguments": c.arguments}} for c in self.tool_calls]
        if self.tool_call_id is not None:
            out["tool_call_id"] = self.tool_call_id
        if self.name is not None and self.role == "tool":
            out["name"] = self.name
        return out


def _part_json(part: Part) -> dict:
    if isinstance(part, TextPart):
        return {"type": "text", "text": part.text}
    url = part.url
    if url is None:
        url = f"data:{part.media_type or 'image/png'};base64,{part.data}"
    image: dict[str, Any] = {"url": url}
    if part.detail:
        image["detail"] = part.detail
    return {"type": "image_url", "image_url": image}


@dataclass
class ChatRequest:
    """What is sent through a chain: the whole conversation, resent in full to whichever model
    answers, with the tools it may call and the sampling parameters.

    `extra` holds fields meant only for one API, by API name (`{"openai": {"logprobs": true}}`):
    they go to providers of that API and nowhere else. A parameter that is None is not sent.
    """

    messages: list[ChatMessage]
    stream: bool = True
    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    stop: tuple[str, ...] = ()
    seed: int | None = None
    tools: tuple[ToolSpec, ...] = ()
    tool_choice: ToolChoice | None = None
    parallel_tool_calls: bool | None = None
    extra: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def system(self) -> str | None:
        """Every system message's text, joined (Anthropic and Gemini take one system prompt)."""
        texts = [m.text for m in self.messages if m.role == "system" and m.text]
        return "\n\n".join(texts) if texts else None

    def turns(self) -> list[ChatMessage]:
        """The conversation without its system messages."""
        return [m for m in self.messages if m.role != "system"]


def conversation(prompt: str | Sequence[ChatMessage], system: str | None = None) -> list[ChatMessage]:
    """A prompt or a conversation as messages, with `system` first when given and not already there."""
    messages = [ChatMessage("user", prompt)] if isinstance(prompt, str) else list(prompt)
    if system and not any(m.role == "system" for m in messages):
        messages.insert(0, ChatMessage("system", system))
    return messages


# -- what a provider's answer is made of (the adapters yield these) ----------------------------


@dataclass(slots=True)  # not frozen: one per token, and frozen init costs 3x as much
class ToolCallDelta:
    """A fragment of a tool call as it streams: `index` names the call within the answer; `id` and
    `name` come with its first fragment, `arguments` pieces are concatenated in order."""

    index: int
    id: str | None = None
    name: str | None = None
    arguments: str = ""


class ToolCallAssembler:
    """Puts streamed tool-call fragments back together, in the order the calls began."""

    def __init__(self) -> None:
        self._calls: dict[int, list[str | None]] = {}  # index -> [id, name, arguments]

    def add(self, delta: ToolCallDelta) -> None:
        call = self._calls.setdefault(delta.index, [None, None, ""])
        if delta.id:
            call[0] = delta.id
        if delta.name:
            call[1] = delta.name
        call[2] = (call[2] or "") + delta.arguments

    def __bool__(self) -> bool:
        return bool(self._calls)

    def calls(self) -> tuple[ToolCall, ...]:
        return tuple(ToolCall(id or f"call_{index}", name or "", args or "{}")
                     for index, (id, name, args) in sorted(self._calls.items()))
