"""What a provider publishes about its models for free: the listing and per-endpoint health.

The listing comes through the provider's adapter (each API has its own path, shape and paging);
OpenRouter (docs/architecture.md §6): `GET /models` lists every model with `context_length`
(no key needed), and `GET /models/{author}/{slug}/endpoints` gives each endpoint's `status`
(0 fine, negative degraded or down) and `uptime_last_5m` / `_30m` / `_1d` in percent. Bodies of
the wrong shape are a `protocol` failure, never a crash: a listing is advice, and the app falls
back to probing without it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from tui.engine.failures import Failure, FailureKind, ProviderError
from tui.engine.provider.adapter import ChatClient, Listed
from tui.engine.provider.openai import OpenAIAdapter

__all__ = ["EndpointHealth", "Listed", "fetch_endpoints", "fetch_listing", "parse_endpoints", "parse_listing"]


@dataclass(frozen=True)
class EndpointHealth:
    """The provider's own view of a model's endpoints: the best uptime over the last 30 minutes
    (the figure OpenRouter's routing looks at), and whether any endpoint reports status 0."""

    uptime: float | None
    any_up: bool | None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def parse_listing(data: Any) -> dict[str, Listed]:
    """An OpenAI-style `{"data": [{"id", "context_length", ...}]}` to Listed by id; ProviderError if not that shape."""
    return OpenAIAdapter("").parse_listing(data)[0]


def parse_endpoints(data: Any) -> EndpointHealth:
    """`{"data": {"endpoints": [{"status", "uptime_last_30m", ...}]}}`; ProviderError if not that shape."""
    body = data.get("data") if isinstance(data, dict) else None
    endpoints = body.get("endpoints") if isinstance(body, dict) else None
    if not isinstance(endpoints, list):
        raise ProviderError(Failure(FailureKind.PROTOCOL, "endpoint list without data.endpoints[]"))
    uptimes = [u for e in endpoints if isinstance(e, dict)
               for u in [_number(e.get("uptime_last_30m"))] if u is not None and 0 <= u <= 100]
    statuses = [s for e in endpoints if isinstance(e, dict) for s in [_number(e.get("status"))] if s is not None]
    return EndpointHealth(max(uptimes) if uptimes else None, any(s == 0 for s in statuses) if statuses else None)


async def fetch_listing(client: ChatClient, timeout: float) -> dict[str, Listed]:
    return await client.listing(timeout)


async def fetch_endpoints(client: ChatClient, model_id: str, timeout: float) -> EndpointHealth:
    return parse_endpoints(await client.get_json(f"/models/{quote(model_id, safe='/:')}/endpoints", timeout,
                                                 "endpoint list"))
