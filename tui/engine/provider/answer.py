"""What every adapter's answer is made of, whatever its API: text pieces, tool-call fragments, one Done.

The shared client yields these, the chain and the health checks consume them; no adapter-specific
shape crosses the seam.
"""

from __future__ import annotations

from dataclasses import dataclass

from tui.engine.conversation import ToolCallDelta
from tui.engine.events import Usage

__all__ = ["AnswerItem", "Delta", "Done", "ToolCallDelta"]


@dataclass(slots=True)  # not frozen: one per token, and frozen init costs 3× as much
class Delta:
    """A piece of the answer; `reasoning` marks thinking text (shown apart, not part of the answer)."""

    text: str
    reasoning: bool = False


@dataclass(frozen=True)
class Done:
    """The answer finished normally. `finish_reason` is canonical: stop, length, tool_calls or
    content_filter (an API's own word when it has no canonical equivalent)."""

    finish_reason: str | None
    usage: Usage | None
    reported_model: str | None


AnswerItem = Delta | ToolCallDelta | Done
