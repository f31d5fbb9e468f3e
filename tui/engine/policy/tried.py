"""How one request to one model ended, as the chain's attempt loop and a hedged race hand it over."""

from __future__ import annotations

from dataclasses import dataclass

from tui.engine.events import Answered, Attempt
from tui.engine.failures import Failure


@dataclass(slots=True)
class Tried:
    """An answer, or a failure and what was shown before it."""

    attempt: Attempt
    answered: Answered | None = None
    failure: Failure | None = None
    partial: str = ""
    shown: bool = False  # anything went out before the failure: text or a tool call's fragments
