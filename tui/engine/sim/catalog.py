"""What a simulated provider publishes about its models and its key, in OpenRouter's documented shapes.

`GET /models` lists ids with `context_length`, `pricing` (USD per token, as strings) and
`supported_parameters`; `GET /models/{author}/{slug}/endpoints` gives each endpoint's `status`
(0 is fine, negative is degraded or down) and uptime over the last 5 minutes, 30 minutes and day
(percent), with latency and throughput percentiles. A listed price also makes the simulator
report `usage.cost` (prompt × prompt price + completion × completion price), as OpenRouter does.
`GET /key` tells the key's credit limit, what is left and what was used (`Account`): the one cheap
call that proves an OpenRouter key.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

CREATED = 1_800_000_000


@dataclass(frozen=True)
class Listing:
    """One model as the provider lists it."""

    context_length: int = 128_000
    prompt_price: float | None = None  # USD per prompt token; None: the provider sends no cost
    completion_price: float | None = None
    uptime_5m: float = 100.0
    uptime_30m: float = 99.9
    uptime_1d: float = 99.8
    status: int = 0  # the endpoint status: 0 fine, negative degraded or down
    provider_name: str = "Simulated"

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float | None:
        if self.prompt_price is None or self.completion_price is None:
            return None
        return round(prompt_tokens * self.prompt_price + completion_tokens * self.completion_price, 10)


@dataclass(frozen=True)
class Account:
    """The simulated key's account: its credit limit in USD (None: no limit) and what it used."""

    limit: float | None = None
    usage: float = 0.0


def key_body(account: Account) -> dict:
    """The `GET /key` body. Its `label` is OpenRouter's shortened key; the simulated key has none."""
    remaining = None if account.limit is None else round(account.limit - account.usage, 10)
    return {"data": {"label": "sim-key...", "limit": account.limit, "limit_reset": None,
                     "limit_remaining": remaining, "include_byok_in_limit": False, "usage": account.usage,
                     "usage_daily": account.usage, "usage_weekly": account.usage, "usage_monthly": account.usage,
                     "byok_usage": 0, "is_free_tier": False}}


def _price(value: float | None) -> str:
    return "0" if value is None else f"{value:.10f}".rstrip("0").rstrip(".")


def models_body(catalog: dict[str, Listing]) -> dict:
    """The `GET /models` body."""
    return {"data": [
        {"id": model, "canonical_slug": model, "name": f"{model} (simulated)", "created": CREATED,
         "description": "A simulated model.", "context_length": item.context_length,
         "architecture": {"modality": "text->text", "input_modalities": ["text"], "output_modalities": ["text"],
                          "tokenizer": "Other", "instruct_type": None},
         "pricing": {"prompt": _price(item.prompt_price), "completion": _price(item.completion_price),
                     "request": "0", "image": "0"},
         "top_provider": {"context_length": item.context_length, "max_completion_tokens": 4096,
                          "is_moderated": False},
         "per_request_limits": None,
         "supported_parameters": ["max_tokens", "temperature", "top_p", "stop", "stream"]}
        for model, item in catalog.items()]}


def endpoints_body(model: str, item: Listing) -> dict:
    """The `GET /models/{author}/{slug}/endpoints` body."""
    return {"data": {
        "id": model, "name": f"{model} (simulated)", "created": CREATED, "description": "A simulated model.",
        "architecture": {"modality": "text->text", "input_modalities": ["text"], "output_modalities": ["text"],
                         "tokenizer": "Other", "instruct_type": None},
        "endpoints": [{
            "name": f"{item.provider_name}: {model}", "model_name": model, "context_length": item.context_length,
            "pricing": {"prompt": _price(item.prompt_price), "completion": _price(item.completion_price),
                        "request": "0", "image": "0"},
            "provider_name": item.provider_name, "tag": item.provider_name.lower(), "quantization": "unknown",
            "max_completion_tokens": 4096, "max_prompt_tokens": item.context_length,
            "supported_parameters": ["max_tokens", "temperature", "top_p", "stop", "stream"],
            "status": item.status, "uptime_last_5m": item.uptime_5m, "uptime_last_30m": item.uptime_30m,
            "uptime_last_1d": item.uptime_1d, "supports_implicit_caching": False,
            "latency_last_30m": {"p50": 0.4, "p75": 0.6, "p90": 0.9, "p99": 1.8},
            "throughput_last_30m": {"p50": 80.0, "p75": 65.0, "p90": 50.0, "p99": 30.0},
        }],
    }}


def default_catalog(models: Iterable[str]) -> dict[str, Listing]:
    """Every given model listed with the defaults (no price: no cost reported)."""
    return {model: Listing() for model in models}
