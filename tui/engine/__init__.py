"""The engine: config, provider client, failure policy, availability, shared state, health and the chain.

Nothing in this package imports Textual (a test enforces it); the TUI and the CLI consume its events.
The public names below are imported lazily so that importing one engine module stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "ModelFallback": "tui.engine.api", "ChainError": "tui.engine.api", "UnknownModel": "tui.engine.api",
    "Config": "tui.engine.config", "ConfigError": "tui.engine.config",
    "Answered": "tui.engine.events", "Attempt": "tui.engine.events", "AttemptFailed": "tui.engine.events",
    "AttemptSkipped": "tui.engine.events", "AttemptStarted": "tui.engine.events", "ChainEvent": "tui.engine.events",
    "ChainFailed": "tui.engine.events", "ChatMessage": "tui.engine.events", "Restarted": "tui.engine.events",
    "Token": "tui.engine.events", "Waiting": "tui.engine.events",
    "load_config": "tui.engine.config.loader",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'tui.engine' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
