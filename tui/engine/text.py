"""Text from outside (provider error bodies, command-line arguments, config keys) made safe to print.

A provider's error message or a mistyped argument can hold terminal control sequences (ESC, CSI,
BEL, a carriage return that rewrites the line). Printed raw they would recolour, move the cursor
or forge output; here every control character becomes a visible escape such as `\\x1b`.
"""

from __future__ import annotations

from collections.abc import Iterable

# C0 controls, DEL and C1 controls (0x80-0x9f: a lone 0x9b is CSI on some terminals).
_CONTROLS = {code: f"\\x{code:02x}" for code in (*range(0x20), *range(0x7F, 0xA0))}


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
