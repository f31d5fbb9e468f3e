"""Which adapter speaks which API (`ProviderConfig.api`): the one table a new API is added to."""

from __future__ import annotations

from tui.engine.config import ProviderConfig
from tui.engine.provider.adapter import Adapter
from tui.engine.provider.openai import OpenAIAdapter


def adapter_for(provider: ProviderConfig) -> Adapter:
    """The adapter of the provider's API, set up for its base URL."""
    if provider.api == "anthropic":
        from tui.engine.provider.anthropic import AnthropicAdapter

        return AnthropicAdapter(provider.base_url)
    if provider.api == "gemini":
        from tui.engine.provider.gemini import GeminiAdapter

        return GeminiAdapter(provider.base_url)
    return OpenAIAdapter(provider.base_url)
