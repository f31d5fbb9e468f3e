"""Text from outside (provider error bodies, the shared state, command-line arguments, config keys)
made safe to print.

A provider's error message, a reason typed into another terminal or a model id can hold terminal
control sequences (ESC, CSI, BEL, a carriage return that rewrites the line). Printed raw they
would recolour, move the cursor, break a table row or forge output; here every control character
becomes a visible escape such as `\\x1b`. `one_line` is the one helper every screen and command
uses for such text: one printable line, bounded in length.
"""

from __future__ import annotations

from collections.abc import Iterable
import functools
import re

# C0 controls, DEL and C1 controls (0x80-0x9f: a lone 0x9b is CSI on some terminals).
_CONTROLS = {code: f"\\x{code:02x}" for code in (*range(0x20), *range(0x7F, 0xA0))}
# Line and paragraph breaks of any kind (Unicode's too: a terminal may honour them) and tabs.
_BREAKS = re.compile(r"[\t\n\v\f\r\x1c-\x1e\x85\u2028\u2029]+")

LINE_MAX = 200  # a reason, an error detail or a name: longer text is cut (one row of a wide terminal)


def printable(text: str) -> str:
    """`text` with every control character (newlines included) shown as `\\xNN`."""
    return text.translate(_CONTROLS)


def did_you_mean(text: str, known: Iterable[str]) -> str:
    """`; did you mean 'x'?` for the closest of `known` to a mistyped `text`, or "" when none is close.

    One rule for every "did you mean" (an unknown model on the command line, an id the provider does
    not list, `doctor`): the same suggestion wherever the same typo is made."""
    import difflib  # only for a mistyped name

    close = difflib.get_close_matches(text, list(known), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""
def one_line(text: object, limit: int = LINE_MAX) -> str:
    """`text` as one printable line of at most `limit` characters: line breaks and tabs become one
    space, other control characters show as `\\xNN`, and longer text ends with `…`."""
    return _one_line(str(text), limit)


@functools.lru_cache(maxsize=1024)
def _one_line(text: str, limit: int) -> str:
    """Remembered: the same reasons and errors are shown for every model on every tick of the panels."""
    line = printable(_BREAKS.sub(" ", text).strip())
    return line if len(line) <= limit else line[:limit - 1].rstrip() + "…"
