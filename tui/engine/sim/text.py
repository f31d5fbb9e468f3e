"""The simulator's answer text: plainly simulated, Markdown-rich, deterministic, valid UTF-8.

Kept apart from the transport so the wire code stays short. The answer names the model, echoes
the question, and carries a list and a fenced code block so the chat pane's Markdown rendering
shows up in demo mode.
"""

from __future__ import annotations

import random
import re
from typing import Any

_BULLETS = (
    "A **fallback chain** tries each model in order until one answers.",
    "A failing model goes out for a *cooldown* that doubles on each new failure.",
    "When the cooldown ends the model is probed once before it takes traffic again.",
    "A partial answer cut off mid-stream stays visible, marked *interrupted*.",
    "Rate limits with a short `Retry-After` are waited out, then retried once.",
    "A manual disable outlives a restart and is never lifted early by a probe.",
    "Keep-alive comments and role-only deltas do not count as the first token.",
    "Every wait is bounded, so the whole chain never hangs.",
)

_SNIPPETS = (
    ("python", 'def answer(question: str) -> str:\n    return "simulated: " + question'),
    ("python", "for model in chain:\n    if available(model):\n        break"),
    ("bash", "modelfallback chat -g coding 'hello'"),
    ("json", '{"ok": true, "model": "simulated"}'),
)

_FILLER = ("This sentence only pads the simulated answer to the requested length.",
           "More simulated text follows, one short token at a time.")

_TOKEN = re.compile(r"\s*\S{1,6}")


def clean_text(text: str) -> str:
    """Text that always encodes as UTF-8 (lone surrogates from JSON escapes become '?')."""
    return text.encode("utf-8", "replace").decode("utf-8")


def last_user_text(messages: Any) -> str:
    """The last user message as one line; handles string and content-part lists."""
    if not isinstance(messages, list):
        return ""
    for message in reversed(messages):
        if not isinstance(message, dict) or message.get("role") != "user":
            continue
        content = message.get("content")
        if isinstance(content, list):
            content = " ".join(part.get("text", "") for part in content
                               if isinstance(part, dict) and isinstance(part.get("text"), str))
        return " ".join(str(content or "").split())
    return ""


def prompt_tokens(messages: Any) -> int:
    """A rough prompt size (4 characters a token, plus a little per message)."""
    if not isinstance(messages, list):
        return 1
    chars = sum(len(str(m.get("content", ""))) for m in messages if isinstance(m, dict))
    return max(1, chars // 4 + 4 * len(messages))


def compose_answer(model: str, question: str, rng: random.Random) -> str:
    """About 60-120 tokens of Markdown: heading, echo, three bullets, a small code block."""
    echo = clean_text(question)
    if len(echo) > 80:
        echo = echo[:79].rstrip() + "…"
    echo = echo.replace("`", "'") or "(an empty message)"
    bullets = rng.sample(_BULLETS, 3)
    lang, code = rng.choice(_SNIPPETS)
    return (f"### Simulated answer from `{model}`\n\n"
            f"You asked: “{echo}”. This reply comes from the built-in simulator — no network, "
            "no API key.\n\n"
            + "".join(f"- {b}\n" for b in bullets)
            + f"\n```{lang}\n{code}\n```")


def split_tokens(text: str) -> list[str]:
    """A few characters per token, leading whitespace attached; `"".join` gives `text` back."""
    return _TOKEN.findall(text.rstrip())


def answer_tokens(model: str, question: str, rng: random.Random,
                  length: int | None = None) -> list[str]:
    """The answer as tokens, padded with filler or trimmed when `length` is fixed."""
    tokens = split_tokens(compose_answer(model, question, rng))
    if length is None:
        return tokens
    n = 0
    while len(tokens) < length:
        tokens += split_tokens("\n\n" + _FILLER[n % len(_FILLER)])
        n += 1
    return tokens[:max(0, length)]
