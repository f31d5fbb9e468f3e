"""Themes from YAML files (built-in `themes/` and the user's config dir), validated before use.

A theme file is a mapping of Textual `Theme` fields:

    name: modelfallback-dark        # required: lower-case letters, digits and dashes
    dark: true
    primary: "#4ea1ff"              # required; every colour is checked with textual.color.Color.parse
    background: "#101418"
    variables: {footer-key-foreground: "#4ea1ff"}   # optional CSS variables
    author: someone                 # optional, ignored

A file that fails validation never reaches `App.register_theme` (an unparseable colour there would
crash the app later, during a CSS refresh): it is reported in `failed` with a one-line reason.
The chosen theme is remembered in a tiny JSON settings file in the user config dir.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import tempfile
from pathlib import Path
from typing import NamedTuple
from collections.abc import Iterable

from textual.color import Color, ColorParseError
from textual.theme import Theme

from tui.engine.config.cache import file_stamp, recall, remember

DEFAULT_THEME = "modelfallback-dark"
FALLBACK_THEME = "textual-dark"  # always registered by Textual itself
MAX_THEME_BYTES = 64 * 1024
CACHE_FORMAT = 2  # 2: the shared cache layout (tui.engine.config.cache)

_FIELDS = {f.name: f for f in dataclasses.fields(Theme)}
_COLOR_FIELDS = ("primary", "secondary", "warning", "error", "success", "accent", "foreground",
                 "background", "surface", "panel", "boost")
_IGNORED = {"author", "description"}
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
# non-colour values Textual accepts for a few variables (e.g. block-cursor-text-style)
_STYLE_WORDS = {"bold", "italic", "underline", "reverse", "dim", "strike", "none", "not", "blink"}


class ThemeFileError(Exception):
    """A theme file that cannot be used; the message says where and why in one line."""


class ThemeLoadResult(NamedTuple):
    loaded: list[Theme]
    failed: list[tuple[Path, str]]  # (file, reason)


def _check_color(key: str, value: object) -> str:
    if not isinstance(value, str):
        raise ThemeFileError(f"{key}: expected a colour string like \"#1e90ff\", got {type(value).__name__}")
    try:
        Color.parse(value)
    except ColorParseError:
        raise ThemeFileError(f"{key}: {value!r} is not a colour") from None
    return value


def _check_variable(key: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ThemeFileError(f"variables.{key}: expected a colour or style string")
    words = value.split()
    if all(w in _STYLE_WORDS for w in words):
        return value
    colour = value
    if len(words) == 2 and re.fullmatch(r"\d{1,3}%", words[1]):  # CSS "<colour> <alpha>%"
        colour = words[0]
    try:
        Color.parse(colour)
    except ColorParseError:
        raise ThemeFileError(f"variables.{key}: {value!r} is not a colour or a text style") from None
    return value


def theme_from_mapping(data: object) -> Theme:
    """Validate one parsed YAML document and build the Theme; raises ThemeFileError."""
    if not isinstance(data, dict):
        raise ThemeFileError("expected a mapping of theme fields (name, primary, background, ...)")
    unknown = sorted(str(k) for k in data if k not in _FIELDS and k not in _IGNORED)
    if unknown:
        raise ThemeFileError(f"unknown key {unknown[0]!r}; known keys: {', '.join(sorted(_FIELDS))}")
    name = data.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise ThemeFileError("name: required, lower-case letters, digits and dashes (e.g. my-theme)")
    if "primary" not in data:
        raise ThemeFileError("primary: required")
    kwargs: dict = {"name": name}
    for key in _COLOR_FIELDS:
        if data.get(key) is not None:
            kwargs[key] = _check_color(key, data[key])
    for key in ("dark", "ansi"):
        if key in data:
            if not isinstance(data[key], bool):
                raise ThemeFileError(f"{key}: expected true or false")
            kwargs[key] = data[key]
    for key, (low, high) in {"luminosity_spread": (0.0, 1.0), "text_alpha": (0.0, 1.0)}.items():
        if key in data:
            value = data[key]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
                raise ThemeFileError(f"{key}: expected a number from {low} to {high}")
            kwargs[key] = float(value)
    variables = data.get("variables") or {}
    if not isinstance(variables, dict):
        raise ThemeFileError("variables: expected a mapping of CSS variable names to values")
    kwargs["variables"] = {str(k): _check_variable(str(k), v) for k, v in variables.items()}
    return Theme(**kwargs)


def load_theme_file(path: Path) -> Theme:
    """Read and validate one YAML theme file; raises ThemeFileError."""
    import yaml  # here: a start with remembered themes needs no PyYAML (see load_themes)

    try:
        if path.stat().st_size > MAX_THEME_BYTES:
            raise ThemeFileError("file is too large for a theme")
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ThemeFileError(f"cannot read: {exc.__class__.__name__}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise ThemeFileError(f"{where}not valid YAML") from None
    return theme_from_mapping(data)


def theme_files(folder: Path | None) -> list[Path]:
    if folder is None or not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())


def load_themes(folders: Iterable[Path | None], cache: Path | None = None) -> ThemeLoadResult:
    """Every theme file of `folders` in order (a later folder overrides a name); never raises.

    With `cache`, a set of files that all loaded cleanly is remembered there as JSON, keyed by
    each file's path, modification time, size and inode and by this module's own code: the next
    start then builds the same themes without PyYAML (~20 ms of a start). An edited, added or
    removed file, or a bad one (always reported from the file itself), loads them from YAML again.
    """
    files = [path for folder in folders for path in theme_files(folder)]
    key = _cache_key(files) if cache is not None else None
    if key is not None:
        remembered = _remembered(cache, key)
        if remembered is not None:
            return ThemeLoadResult(remembered, [])
    loaded: dict[str, Theme] = {}
    failed: list[tuple[Path, str]] = []
    for path in files:
        try:
            theme = load_theme_file(path)
        except ThemeFileError as exc:
            failed.append((path, str(exc)))
            continue
        loaded[theme.name] = theme
    if key is not None and not failed:
        remember(cache, key, [dataclasses.asdict(t) for t in loaded.values()])
    return ThemeLoadResult(list(loaded.values()), failed)


def _cache_key(files: list[Path]) -> list | None:
    try:
        return [CACHE_FORMAT, *file_stamp(Path(__file__)), *[file_stamp(path) for path in files]]
    except OSError:
        return None


def _remembered(cache: Path, key: list) -> list[Theme] | None:
    fields = recall(cache, key)
    try:
        return None if fields is None else [Theme(**each) for each in fields]
    except TypeError:
        return None


def failure_summary(failed: list[tuple[Path, str]]) -> str:
    """One notification for every bad theme file."""
    lines = [f"{path.name}: {reason}" for path, reason in failed]
    head = "A theme file was skipped" if len(failed) == 1 else f"{len(failed)} theme files were skipped"
    return head + ":\n" + "\n".join(lines)


# -- remembered choice --------------------------------------------------------------------------
def read_settings(path: Path | None) -> dict:
    """The settings file as a dict; missing or unreadable means no settings (never raises)."""
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def save_setting(path: Path | None, key: str, value: object) -> bool:
    """Write one setting atomically; False (no exception) if the folder is not writable."""
    if path is None:
        return False
    data = read_settings(path)
    data[key] = value
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".settings.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=1, sort_keys=True)
        os.replace(tmp, path)
    except OSError:
        return False
    return True
