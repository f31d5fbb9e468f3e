"""The validated configuration (docs/architecture.md §3) as plain frozen dataclasses.

`tui.engine.config.loader` builds these from groups.yaml; everything else in the engine reads them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Policy:
    """Timeouts and cooldowns; global defaults that a model entry may override."""

    connect_timeout: float = 5.0
    ttft_timeout: float = 10.0
    stall_timeout: float = 10.0
    cooldown_base: float = 10.0
    cooldown_factor: float = 2.0
    cooldown_max: float = 300.0
    manual_disable: float = 300.0
    retry_after_wait: float = 5.0
    # Hedged first tokens (docs/architecture.md §4): None = off; seconds; or "auto" (the model's own
    # p90 time to first token, with a floor): with no token by then, the next model starts too.
    hedge: float | str | None = None

    def cooldown_for(self, trips: int) -> float:
        """`base × factor^(trips-1)`, capped at `max`."""
        trips = max(1, min(trips, 64))  # beyond ~64 trips the cap has long been reached; avoids float overflow
        return min(self.cooldown_max, self.cooldown_base * self.cooldown_factor ** (trips - 1))


PROBE_KINDS = ("completion", "models", "none")
API_KINDS = ("openai", "anthropic", "gemini")
# openrouter: GET /models and /models/{id}/endpoints, free and keyless; listing: the API's own model
# listing (Anthropic's /v1/models, Gemini's /v1beta/models) with context lengths, no endpoint health
CATALOG_KINDS = ("openrouter", "listing", "none")


@dataclass(frozen=True)
class HealthSettings:
    interval: float = 120.0
    timeout: float = 5.0
    probe: str = "completion"  # one of PROBE_KINDS
    recheck: float = 15.0  # while a model is out automatically, check it this often (docs/architecture.md §6)


@dataclass(frozen=True)
class ServeSettings:
    """The local endpoint (`serve`): `wait` > 0 makes a request that finds every model out wait that
    long for the first one back instead of answering 503 at once."""

    wait: float = 0.0


@dataclass(frozen=True)
class ProviderConfig:
    name: str
    base_url: str
    api_key_env: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    probe: str | None = None  # overrides health.probe for this provider
    catalog: str = "none"  # one of CATALOG_KINDS: where the provider lists its models and their health
    api: str = "openai"  # one of API_KINDS: the wire the provider speaks (provider/adapter.py)


@dataclass(frozen=True)
class ModelConfig:
    """One model: the same (provider, id) in several groups is one ModelConfig."""

    name: str  # unique key users type: the id, or `provider:id` when ids collide across providers
    id: str  # what is sent to the provider
    provider: str
    policy: Policy
    max_tokens: int | None = None  # sent when a request names none (Anthropic requires one: 4096 by default)
    price: tuple[float, float] | None = None  # USD per million tokens (input, output): an estimate's basis


@dataclass(frozen=True)
class Config:
    providers: dict[str, ProviderConfig]
    default_provider: str
    groups: dict[str, tuple[str, ...]]  # group name -> ordered model names
    models: dict[str, ModelConfig]  # model name -> model, in first-seen order
    policy: Policy = field(default_factory=Policy)
    health: HealthSettings = field(default_factory=HealthSettings)
    serve: ServeSettings = field(default_factory=ServeSettings)
    path: Path | None = None  # where it was loaded from (None: built in code)
    state: str | None = None  # `state:` in the file: a path (resolved against the file's folder) or a redis URL
    history: bool = True  # `history: off` keeps no chat
    systems: dict[str, str] = field(default_factory=dict)  # group -> its system prompt (`system:`)

    def resolve_model(self, text: str) -> ModelConfig | None:
        """A model by its name, or by its bare id or short name when that is unambiguous."""
        matches = self.models_named(text)
        return matches[0] if len(matches) == 1 else None

    def models_named(self, text: str) -> list[ModelConfig]:
        """The models `text` names: by name; else by id (one id on two providers names both); else
        by the short name the screens show (`gpt-4-turbo` for `openai/gpt-4-turbo`)."""
        if text in self.models:
            return [self.models[text]]
        by_id = [m for m in self.models.values() if m.id == text]
        return by_id or [m for m in self.models.values() if m.id.rsplit("/", 1)[-1] == text]

    def chain(self, group: str) -> list[ModelConfig]:
        return [self.models[name] for name in self.groups[group]]

    def probe_kind(self, provider: str) -> str:
        return self.providers[provider].probe or self.health.probe


class ConfigError(Exception):
    """A configuration problem, rendered as `file:line: key.path: what was expected`."""

    def __init__(self, message: str, *, file: str | Path | None = None, line: int | None = None,
                 key: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.file = str(file) if file is not None else None
        self.line = line
        self.key = key

    def __str__(self) -> str:
        where = self.file or "<config>"
        if self.line is not None:
            where = f"{where}:{self.line}"
        key = f" {self.key}:" if self.key else ""
        return f"{where}:{key} {self.message}"
