"""Where a word too long for a narrow box (a toast) is broken: after a `/`, else after `-`, `.`,
`_` or `:`, and mid-word only when no such place fits.

A terminal UI wraps at spaces and cuts a word longer than the line wherever the line ends,
which splits a model id mid-name (`openai/gpt-4-tu` / `rbo`). Breaking such a word here first,
with a newline, keeps each id's name whole: `meta-llama/` then `llama-3.1-8b-instruct`. Words
that fit are left to the box's own wrapping.
"""

from __future__ import annotations

import re

_TIERS = ("/", "-._:")  # the places to break, best first
_WORD = re.compile(r"\S+")


def _piece(word: str, width: int) -> int:
    """How many leading characters of `word` (longer than `width`) go on one line."""
    for marks in _TIERS:
        cut = max((i + 1 for i, ch in enumerate(word[:width]) if ch in marks), default=0)
        if cut:
            return cut
    return width


def break_long_words(text: str, width: int) -> str:
    """`text` with every word longer than `width` broken into lines of at most `width`."""
    width = max(1, width)

    def split(match: re.Match) -> str:
        word, pieces = match.group(0), []
        while len(word) > width:
            cut = _piece(word, width)
            pieces.append(word[:cut])
            word = word[cut:]
        return "\n".join([*pieces, word])

    return _WORD.sub(split, text)
