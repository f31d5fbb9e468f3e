"""The per-API parts of the provider checks, in one place: which call proves a key, where a
provider lists its models, and what a listing says about a model (id, context length, price).

OpenRouter (`catalog: openrouter`) has a key endpoint, `GET /key` under its API base
(`/api/v1/key`): it answers only to a valid key and tells the key's credit limit and usage. Its
model list is public, so it proves nothing about the key. Any other OpenAI-compatible provider is
asked for its model list (`GET /models`), which needs the key: the one call proves the key, the
endpoint and the listing at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

from tui.engine.clock import Clock
from tui.engine.failures import Failure, FailureKind, ProviderError
from tui.engine.provider.catalog import parse_listing
from tui.engine.provider.client import ProviderClient


@dataclass(frozen=True)
class Reply:
    """One GET: its JSON (or the failure), how long it took, and the provider's clock (`Date`)."""

    data: Any
    failure: Failure | None
    latency_ms: float
    offset_s: float | None = None  # the provider's clock minus ours (None: no usable Date header)
    offset_error_s: float = 0.0  # how far off `offset_s` may be (Date has whole seconds; half the round trip)


@dataclass(frozen=True)
class ListedModel:
    id: str
    context_length: int | None
    price: tuple[float, float] | None  # USD per prompt token, per completion token


@dataclass(frozen=True)
class KeyCredit:
    """What OpenRouter's key endpoint says: the credit limit (None: no limit) and what is used.
    Its `label` is left out: it holds part of the key."""

    limit: float | None
    remaining: float | None
    usage: float | None


def key_call(client: ProviderClient) -> str:
    """The path of the one call that proves the key: OpenRouter's key endpoint, else the model list."""
    return "/key" if client.provider.catalog == "openrouter" else "/models"


def lists_publicly(client: ProviderClient) -> bool:
    """Whether the model list is read without a key (a separate call from the key's)."""
    return client.provider.catalog == "openrouter"


async def get(client: ProviderClient, path: str, timeout: float, clock: Clock, what: str) -> Reply:
    """GET `path`, bounded by `timeout`; never raises for the provider's failures."""
    begin, wall_begin = clock.monotonic(), clock.wall()
    try:
        async with asyncio.timeout(timeout):
            data, headers = await client.get_json_reply(path, timeout, what)
    except ProviderError as exc:
        return Reply(None, exc.failure, (clock.monotonic() - begin) * 1000)
    except TimeoutError:
        return Reply(None, Failure(FailureKind.TIMEOUT, f"{what} not received within {timeout:g}s"),
                     (clock.monotonic() - begin) * 1000)
    latency = clock.monotonic() - begin
    offset, error = _clock_offset(headers, wall_begin, clock.wall())
    return Reply(data, None, latency * 1000, offset, error)


def _clock_offset(headers: Mapping[str, str], sent: float, received: float) -> tuple[float | None, float]:
    """The provider's clock minus ours. `Date` counts whole seconds (the server's time lies within
    [date, date + 1)), taken somewhere between our send and receive: compare its middle with ours."""
    raw = headers.get("date")
    if not raw:
        return None, 0.0
    try:
        stamp = parsedate_to_datetime(raw).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None, 0.0
    middle = (sent + received) / 2
    return stamp + 0.5 - middle, 0.5 + (received - sent) / 2


def parse_models(data: Any) -> dict[str, ListedModel]:
    """A `GET /models` body: ids and context lengths (the catalogue's own parser) and prices."""
    listed = parse_listing(data)
    prices: dict[str, tuple[float, float]] = {}
    for item in data.get("data", []):
        if isinstance(item, dict) and isinstance(item.get("pricing"), dict):
            price = _price(item["pricing"])
            if price is not None and isinstance(item.get("id"), str):
                prices[item["id"]] = price
    return {mid: ListedModel(mid, entry.context_length, prices.get(mid)) for mid, entry in listed.items()}


def _price(pricing: Mapping[str, Any]) -> tuple[float, float] | None:
    """OpenRouter's `pricing` (USD per token, as strings); None when absent or not numbers."""
    try:
        prompt, completion = float(pricing["prompt"]), float(pricing["completion"])
    except (KeyError, TypeError, ValueError):
        return None
    return (prompt, completion) if prompt >= 0 and completion >= 0 else None


def parse_key(data: Any) -> KeyCredit | None:
    """OpenRouter's `GET /key` body: `{"data": {label, limit, limit_remaining, usage, ...}}`."""
    body = data.get("data") if isinstance(data, dict) else None
    if not isinstance(body, dict):
        return None

    def number(name: str) -> float | None:
        value = body.get(name)
        return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None

    limit, usage = number("limit"), number("usage")
    remaining = number("limit_remaining")
    if remaining is None and limit is not None and usage is not None:
        remaining = limit - usage
    return KeyCredit(limit, remaining, usage)
