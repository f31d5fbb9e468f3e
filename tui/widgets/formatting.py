"""Colour for status words: the one styling helper the panels share (the words are tui.wording's).

Colours are theme variables (`$text-success`, ...) inside `Content`, so a theme switch recolours
every cell without re-rendering rows by hand. Colour is never the only signal: each status has a
glyph and a word.
"""

from __future__ import annotations

from textual.content import Content

from tui.engine.state.status import GLYPHS

STATUS_STYLE = {
    "healthy": "$text-success",
    "degraded": "$text-warning",
    "disabled": "$text-error",
    "probing": "$text-accent",
    "blocked": "$text-error",
    "no key": "$text-warning",
    "unknown": "$foreground-muted",
}


def status_content(status: str, *, word: bool = True) -> Content:
    """`✕ disabled` in the status colour (glyph only with word=False)."""
    text = f"{GLYPHS[status]} {status}" if word else GLYPHS[status]
    return Content.styled(text, STATUS_STYLE[status])
