"""What a provider publishes about its models for free: the listing and per-endpoint health.

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
from tui.engine.provider.client import ProviderClient


@dataclass(frozen=True)
class Listed:
    """One model in the provider's listing."""

    id: str
    context_length: int | None


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
    """`{"data": [{"id", "context_length", ...}]}` to Listed by id; ProviderError if not that shape."""
    items = data.get("data") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise ProviderError(Failure(FailureKind.PROTOCOL, "model list without data[]"))
    out: dict[str, Listed] = {}
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            continue
        context = _number(item.get("context_length"))
        top = item.get("top_provider")
        if context is None and isinstance(top, dict):
            context = _number(top.get("context_length"))
        out[item["id"]] = Listed(item["id"], int(context) if context and context > 0 else None)
    return out


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


async def fetch_listing(client: ProviderClient, timeout: float) -> dict[str, Listed]:
    return parse_listing(await client.get_json("/models", timeout, "model list"))


async def fetch_endpoints(client: ProviderClient, model_id: str, timeout: float) -> EndpointHealth:
    return parse_endpoints(await client.get_json(f"/models/{quote(model_id, safe='/:')}/endpoints", timeout,
                                                 "endpoint list"))
