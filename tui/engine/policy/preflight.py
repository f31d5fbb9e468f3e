"""Pre-flight: the providers' free listings, used before any token is spent (docs/architecture.md §6).

For each provider with a catalog (OpenRouter by default), fetch its model listing and each listed
model's endpoint health, concurrently, each bounded by `health.timeout`:
- a configured model the listing does not have goes out as `not_found` (with a "did you mean"
  from the listing), so no chat request is ever sent to it; when it is listed again it comes back;
- context lengths and uptimes are remembered in the shared state (`CatalogBook`), where the chain
  reads the context length and the panels the uptime.
A listing that fails, hangs or is garbage changes nothing: the app falls back to probing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass

from tui.engine.config import Config, ModelConfig
from tui.engine.failures import Failure, FailureKind, ProviderError
from tui.engine.provider.catalog import Listed, fetch_endpoints, fetch_listing
from tui.engine.provider.adapter import ChatClient
from tui.engine.state.availability import Availability
from tui.engine.state.catalog import CatalogBook
from tui.engine.text import did_you_mean

LISTING_FRESH_S = 3600.0  # a chat refreshes a listing older than this, in the background


@dataclass(frozen=True)
class PreflightNote:
    """One thing pre-flight found: a model not listed, or a provider whose listing failed."""

    provider: str
    model: str | None  # None: the provider's listing itself failed
    detail: str  # what was found, without the model's name (`not listed by or; did you mean …`)

    @property
    def text(self) -> str:
        return self.detail if self.model is None else f"{self.model}: {self.detail}"


class Preflight:
    def __init__(self, config: Config, clients: Mapping[str, ChatClient], availability: Availability,
                 catalog: CatalogBook) -> None:
        self.config = config
        self.clients = clients
        self.availability = availability
        self.catalog = catalog
        self.notes: list[PreflightNote] = []  # what the last refresh found

    def _models_by_provider(self) -> dict[str, list[ModelConfig]]:
        out: dict[str, list[ModelConfig]] = {}
        for model in self.config.models.values():
            if self.config.providers[model.provider].catalog != "none":
                out.setdefault(model.provider, []).append(model)
        return out

    def stale(self) -> bool:
        """Whether some catalog provider's listing is missing or older than an hour."""
        for models in self._models_by_provider().values():
            age = self.catalog.listing_age([m.name for m in models])
            if age is None or age > LISTING_FRESH_S:
                return True
        return False

    async def refresh(self) -> list[PreflightNote]:
        """Fetch every catalog provider's listing and endpoint health; returns what it found."""
        groups = self._models_by_provider()
        results = await asyncio.gather(*(self._provider(p, models) for p, models in groups.items()))
        self.notes = [note for notes in results for note in notes]
        return self.notes

    async def _provider(self, provider: str, models: list[ModelConfig]) -> list[PreflightNote]:
        client = self.clients[provider]
        timeout = self.config.health.timeout
        try:
            listing = await fetch_listing(client, timeout)
        except ProviderError as exc:
            return [PreflightNote(provider, None, f"{provider}'s model list: {exc.failure.summary()}; "
                                                  "checking by probes instead")]
        if not listing:
            return [PreflightNote(provider, None, f"{provider}'s model list is empty; checking by probes instead")]
        notes: list[PreflightNote] = []
        facts: dict[str, dict] = {}
        listed: list[ModelConfig] = []
        for model in models:
            if model.id in listing:
                listed.append(model)
                facts[model.name] = {"context": listing[model.id].context_length}
                self._back_if_listed(model)
            else:
                notes.append(PreflightNote(provider, model.name, self._not_listed(model, provider, listing)))
        if self.config.providers[provider].catalog != "openrouter":  # only OpenRouter publishes endpoint health
            self.catalog.record(facts)
            return notes
        healths = await asyncio.gather(*(self._uptime(client, m, timeout) for m in listed))
        for model, uptime in zip(listed, healths, strict=True):
            if uptime is not None:
                facts[model.name]["uptime"] = uptime
        self.catalog.record(facts)
        return notes

    async def _uptime(self, client: ChatClient, model: ModelConfig, timeout: float) -> float | None:
        try:
            return (await fetch_endpoints(client, model.id, timeout)).uptime
        except ProviderError:
            return None  # endpoint health is a nicety: no figure rather than a wrong one

    def _not_listed(self, model: ModelConfig, provider: str, listing: dict[str, Listed]) -> str:
        detail = f"not listed by {provider}" + did_you_mean(model.id, listing)
        av = self.availability.of(model.name)
        if not (av.state == "disabled" and (av.source == "manual" or av.kind == FailureKind.NOT_FOUND.value)):
            self.availability.record_failure(model.name, Failure(FailureKind.NOT_FOUND, detail))
        return detail

    def _back_if_listed(self, model: ModelConfig) -> None:
        av = self.availability.of(model.name)
        if av.state == "disabled" and av.source == "auto" and av.kind == FailureKind.NOT_FOUND.value:
            self.availability.record_check_passed(model.name)
