"""Themes: built-in YAML files, validation, --theme, the palette's switch remembered, bad files."""

from __future__ import annotations

import json

import pytest

from tui.engine.config.paths import builtin_themes_dir
from tui.themes import ThemeFileError, load_themes, read_settings, save_setting, theme_from_mapping

from tui_helpers import app_for, sim_engine

BUILTIN = {"modelfallback-dark", "modelfallback-light", "modelfallback-high-contrast"}


def test_builtin_themes_load_cleanly():
    result = load_themes([builtin_themes_dir()])
    assert result.failed == []
    names = {t.name for t in result.loaded}
    assert names >= BUILTIN
    assert {t.name: t.dark for t in result.loaded}["modelfallback-light"] is False


@pytest.mark.parametrize("data, message", [
    ("just text", "expected a mapping"),
    ({"name": "x", "primary": "notacolor"}, "primary: 'notacolor' is not a colour"),
    ({"name": "x"}, "primary: required"),
    ({"primary": "#fff"}, "name: required"),
    ({"name": "Bad Name", "primary": "#fff"}, "name: required"),
    ({"name": "x", "primary": "#fff", "colour": "#000"}, "unknown key 'colour'"),
    ({"name": "x", "primary": "#fff", "dark": "yes"}, "dark: expected true or false"),
    ({"name": "x", "primary": "#fff", "background": 12}, "background: expected a colour string"),
    ({"name": "x", "primary": "#fff", "variables": {"footer-key-foreground": "blurple"}}, "variables.footer-key"),
    ({"name": "x", "primary": "#fff", "text_alpha": 3}, "text_alpha: expected a number"),
])
def test_theme_validation_rejects(data, message):
    with pytest.raises(ThemeFileError, match=message):
        theme_from_mapping(data)


def test_theme_validation_accepts_styles_and_colours():
    theme = theme_from_mapping({"name": "mine", "primary": "rgb(10,20,30)", "author": "me",
                                "variables": {"block-cursor-text-style": "bold", "x-y": "#123456 50%"}})
    assert theme.name == "mine" and theme.variables["block-cursor-text-style"] == "bold"


async def test_default_theme_and_switch_is_remembered(tmp_path):
    engine = sim_engine(tmp_path, {})
    app = app_for(engine, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        assert app.theme == "modelfallback-dark"
        assert set(app.available_themes) >= BUILTIN
        assert "textual-dark" in app.available_themes  # Textual's own stay in the picker
        app.theme = "modelfallback-light"
        await pilot.pause()
        assert app.current_theme.dark is False
    assert read_settings(tmp_path / "config" / "settings.json")["theme"] == "modelfallback-light"
    again = app_for(sim_engine(tmp_path, {}, state="state2.json"), tmp_path)
    async with again.run_test(size=(100, 30)):
        assert again.theme == "modelfallback-light"


async def test_theme_switch_through_the_palette(tmp_path):
    engine = sim_engine(tmp_path, {})
    app = app_for(engine, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        app.action_change_theme()  # Textual's own theme picker (the palette's "Theme" command)
        await pilot.pause()
        await pilot.press(*"high-contrast")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert app.theme == "modelfallback-high-contrast"
    assert json.loads((tmp_path / "config" / "settings.json").read_text())["theme"] == "modelfallback-high-contrast"


async def test_theme_option_wins_and_unknown_theme_falls_back(tmp_path, monkeypatch):
    engine = sim_engine(tmp_path, {})
    app = app_for(engine, tmp_path, theme="modelfallback-high-contrast")
    async with app.run_test(size=(100, 30)):
        assert app.theme == "modelfallback-high-contrast"
    told = []
    app = app_for(sim_engine(tmp_path, {}, state="s2.json"), tmp_path, theme="no-such-theme")
    monkeypatch.setattr(app, "notify", lambda message, **kw: told.append((message, kw.get("severity"))))
    async with app.run_test(size=(100, 30)):
        assert app.theme == "modelfallback-dark"
    assert told == [("Unknown theme 'no-such-theme'; using modelfallback-dark, the default.", "warning")]


async def test_unknown_theme_says_the_remembered_theme_it_applies(tmp_path, monkeypatch):
    """`--theme nosuch` with a theme chosen earlier: that theme is applied, and the warning names it."""
    save_setting(tmp_path / "config" / "settings.json", "theme", "modelfallback-light")
    told = []
    app = app_for(sim_engine(tmp_path, {}), tmp_path, theme="nosuch")
    monkeypatch.setattr(app, "notify", lambda message, **kw: told.append((message, kw.get("severity"))))
    async with app.run_test(size=(100, 30)):
        assert app.theme == "modelfallback-light"
    assert told == [("Unknown theme 'nosuch'; using modelfallback-light, the theme chosen last.",
                     "warning")]


async def test_bad_theme_files_give_one_notification_and_never_crash(tmp_path, monkeypatch):
    themes = tmp_path / "config" / "themes"
    themes.mkdir(parents=True)
    (themes / "broken.yaml").write_text("name: broken\nprimary: notacolor\n")
    (themes / "garbage.yml").write_text("{{{: not yaml")
    (themes / "good.yaml").write_text("name: good\nprimary: '#ff8800'\nbackground: '#000000'\n")
    (tmp_path / "config" / "settings.json").write_text(json.dumps({"theme": "broken"}))
    told = []
    app = app_for(sim_engine(tmp_path, {}), tmp_path)
    monkeypatch.setattr(app, "notify", lambda message, **kw: told.append((message, kw.get("severity"))))
    async with app.run_test(size=(100, 30)) as pilot:
        assert app.theme == "modelfallback-dark"  # the remembered theme failed to load: default
        assert "good" in app.available_themes and "broken" not in app.available_themes
        app.theme = "good"
        await pilot.pause()
        assert app.current_theme.primary == "#ff8800"
    assert len(told) == 1
    message, severity = told[0]
    assert severity == "error" and "2 theme files were skipped" in message
    assert "broken.yaml: primary: 'notacolor' is not a colour" in message
    assert "garbage.yml: line 1: not valid YAML" in message


def test_themes_that_loaded_cleanly_are_remembered_until_a_file_changes(tmp_path, monkeypatch):
    import tui.themes as themes_module

    folder = tmp_path / "themes"
    folder.mkdir()
    (folder / "mine.yaml").write_text("name: mine\nprimary: '#123456'\nvariables: {footer-key-foreground: '#abcdef'}\n")
    cache = tmp_path / "cache" / "themes.json"
    first = load_themes([builtin_themes_dir(), folder], cache=cache)
    assert cache.exists() and first.failed == []

    def no_yaml(path):
        raise AssertionError(f"{path} parsed again")

    monkeypatch.setattr(themes_module, "load_theme_file", no_yaml)
    again = load_themes([builtin_themes_dir(), folder], cache=cache)
    assert again.loaded == first.loaded and again.failed == []  # the same Theme objects' values, no YAML
    monkeypatch.undo()

    (folder / "mine.yaml").write_text("name: mine\nprimary: '#654321'\n")  # edited: parsed again
    edited = load_themes([builtin_themes_dir(), folder], cache=cache)
    assert {t.name: t.primary for t in edited.loaded}["mine"] == "#654321"
    (folder / "bad.yaml").write_text("name: bad\nprimary: nope\n")  # a bad file is never remembered
    for _ in range(2):
        result = load_themes([builtin_themes_dir(), folder], cache=cache)
        assert [(p.name, reason) for p, reason in result.failed] == [("bad.yaml", "primary: 'nope' is not a colour")]
