"""Will a conversation fit a model's context? A conservative estimate, without a tokenizer.

A request that cannot fit is a request that must fail (`context_length`), so the chain skips such
a model instead of paying for the failure. Without the model's tokenizer the count is a guess,
so the skip needs certainty: it uses a low bound (about five characters per token once
whitespace runs are collapsed, fewer than real text has), and shows the usual estimate (about four
characters per token). When the estimate is unsure, the request is sent.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from tui.engine.events import ChatMessage

_SPACE = re.compile(r"\s+")
MESSAGE_OVERHEAD = 4  # role and separators, per message
LOW_CHARS_PER_TOKEN = 5.0
TYPICAL_CHARS_PER_TOKEN = 4.0


def estimate(messages: Sequence[ChatMessage]) -> tuple[int, int]:
    """(low bound, typical estimate) of the prompt's tokens."""
    chars = sum(len(_SPACE.sub(" ", m.text)) for m in messages)
    overhead = MESSAGE_OVERHEAD * len(messages)
    return (math.floor(chars / LOW_CHARS_PER_TOKEN) + overhead,
            math.ceil(chars / TYPICAL_CHARS_PER_TOKEN) + overhead)


def short_count(tokens: int) -> str:
    """`900`, `1.3k`, `11k`; a power-of-two context the way it is quoted (8192 → `8k`, 131072 → `128k`)."""
    if tokens < 1000:
        return str(tokens)
    if tokens % 1024 == 0:
        return f"{tokens // 1024}k"
    return f"{tokens / 1000:.1f}k" if tokens < 10_000 else f"{round(tokens / 1000)}k"


def too_long_for(messages: Sequence[ChatMessage], context_length: int | None) -> str | None:
    """`context 8k < ~11k` when the conversation surely exceeds `context_length`, else None."""
    if context_length is None:
        return None
    low, typical = estimate(messages)
    if low <= context_length:
        return None
    return f"context {short_count(context_length)} < ~{short_count(typical)}"
