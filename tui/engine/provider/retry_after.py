"""Retry-After and rate-limit reset headers -> how long to wait, or until when.

Providers say it in many ways: `retry-after-ms`, `Retry-After` (seconds or an HTTP date),
`llm_provider-retry-after` (a LiteLLM proxy forwarding the upstream's header),
`x-ratelimit-reset` (OpenRouter: epoch milliseconds), OpenAI's `x-ratelimit-reset-*` durations.
Pure functions; nothing raises.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from tui.engine.durations import parse_duration


def lower_headers(headers: Any) -> dict[str, str]:
    """Any header mapping (dict, httpx.Headers, bytes pairs) as a plain dict with lower-case names."""
    out: dict[str, str] = {}
    try:
        items = headers.items() if headers else ()
        for key, value in items:
            key = key.decode("latin-1") if isinstance(key, bytes) else str(key)
            value = value.decode("latin-1") if isinstance(value, bytes) else str(value)
            out[key.strip().lower()] = value.strip()
    except Exception:  # a malformed mapping is as good as none
        pass
    return out


def number(value: Any) -> float | None:
    """A finite float from a header value, else None."""
    try:
        result = float(str(value).strip())
    except (TypeError, ValueError):
        return None
    return result if math.isfinite(result) else None


def retry_info(headers: Mapping[str, str], now_wall: float) -> tuple[float | None, float | None]:
    """(seconds from now, absolute wall time): whichever the provider stated, first found wins."""
    for name in ("retry-after-ms", "llm_provider-retry-after-ms"):
        if (ms := number(headers.get(name))) is not None:
            return max(0.0, ms / 1000.0), None
    for name in ("retry-after", "llm_provider-retry-after"):
        raw = headers.get(name)
        if raw is None:
            continue
        if (seconds := number(raw)) is not None:
            return max(0.0, seconds), None
        import email.utils  # here: an HTTP date is rare, and the email package costs a start ~4 ms

        try:
            when = email.utils.parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError, OverflowError):
            continue
        if when is not None and when.tzinfo is not None:
            return None, when.timestamp()
    for name in ("x-ratelimit-reset", "llm_provider-x-ratelimit-reset"):
        raw = headers.get(name)
        if raw is None:
            continue
        if (value := number(raw)) is not None:
            if value > 1e11:
                return None, value / 1000.0  # epoch milliseconds (OpenRouter)
            if value > 1e9:
                return None, value  # epoch seconds
            return max(0.0, value), None  # a small number: seconds from now
        if (duration := _duration(raw)) is not None:
            return duration, None
    waits = [d for kind in ("requests", "tokens")
             if headers.get(f"x-ratelimit-remaining-{kind}", "").strip() == "0"
             and (d := _duration(headers.get(f"x-ratelimit-reset-{kind}"))) is not None]
    return (max(waits), None) if waits else (None, None)


def _duration(raw: Any) -> float | None:
    try:
        return parse_duration(str(raw)) if raw is not None else None
    except ValueError:
        return None


def parse_retry_after(headers: Mapping[str, str] | None, now_wall: float) -> float | None:
    """Seconds to wait, from retry-after-ms, Retry-After (seconds or HTTP date),
    llm_provider-retry-after (LiteLLM proxy) or x-ratelimit-reset (epoch ms/s); never negative."""
    try:
        relative, absolute = retry_info(lower_headers(headers), now_wall)
    except Exception:
        return None
    if relative is not None:
        return relative
    return max(0.0, absolute - now_wall) if absolute is not None else None
