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
from dataclasses import dataclass
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


def _explicit(*values: tuple[str | None, str]) -> tuple[str, str] | None:
    """The first (value, why) whose value is set and not blank."""
    return next(((v, why) for v, why in values if v and v.strip()), None)


@dataclass(frozen=True)
class Located:
    """Where a file was found and why that one (`doctor` says both): the first rule of the lookup
    order that matched, as words a user can act on."""

    where: Path | str  # a path, or a redis:// URL as the user gave it (it may hold a password)
    why: str


def locate_config(cli_value: str | None, env: Mapping[str, str]) -> Located:
    """`--config`, `$MODELFALLBACK_CONFIG`, ./groups.yaml, the user config dir, the packaged default.

    A path the user named explicitly is returned even if it does not exist, so loading it reports
    "not found" instead of silently using another file.
    """
    explicit = _explicit((cli_value, "--config"), (env.get("MODELFALLBACK_CONFIG"), "$MODELFALLBACK_CONFIG"))
    if explicit:
        return Located(Path(explicit[0]).expanduser(), f"named by {explicit[1]}")
    local = Path.cwd() / "groups.yaml"
    if local.is_file():
        return Located(local, "groups.yaml in the working directory")
    user = user_config_dir() / "groups.yaml"
    if user.is_file():
        return Located(user, "the user config directory (no --config, $MODELFALLBACK_CONFIG or ./groups.yaml)")
    return Located(default_config_path(), "the packaged default (no --config, $MODELFALLBACK_CONFIG, "
                                          "./groups.yaml or user config file)")


def find_config_path(cli_value: str | None, env: Mapping[str, str]) -> Path:
    """The config file `locate_config` finds."""
    return Path(locate_config(cli_value, env).where)


def locate_state(cli_value: str | None, env: Mapping[str, str], *, configured: str | None = None,
                 demo: bool = False) -> Located:
    """`--state`, `$MODELFALLBACK_STATE`, `state:` in groups.yaml, then state.json in the user state
    dir (not created here). A redis:// URL is returned as the string it is.

    With `demo`, only an explicit `--state` is used as given: otherwise the demo gets its own
    `demo-state.json` file (never a shared Redis), so simulated cooldowns never reach the state
    real requests rely on.
    """
    if cli_value and cli_value.strip():
        return Located(_location(cli_value), "named by --state")
    chosen = _explicit((env.get("MODELFALLBACK_STATE"), "$MODELFALLBACK_STATE"), (configured, "state: in groups.yaml"))
    if demo:
        base = (user_state_dir() if chosen is None or is_redis_url(chosen[0])
                else Path(chosen[0]).expanduser().parent)
        return Located(base / DEMO_STATE_NAME, "the demo's own file: --demo never uses the real state "
                                               "unless --state names it")
    if chosen:
        return Located(_location(chosen[0]), f"named by {chosen[1]}")
    return Located(user_state_dir() / "state.json", "the user state directory (no --state, $MODELFALLBACK_STATE "
                                                    "or state: in groups.yaml)")


def find_state_path(cli_value: str | None, env: Mapping[str, str], *, configured: str | None = None,
                    demo: bool = False) -> Path | str:
    """The state location `locate_state` finds."""
    return locate_state(cli_value, env, configured=configured, demo=demo).where


def _location(text: str) -> Path | str:
    return text.strip() if is_redis_url(text) else Path(text).expanduser()
