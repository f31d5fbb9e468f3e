"""Where files live: the config and state lookup orders, and the packaged groups.yaml and themes.

One lookup for every entry point (the CLI, the TUI, `ModelFallback.from_files`), so the demo's
rule, "never the user's real state", cannot be forgotten by one of them.
In a wheel the packaged files are copied to `tui/data/`; in a source checkout (or an editable
install) they are the repository's top-level `groups.yaml` and `themes/`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

from tui.engine.config.state_location import is_redis_url

APP_NAME = "modelfallback"
DEMO_STATE_NAME = "demo-state.json"
CHATS_NAME, DEMO_CHATS_NAME = "chats.sqlite3", "demo-chats.sqlite3"

_PACKAGE = Path(__file__).resolve().parent.parent.parent  # the tui package
_REPO = _PACKAGE.parent


def default_config_path() -> Path:
    """The packaged default groups.yaml."""
    packaged = _PACKAGE / "data" / "groups.yaml"
    return packaged if packaged.is_file() else _REPO / "groups.yaml"


def builtin_themes_dir() -> Path:
    """The folder of built-in theme YAML files."""
    packaged = _PACKAGE / "data" / "themes"
    return packaged if packaged.is_dir() else _REPO / "themes"


def _user_dir(kind: str, xdg: str, home_default: str) -> Path:
    """The user's `kind` folder for this app: on Linux straight from the XDG variables (as
    platformdirs reads them: an unset, blank or relative value means the default), elsewhere
    through platformdirs. Importing platformdirs costs a command-line start ~30 ms."""
    if sys.platform.startswith("linux"):
        value = os.environ.get(xdg, "").strip()
        base = Path(value) if value and os.path.isabs(value) else Path(os.path.expanduser(home_default))
        return base / APP_NAME
    import platformdirs

    return Path(getattr(platformdirs, f"user_{kind}_dir")(APP_NAME))


def user_config_dir() -> Path:
    return _user_dir("config", "XDG_CONFIG_HOME", "~/.config")


def user_state_dir() -> Path:
    return _user_dir("state", "XDG_STATE_HOME", "~/.local/state")


def user_cache_dir() -> Path:
    return _user_dir("cache", "XDG_CACHE_HOME", "~/.cache")


def user_data_dir() -> Path:
    return _user_dir("data", "XDG_DATA_HOME", "~/.local/share")


def history_path(demo: bool = False) -> Path:
    """The saved chats' database in the user data folder; the demo's chats are kept apart, as its
    state is, so simulated answers never mix with real ones."""
    return user_data_dir() / (DEMO_CHATS_NAME if demo else CHATS_NAME)


def _explicit(*values: str | None) -> str | None:
    return next((v for v in values if v and v.strip()), None)


def find_config_path(cli_value: str | None, env: Mapping[str, str]) -> Path:
    """`--config`, `$MODELFALLBACK_CONFIG`, ./groups.yaml, the user config dir, the packaged default.

    A path the user named explicitly is returned even if it does not exist, so loading it reports
    "not found" instead of silently using another file.
    """
    explicit = _explicit(cli_value, env.get("MODELFALLBACK_CONFIG"))
    if explicit:
        return Path(explicit).expanduser()
    local = Path.cwd() / "groups.yaml"
    if local.is_file():
        return local
    user = user_config_dir() / "groups.yaml"
    if user.is_file():
        return user
    return default_config_path()


def find_state_path(cli_value: str | None, env: Mapping[str, str], *, configured: str | None = None,
                    demo: bool = False) -> Path | str:
    """`--state`, `$MODELFALLBACK_STATE`, `state:` in groups.yaml, then state.json in the user state
    dir (not created here). A redis:// URL is returned as the string it is.

    With `demo`, only an explicit `--state` is used as given: otherwise the demo gets its own
    `demo-state.json` file (never a shared Redis), so simulated cooldowns never reach the state
    real requests rely on.
    """
    if cli_value and cli_value.strip():
        return _location(cli_value)
    chosen = _explicit(env.get("MODELFALLBACK_STATE"), configured)
    if demo:
        base = user_state_dir() if chosen is None or is_redis_url(chosen) else Path(chosen).expanduser().parent
        return base / DEMO_STATE_NAME
    return _location(chosen) if chosen else user_state_dir() / "state.json"


def _location(text: str) -> Path | str:
    return text.strip() if is_redis_url(text) else Path(text).expanduser()
