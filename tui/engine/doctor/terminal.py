"""The terminal the TUI runs in: its size (the layout needs 80×24) and its colours.

The CLI reads them from the environment (`terminal_from_env`); the TUI passes what Textual sees.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

from tui.engine.doctor.context import Terminal
from tui.engine.doctor.result import Check, ok, warn

MIN_WIDTH, MIN_HEIGHT = 80, 24


def terminal_from_env(env: Mapping[str, str]) -> Terminal:
    """The first of stdout, stderr, stdin that is a terminal; its colours from $COLORTERM and $TERM."""
    for stream in (sys.stdout, sys.stderr, sys.stdin):
        try:
            size = os.get_terminal_size(stream.fileno())
        except (AttributeError, OSError, ValueError):
            continue
        return Terminal(size.columns, size.lines, colors_from_env(env))
    return Terminal(0, 0, colors_from_env(env), is_tty=False)


def colors_from_env(env: Mapping[str, str]) -> int | None:
    """16 million, 256, 16 or 8 colours as the terminal announces them; None when it says nothing."""
    if env.get("COLORTERM", "").lower() in ("truecolor", "24bit"):
        return 1 << 24
    term = env.get("TERM", "").lower()
    if not term:
        return None
    if term == "dumb":
        return 0
    if "256color" in term:
        return 256
    return 16 if "16color" in term or term.startswith(("xterm", "screen", "tmux", "rxvt", "linux")) else 8


def terminal_check(term: Terminal, env: Mapping[str, str]) -> Check:
    if not term.is_tty:
        return ok("terminal", "", "terminal", "not run in a terminal (output piped); the TUI needs one of "
                  f"at least {MIN_WIDTH}×{MIN_HEIGHT}")
    colors = _colors_text(term.colors)
    no_color = "; NO_COLOR is set (the TUI keeps its glyphs and words)" if env.get("NO_COLOR") else ""
    text = f"{term.width}×{term.height}, {colors}{no_color}"
    if term.width < MIN_WIDTH or term.height < MIN_HEIGHT:
        return warn("terminal", "", "terminal", f"{text}: smaller than {MIN_WIDTH}×{MIN_HEIGHT}",
                    f"make the window at least {MIN_WIDTH}×{MIN_HEIGHT}; the TUI asks for it until it is")
    if term.colors is not None and term.colors < 16:
        return warn("terminal", "", "terminal", f"{text}: few colours",
                    "use a terminal with 256 colours or more (TERM=xterm-256color); states keep their words anyway")
    return ok("terminal", "", "terminal", text)


def _colors_text(colors: int | None) -> str:
    if colors is None:
        return "colours unknown ($TERM not set)"
    if colors >= 1 << 24:
        return "true colour"
    return f"{colors} colours" if colors else "no colours (TERM=dumb)"
