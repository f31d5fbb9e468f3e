"""What an inbound API's format must provide: parse a body, write an answer, a stream and an error.

`openai_wire` and `anthropic_wire` implement it; the app and the relay only ever talk to a `Wire`,
so "any inbound API to any outbound API" is these two files plus the provider adapters.
"""

from __future__ import annotations

import json
import os
from abc import ABC, abstractmethod
from typing import Any

from tui.engine.events import Answered, ToolCallToken
from tui.engine.serve.parse import Inbound


def new_id(prefix: str) -> str:
    """A response id in the API's style (`chatcmpl-…`, `msg_…`)."""
    return prefix + os.urandom(12).hex()


def dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


class StreamWriter(ABC):
    """One streamed answer in the client's format; every method returns the bytes to send."""

    @abstractmethod
    def text(self, text: str) -> bytes: ...

    @abstractmethod
    def tool(self, token: ToolCallToken) -> bytes: ...

    @abstractmethod
    def end(self, answered: Answered) -> bytes:
        """The normal end: finish reason, usage, the terminator."""

    @abstractmethod
    def fail(self, message: str, transient: bool) -> bytes:
        """An in-band error after content went out (the status line is already 200): never a clean end."""


class Wire(ABC):
    """One inbound API."""

    name: str

    @abstractmethod
    def parse(self, body: Any) -> Inbound: ...

    @abstractmethod
    def error(self, status: int, message: str, *, code: str | None = None) -> bytes:
        """An error body in this API's shape for an HTTP `status`."""

    @abstractmethod
    def answer(self, answered: Answered) -> bytes:
        """A whole (non-streamed) answer."""

    @abstractmethod
    def stream(self, model: str, include_usage: bool) -> StreamWriter: ...

    def all_out_status(self, kinds: set[str]) -> int:
        """The status for "every model is out"; `kinds` are the failure kinds of the attempts."""
        return 503
