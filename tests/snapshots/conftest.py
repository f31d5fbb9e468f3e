"""Snapshot determinism: no cursor blink, no user config, a fixed time zone."""

from __future__ import annotations

import time

import pytest
from textual.widgets import Input, TextArea


@pytest.fixture(autouse=True)
def deterministic(monkeypatch, tmp_path):
    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)
    monkeypatch.setattr(TextArea, "_toggle_cursor_blink_visible", lambda self: None)  # the prompt
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    monkeypatch.delenv("TEXTUAL_THEME", raising=False)
    yield
    monkeypatch.undo()
    time.tzset()
