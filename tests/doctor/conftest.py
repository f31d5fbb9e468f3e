"""Fixtures for the doctor tests: isolated user folders, and a setup written as a groups.yaml."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads or writes the developer's own config, state or cache."""
    for name, folder in (("XDG_STATE_HOME", "xdg-state"), ("XDG_CONFIG_HOME", "xdg-config"),
                         ("XDG_CACHE_HOME", "xdg-cache")):
        monkeypatch.setenv(name, str(tmp_path / folder))
    monkeypatch.delenv("MODELFALLBACK_STATE", raising=False)
    monkeypatch.delenv("MODELFALLBACK_CONFIG", raising=False)


@pytest.fixture
def write_config(tmp_path: Path) -> Callable[[str], Path]:
    """`write_config(text)`: a groups.yaml in the test's folder."""
    def write(text: str) -> Path:
        path = tmp_path / "groups.yaml"
        path.write_text(text, encoding="utf-8")
        return path

    return write
