"""The provider seam: what one provider API must say, and what every API shares.

An `Adapter` knows one API's wire: where to send a chat and with which key header, how the
canonical `ChatRequest` is written in its JSON, how its answers (a whole body, or stream events) read
as canonical pieces (`answer.Delta`, `ToolCallDelta`, `Done`), how its errors map onto the failure
kinds (docs/architecture.md §4), and where and how it lists its models. It does no I/O.

Everything else is written once, in `client.ProviderClient`, for every API: connections and TLS, the
deadlines (connect, time to first token, stall), body limits, the SSE reader, key lookup and
redaction, and the rules of a complete answer (`stream_state.StreamState`). The chain, the health
checks and the API are typed against `ChatClient`, the client's surface, never a concrete class.

Adding an API: docs/architecture.md, "Adding a provider API".
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from tui.engine.failures import CannotCarry, Failure

if TYPE_CHECKING:
    from tui.engine.config import Policy, ProviderConfig
    from tui.engine.conversation import ChatRequest
    from tui.engine.provider.answer import AnswerItem
    from tui.engine.provider.stream_state import StreamState

API_NAMES = ("openai", "anthropic", "gemini")


@dataclass(frozen=True)
class Listed:
    """One model in a provider's listing: its id, the context it takes, and its price in USD per
    million tokens (input, output) when the listing says."""

    id: str
    context_length: int | None
    price: tuple[float, float] | None = None


def listing_items(data: Any, key: str) -> list[dict]:
    """The entries of a listing body's `key` array; ProviderError (protocol) when there is none."""
    items = data.get(key) if isinstance(data, dict) else None
    if not isinstance(items, list):
        from tui.engine.failures import FailureKind, ProviderError

        raise ProviderError(Failure(FailureKind.PROTOCOL, f"model list without {key}[]"))
    return [item for item in items if isinstance(item, dict)]


class Adapter(ABC):
    """One provider API's wire format. Pure: builds and reads, never sends."""

    api: ClassVar[str]
    may_refuse: ClassVar[bool] = True  # whether build_body can raise CannotCarry (OpenAI's carries everything)

    def __init__(self, base_url: str) -> None:
        self.base = self.normalize_base(base_url.rstrip("/"))

    def normalize_base(self, base: str) -> str:
        """The URL the adapter's paths are appended to, from the base URL as the vendor's SDK takes it."""
        return base

    @abstractmethod
    def chat_path(self, model_id: str, stream: bool) -> str:
        """The path of a chat request, after `base`."""

    @abstractmethod
    def auth_headers(self, key: str) -> dict[str, str]:
        """The headers that carry the key (and any version header the API requires)."""

    def fixed_headers(self) -> dict[str, str]:
        """Headers every request of this API carries, with or without a key."""
        return {}

    @abstractmethod
    def build_body(self, model_id: str, request: ChatRequest, max_tokens: int | None) -> dict[str, Any]:
        """The JSON body of a chat. `max_tokens` is the model's configured default, used when the
        request names none. Raises RequestError for what the API cannot carry."""

    def cannot_carry(self, model_id: str, request: ChatRequest, max_tokens: int | None) -> str | None:
        """Why this API cannot carry `request` (the CannotCarry message), or None. The chain asks
        before it tries a model, so a model of another API can answer instead."""
        if not self.may_refuse:
            return None
        try:
            self.build_body(model_id, request, max_tokens)
        except CannotCarry as exc:
            return str(exc)
        return None

    @abstractmethod
    def stream_state(self, provider: str, status: int, headers: Mapping[str, str], now_wall: float) -> StreamState:
        """A reader for one answer (streamed events, or a whole body via `json_answer`)."""

    @abstractmethod
    def classify_response(self, status: int, headers: Mapping[str, str] | None, body: bytes | str | dict | None,
                          now_wall: float) -> Failure:
        """A failed response (non-2xx, or a 2xx carrying an error) as a Failure."""

    @abstractmethod
    def classify_error(self, error: Any, status: int | None, headers: Mapping[str, str] | None, now_wall: float,
                       after_content: bool = False) -> Failure:
        """An error object found in a body or a stream; after content it is `interrupted`."""

    @abstractmethod
    def listing_path(self, page: str | None) -> str:
        """The path of the model listing (of the page after `page`, a cursor from `parse_listing`)."""

    @abstractmethod
    def parse_listing(self, data: Any) -> tuple[dict[str, Listed], str | None]:
        """One listing page: models by the id a chat sends, and the cursor of the next page (None: last).
        Raises ProviderError (protocol) for a body of the wrong shape."""


class ChatClient(Protocol):
    """What the chain, the health checks and the catalogue use of a provider: the shared client's surface."""

    name: str
    provider: ProviderConfig
    adapter: Adapter

    def has_key(self) -> bool: ...

    def key_fingerprint(self) -> str | None: ...

    def chat(self, model_id: str, request: ChatRequest, policy: Policy, *,
             max_tokens: int | None = None) -> AsyncIterator[AnswerItem]: ...

    async def get_json(self, path: str, timeout: float, what: str = "response") -> Any: ...

    async def get_json_reply(self, path: str, timeout: float, what: str = "response"
                             ) -> tuple[Any, Mapping[str, str]]: ...

    async def listing(self, timeout: float) -> dict[str, Listed]: ...

    async def list_models(self, timeout: float) -> list[str]: ...

    async def aclose(self) -> None: ...
