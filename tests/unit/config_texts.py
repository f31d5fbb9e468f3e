"""Small groups.yaml texts and a helper that renders the one-line ConfigError, shared by the config tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.engine.config import ConfigError
from tui.engine.config.loader import (
    load_config_text,
)

REPO_GROUPS = Path(__file__).resolve().parents[2] / "groups.yaml"

ONE_PROVIDER = """\
providers:
  openrouter:
    base_url: https://openrouter.ai/api/v1
    api_key_env: OPENROUTER_API_KEY
"""

TWO_PROVIDERS = """\
providers:
  openrouter: {base_url: https://openrouter.ai/api/v1, api_key_env: OPENROUTER_API_KEY}
  ollama: {base_url: http://localhost:11434/v1}
"""


def error_of(text: str) -> str:
    """The rendered ConfigError for `text`, loaded under the name g.yaml."""
    with pytest.raises(ConfigError) as info:
        load_config_text(text, "g.yaml")
    return str(info.value)


def with_groups(groups: str, head: str = ONE_PROVIDER, tail: str = "") -> str:
    return head + "groups:\n" + groups + tail
