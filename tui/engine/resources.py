"""Where the packaged groups.yaml and built-in themes live.

In a wheel they are copied to `tui/data/`; in a source checkout (or an editable install) they
are the top-level `groups.yaml` and `themes/` of the repository.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent  # the tui package
_REPO = _PACKAGE.parent


def default_config_path() -> Path:
    """The packaged default groups.yaml."""
    packaged = _PACKAGE / "data" / "groups.yaml"
    return packaged if packaged.is_file() else _REPO / "groups.yaml"


def builtin_themes_dir() -> Path:
    """The folder of built-in theme YAML files."""
    packaged = _PACKAGE / "data" / "themes"
    return packaged if packaged.is_dir() else _REPO / "themes"
