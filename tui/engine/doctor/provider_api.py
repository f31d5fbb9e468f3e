"""The per-API parts of the provider checks, in one place: which call proves a key, and where a
provider's model list comes from.

OpenRouter (`catalog: openrouter`) has a key endpoint, `GET /key` under its API base
(`/api/v1/key`): it answers only to a valid key and tells the key's credit limit and usage. Its
model list is public, so it proves nothing about the key. Every other provider is asked for the
first page of its model list (its adapter's path: OpenAI's `/models`, Anthropic's `/v1/models`,
Gemini's `/v1beta/models`), which needs the key: that one call proves the key, the endpoint, TLS
and the clock at once. The whole list (every page, each API's shape) is read by the provider's
adapter (`ChatClient.listing`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tui.engine.clock import Clock
from tui.engine.failures import Failure, FailureKind, ProviderError
from tui.engine.provider.adapter import ChatClient, Listed


@dataclass(frozen=True)
class Reply:
    """One GET: its JSON (or the failure), how long it took, and the provider's clock (`Date`)."""

    data: Any
    failure: Failure | None
    latency_ms: float
    offset_s: float | None = None  # the provider's clock minus ours (None: no usable Date header)
    offset_error_s: float = 0.0  # how far off `offset_s` may be (Date has whole seconds; half the round trip)


@dataclass(frozen=True)
class KeyCredit:
    """What OpenRouter's key endpoint says: the credit limit (None: no limit) and what is used.
    Its `label` is left out: it holds part of the key."""

    limit: float | None
    remaining: float | None
    usage: float | None


def key_call(client: ChatClient) -> str:
    """The path of the one call that proves the key: OpenRouter's key endpoint, else the model list."""
    return "/key" if client.provider.catalog == "openrouter" else client.adapter.listing_path(None)


def lists_publicly(client: ChatClient) -> bool:
    """Whether the model list is read without a key."""
    return client.provider.catalog == "openrouter"


async def listing(client: ChatClient, timeout: float, clock: Clock) -> Reply:
    """The provider's whole model list by id (`data`: dict[str, Listed]), or why not."""
    begin = clock.monotonic()
    try:
        async with asyncio.timeout(timeout):
            listed: dict[str, Listed] = await client.listing(timeout)
    except ProviderError as exc:
        return Reply(None, exc.failure, (clock.monotonic() - begin) * 1000)
    except TimeoutError:
        return Reply(None, Failure(FailureKind.TIMEOUT, f"model list not received within {timeout:g}s"),
                     (clock.monotonic() - begin) * 1000)
    return Reply(listed, None, (clock.monotonic() - begin) * 1000)


def one_page(client: ChatClient, first: Reply) -> Reply | None:
    """The whole list from its first page (`first`, the key call's reply), or None when it has more
    pages (read them all with `listing`) or is not a list."""
    try:
        listed, next_page = client.adapter.parse_listing(first.data)
    except ProviderError as exc:
        return Reply(None, exc.failure, first.latency_ms)
    return None if next_page is not None else Reply(listed, None, first.latency_ms)


async def get(client: ChatClient, path: str, timeout: float, clock: Clock, what: str) -> Reply:
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
    from email.utils import parsedate_to_datetime  # here: the email package costs every start ~5 ms

    try:
        stamp = parsedate_to_datetime(raw).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None, 0.0
    middle = (sent + received) / 2
    return stamp + 0.5 - middle, 0.5 + (received - sent) / 2


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
