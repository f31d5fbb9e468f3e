"""An incremental Server-Sent Events parser.

Providers stream completions as SSE, and network chunks split anywhere: inside a UTF-8
sequence, between `\\r` and `\\n`, in the middle of a `data:` field. The parser is fed raw
bytes as they arrive and returns complete items; it keeps comment lines (`: OPENROUTER
PROCESSING`) as `SSEComment` so the client can show "the request is alive" without counting them
as tokens. It never raises on garbage: undecodable bytes become U+FFFD, unknown fields are
ignored, and over-long lines are dropped and counted (a hostile or broken server cannot make it
buffer without bound).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

_EOL = re.compile(r"\r\n|\r|\n")
DEFAULT_MAX_LINE = 4 * 1024 * 1024  # bytes-ish (characters) per line and per event's data


@dataclass(slots=True)  # not frozen: one per token, and frozen init costs 3× as much
class SSEEvent:
    """One dispatched event: its data lines joined by `\\n`, and its `event:` type if any."""

    data: str
    event: str | None = None
    id: str | None = None


@dataclass(frozen=True)
class SSEComment:
    """A comment line (starts with `:`), without the colon and surrounding spaces."""

    text: str


SSEItem = SSEEvent | SSEComment


class SSEParser:
    """Feed bytes with `feed`, call `close` at end of stream; both return complete items in order.

    Follows the WHATWG event-stream rules (CR, LF or CRLF line ends; `field: value` with one
    optional space; blank line dispatches; leading BOM skipped), with one leniency: at end of
    stream an event that was not followed by a blank line is still dispatched, because servers
    that close right after `data: [DONE]` are common.
    """

    def __init__(self, max_line: int = DEFAULT_MAX_LINE) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._max_line = max_line
        self._pieces: list[str] = []  # the current, not yet terminated line
        self._pieces_len = 0
        self._overlong = False  # the current line has overflowed and is being discarded
        self._skip_lf = False  # the previous chunk ended with \r: a leading \n belongs to it
        self._started = False  # BOM handling happens once, on the first decoded text
        self._data: list[str] = []
        self._data_len = 0
        self._event: str | None = None
        self._id: str | None = None
        self._event_overflow = False
        self._closed = False
        self.dropped = 0  # lines or events discarded for being over `max_line`

    def feed(self, chunk: bytes) -> list[SSEItem]:
        """Parse more bytes; returns the items completed by them (possibly none)."""
        if self._closed or not chunk:
            return []
        text = self._decoder.decode(chunk)
        # The usual chunk is one whole event with nothing pending: OpenAI's `data: {...}\n\n`,
        # Gemini's the same with CRLF, Anthropic's `event: name\ndata: {...}\n\n`. It needs none
        # of the line machinery below (a measurable share of a fast stream's cost).
        if (self._started and len(text) <= self._max_line
                and not (self._pieces or self._data or self._skip_lf or self._overlong or self._event_overflow
                         or self._event is not None)):
            if text.startswith("data: "):
                end = len(text)
                if text.find("\n", 6) == end - 2 and text.endswith("\n\n") and "\r" not in text:
                    return [SSEEvent(text[6:-2], None, self._id)]
                if text.find("\r", 6) == end - 4 and text.endswith("\r\n\r\n") and text.find("\n", 6) == end - 3:
                    return [SSEEvent(text[6:-4], None, self._id)]
            elif text.startswith("event: ") and "\r" not in text:
                eol = text.find("\n", 7)
                if (eol > 7 and text.startswith("data: ", eol + 1) and text.find("\n", eol + 7) == len(text) - 2
                        and text.endswith("\n\n")):
                    return [SSEEvent(text[eol + 7:-2], text[7:eol], self._id)]
        return self._feed_text(text)

    def close(self) -> list[SSEItem]:
        """End of stream: flush the decoder, the last unterminated line and a pending event."""
        if self._closed:
            return []
        out = self._feed_text(self._decoder.decode(b"", final=True))
        self._closed = True
        if self._pieces or self._overlong:
            self._end_line(out)
        self._dispatch(out)
        return out

    # -- internals -------------------------------------------------------------------------

    def _feed_text(self, text: str) -> list[SSEItem]:
        out: list[SSEItem] = []
        if not text:
            return out
        if not self._started:
            self._started = True
            if text.startswith("\ufeff"):
                text = text[1:]
        if self._skip_lf:
            self._skip_lf = False
            if text.startswith("\n"):
                text = text[1:]
        # str.split is C-speed; the regex is needed only when a \r may end a line.
        lines = _EOL.split(text) if "\r" in text else text.split("\n")
        for line in lines[:-1]:
            if self._pieces or self._overlong or len(line) > self._max_line:
                self._append(line)  # began in an earlier chunk, or too long: the careful path
                self._end_line(out)
            else:
                self._line(line, out)
        self._append(lines[-1])
        if text.endswith("\r"):
            self._skip_lf = True
        return out

    def _append(self, piece: str) -> None:
        if not piece or self._overlong:
            return
        self._pieces_len += len(piece)
        if self._pieces_len > self._max_line:
            self._overlong = True
            self._pieces.clear()
            self._pieces_len = 0
            return
        self._pieces.append(piece)

    def _end_line(self, out: list[SSEItem]) -> None:
        if self._overlong:
            self._overlong = False
            self.dropped += 1
            return
        line = "".join(self._pieces)
        self._pieces.clear()
        self._pieces_len = 0
        self._line(line, out)

    def _line(self, line: str, out: list[SSEItem]) -> None:
        if not line:
            self._dispatch(out)
            return
        if line.startswith(":"):
            out.append(SSEComment(line[1:].strip()))
            return
        name, sep, value = line.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        if name == "data":
            if self._event_overflow:
                return
            self._data_len += len(value) + 1
            if self._data_len > self._max_line:
                self.dropped += 1
                self._data = []
                self._event_overflow = True  # discard the rest of this event, up to its blank line
                return
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id" and "\x00" not in value:
            self._id = value
        # `retry:` and unknown fields are ignored, as the spec says.

    def _dispatch(self, out: list[SSEItem]) -> None:
        if self._data and not self._event_overflow:
            out.append(SSEEvent("\n".join(self._data), self._event or None, self._id))
        self._reset_event()

    def _reset_event(self) -> None:
        self._data = []
        self._data_len = 0
        self._event = None
        self._event_overflow = False
