"""Keep API keys out of everything the engine prints, logs or stores.

The provider client registers each key it uses; any part of the engine that turns foreign text
(a provider's error message, an exception, a log line) into output passes it through
`redact_known`. `Bearer <token>` and `sk-…` style tokens are scrubbed even when unregistered, so
a key echoed back by a proxy in an error message never reaches the screen.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable

MASK = "***"
MIN_SECRET_LEN = 6  # shorter values would mask ordinary words

_BEARER = re.compile(r"(?i)\b(bearer)(\s+)[A-Za-z0-9._~+/=-]{8,}")
_KEYLIKE = re.compile(r"\bsk-[A-Za-z0-9_-]{16,}")

_lock = threading.Lock()
_known: frozenset[str] = frozenset()


def register_secret(value: str | None) -> None:
    """Remember a secret so `redact_known` scrubs it from now on (too-short values are ignored)."""
    global _known
    if not value or len(value) < MIN_SECRET_LEN:
        return
    with _lock:
        if value not in _known:
            _known = _known | {value}


def redact(text: str, secrets: Iterable[str]) -> str:
    """Replace each secret (len >= 6) with `***`, then bearer tokens and `sk-` style keys."""
    if not text:
        return text
    # Longest first, so a key that contains another key is masked whole.
    for secret in sorted({s for s in secrets if s and len(s) >= MIN_SECRET_LEN}, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    text = _BEARER.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)
    return _KEYLIKE.sub(MASK, text)


def redact_known(text: str) -> str:
    """`redact` with every registered secret."""
    return redact(text, _known)

