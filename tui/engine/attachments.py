"""Files attached to a prompt: `@path` in its text, or a path from the file picker.

A text file becomes part of the prompt, fenced and named, so the model sees which file it is and
where it ends. A file too big for every model of the group is refused before anything is sent,
with its size and the largest context the group's models publish (a file the model cannot hold
would only fail the whole chain). Binary files are refused: images need an adapter that carries
image parts, which this prompt path does not use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from tui.engine.policy.context_fit import TYPICAL_CHARS_PER_TOKEN, short_count

MENTION = re.compile(r"(?<![\w@])@((?:~|\.{1,2})?/?[\w.~/-]*[\w/-])")
UNKNOWN_CONTEXT_LIMIT = 512 * 1024  # bytes: with no published context, larger files are refused


class AttachError(Exception):
    """A file that cannot be attached; the message says why (size, context, not text, missing)."""


@dataclass(frozen=True)
class Attachment:
    path: Path
    text: str

    def as_prompt(self) -> str:
        fence = "````" if "```" in self.text else "```"
        return f"File `{self.path.name}`:\n{fence}\n{self.text.rstrip()}\n{fence}"


def human_size(size: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size} bytes"  # pragma: no cover - the loop always returns


def read_attachment(path: Path, context: tuple[str, int] | None) -> Attachment:
    """The file as text, or AttachError. `context` is (model, tokens): the largest context the
    group's models publish, or None when none does."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise AttachError(f"cannot attach {path}: {exc.strerror or exc}") from None
    if not path.is_file():
        raise AttachError(f"cannot attach {path}: not a file")
    tokens = int(size / TYPICAL_CHARS_PER_TOKEN)
    if context is not None and tokens > context[1]:
        raise AttachError(f"{path.name} is {human_size(size)} (~{short_count(tokens)} tokens); the largest context in "
                          f"this group is {short_count(context[1])} ({context[0]})")
    if context is None and size > UNKNOWN_CONTEXT_LIMIT:
        raise AttachError(f"{path.name} is {human_size(size)}; no model of this group publishes its context, and "
                          f"files over {human_size(UNKNOWN_CONTEXT_LIMIT)} are refused")
    data = path.read_bytes()
    if b"\0" in data[:8192]:
        raise AttachError(f"{path.name} is not a text file (images and other binary files cannot be attached)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise AttachError(f"{path.name} is not UTF-8 text") from None
    return Attachment(path, text)


def mentioned(text: str, cwd: Path) -> list[Path]:
    """The files `@path` names in `text` (relative to `cwd`) that exist; other `@words` stay words."""
    found: list[Path] = []
    for match in MENTION.finditer(text):
        path = (cwd / Path(match.group(1)).expanduser()).resolve()
        if path.is_file() and path not in found:
            found.append(path)
    return found


def with_attachments(text: str, attachments: list[Attachment]) -> str:
    """The prompt followed by each file, fenced."""
    return "\n\n".join([text, *(a.as_prompt() for a in attachments)])
