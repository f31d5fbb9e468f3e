"""groups.yaml for the chat: `system:` per group (a group written as a mapping) and `history:`;
both survive the config cache, and mistakes are reported as `file:line: key: what was expected`."""

from __future__ import annotations

from pathlib import Path

from config_texts import error_of, with_groups

from tui.engine.config.cache import from_json, to_json
from tui.engine.config.loader import load_config_text


def test_a_group_as_a_mapping_has_its_chain_and_system_prompt() -> None:
    config = load_config_text(with_groups("  review:\n    models: [m1, m2]\n    system: Be brief.\n  plain: [m1]\n"),
                              "g.yaml")
    assert config.groups == {"review": ("m1", "m2"), "plain": ("m1",)}
    assert config.systems == {"review": "Be brief."} and config.history is True


def test_history_off_and_on() -> None:
    for value, expected in (("off", False), ("on", True), ("false", False), ("'off'", False)):
        assert load_config_text(with_groups("  c: [m]\n", tail=f"history: {value}\n"), "g.yaml").history is expected


def test_the_cache_keeps_both() -> None:
    config = load_config_text(with_groups("  c:\n    models: [m]\n    system: S\n", tail="history: off\n"), "g.yaml")
    back = from_json(to_json(config), Path("g.yaml"))
    assert back.systems == {"c": "S"} and back.history is False


def test_mistakes_name_the_line_and_key() -> None:
    assert error_of(with_groups("  c:\n    system: S\n")) == (
        "g.yaml:7: groups.c.models: required key is missing; expected the group's list of models")
    assert error_of(with_groups("  c:\n    models: [m]\n    sytem: S\n")) == (
        "g.yaml:8: groups.c.sytem: unknown key 'sytem'; did you mean 'system'?")
    assert error_of(with_groups("  c:\n    models: [m]\n    system: [a, b]\n")) == (
        "g.yaml:8: groups.c.system: expected a system prompt, got a list")
    assert error_of(with_groups("  c: [m]\n", tail="history: sometimes\n")) == (
        "g.yaml:7: history: expected on or off, got a string")
    assert error_of(with_groups("  c:\n    models: []\n")) == (
        "g.yaml:7: groups.c.models: empty group; expected at least one model")
