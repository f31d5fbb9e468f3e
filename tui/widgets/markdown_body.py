"""An answer's Markdown in a handful of widgets, fed at network speed and drawn at frame rate.

`AnswerMarkdown` is a `textual.widgets.Markdown` (its `source` is the text, `append` and `update`
work as Textual's do) whose blocks are data (`markdown_blocks.py`) instead of widgets: runs of up
to `CHUNK_BLOCKS` top-level blocks are drawn by one `MarkdownChunk` each, so a 5,000-token
answer is about twenty widgets where Textual's widget made about 1,300. As Textual's widget
does, each append re-parses from the start of the last top-level block (only the last block can
change), and only the last chunk is laid out again.

`feed(text)` takes text as it arrives and costs nothing but a list append; the text reaches the
screen at most once a frame (`FRAME_S`) in one `append` of all that arrived meanwhile, so reading
the stream never waits for drawing (`flush()` draws what is pending at once).
"""

from __future__ import annotations

import re
import time

from textual.await_complete import AwaitComplete
from textual.content import Content
from textual.strip import Strip
from textual.style import Style
from textual.visual import Visual
from textual.widget import Widget
from textual.widgets import Markdown

from tui.widgets.markdown_blocks import Block, Layout, highlight, parse, parser
from tui.widgets.markdown_strips import blank_empty, draw_rows

CHUNK_BLOCKS = 16  # top-level blocks per widget at most
CHUNK_LINES = 40  # ... and source lines
FRAME_S = 1 / 30  # at most this often to the screen while text streams in
FRAME_SHARE = 1 / 3  # frames take at most about this share of the time while text streams in
# A run of BACKLOG_RUN pieces, each within FAST_GAP_S of the one before, is text read from a
# backlog (buffered data, faster than any provider streams): frames wait until the run ends, at
# most MAX_BACKLOG_S, and then draw all of it at once.
FAST_GAP_S = 0.0005
BACKLOG_RUN = 32
BACKLOG_LINGER_S = 0.1  # a backlog still counts this long after its last run (the loop had other work)
MAX_BACKLOG_S = 0.5
_NEWLINE = re.compile(r"\r\n|\r|\n")
BLANK = Content("")  # a blank row (one object, so its drawing is kept from frame to frame)


class _ChunkVisual(Visual):
    """A chunk's rows as one Content (Textual draws it, selection and links included)."""

    def __init__(self, chunk: MarkdownChunk) -> None:
        self.chunk = chunk
        self._rows: list[Content] | None = None
        self._content = Content("")

    def content(self, width: int) -> Content:
        rows = self.chunk.rows(width)
        if rows is not self._rows:
            self._rows = rows
            self._content = Content("\n").join(rows)
        return self._content

    def render_strips(self, width, height, style, options):
        strips = self.chunk.strips(width, style, options)
        if strips is None:
            strips = blank_empty(self.content(width).render_strips(width, height, style, options))
        return strips if height is None else strips[:height]

    def get_optimal_width(self, rules, container_width: int) -> int:
        return container_width

    def get_height(self, rules, width: int) -> int:
        return len(self.chunk.rows(width)) if width > 0 else 0


class MarkdownChunk(Widget):
    """Consecutive top-level blocks of an `AnswerMarkdown`, drawn as rows of one widget."""

    DEFAULT_CSS = """
    MarkdownChunk {
        height: auto;
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self.blocks: list[Block] = []
        self.lead = 0  # blank rows before the first block (its margin, collapsed with the one above)
        self.tail = 0  # blank rows after the last block (the document's last bottom margin)
        self._rows: tuple[tuple, list[Content]] | None = None
        self._strips: tuple[tuple, list[tuple[Content, list[Strip]]]] | None = None  # (key, each row's strips)

    def set_blocks(self, blocks: list[Block], lead: int, tail: int) -> None:
        self.blocks, self.lead, self.tail = blocks, lead, tail
        self._rows = None
        self.refresh(layout=True)

    def rows(self, width: int) -> list[Content]:
        """Every row at `width`; each block's rows are kept until the width or the theme changes."""
        parent = self.parent
        assert isinstance(parent, AnswerMarkdown)
        layout = parent.row_layout()
        key = (width, layout.key, self.lead, self.tail)
        if self._rows is not None and self._rows[0] == key:
            return self._rows[1]
        rows: list[Content] = [BLANK] * self.lead
        below = None
        for block in self.blocks:
            top, bottom = layout.margins(block)
            if below is not None:
                rows += [BLANK] * max(below, top)
            rows += block_rows(block, width, layout)
            below = bottom
        rows += [BLANK] * self.tail
        self._rows = (key, rows)
        return rows

    def strips(self, width: int, style: Style, options) -> list[Strip] | None:
        """The rows drawn one by one, each kept while it, the width, the style and the text rules
        are the same (`draw_rows`); None when the chunk's Content must be drawn whole."""
        get_rule = options.rules.get
        key = (width, style, options.post_style, options.get_style,
               *(get_rule(name) for name in ("text_align", "text_overflow", "text_wrap", "line_pad")))
        if self._strips is None or self._strips[0] != key:
            self._strips = (key, [])
        return draw_rows(self.rows(width), self._strips[1], width, style, options)

    def render(self) -> Visual:
        return _ChunkVisual(self)

    def get_selection(self, selection):
        width = self.content_region.width
        if width <= 0:
            return None
        visual = self._render()
        text = visual.content(width).plain if isinstance(visual, _ChunkVisual) else ""
        return selection.extract(text), "\n"

    async def action_link(self, href: str) -> None:
        parent = self.parent
        if isinstance(parent, Markdown):
            self.post_message(Markdown.LinkClicked(parent, href))


class AnswerMarkdown(Markdown):
    """Markdown whose blocks are drawn by a few `MarkdownChunk`s; `feed` + frames for streaming."""

    COMPONENT_CLASSES = {
        "em", "strong", "s", "code_inline", "md-h1", "md-h2", "md-h3", "md-h4", "md-h5", "md-h6",
        "md-h1-fill", "md-h2-fill", "md-h3-fill", "md-h4-fill", "md-h5-fill", "md-h6-fill", "md-hr",
        "md-bullet", "md-fence", "md-fence-fill", "md-quote-fill", "md-quote-border", "md-table-fill",
        "md-table-header", "md-table-lines",
    }
    # The look of Textual's Markdown block widgets (textual/widgets/_markdown.py, 8.2.8), as
    # component classes; the chunks' rows use them by name (on the chunks themselves every chunk
    # would carry two dozen styled component nodes).
    DEFAULT_CSS = """
    AnswerMarkdown {
        & > .em { text-style: italic; }
        & > .strong { text-style: bold; }
        & > .s { text-style: strike; }
        &:dark > .code_inline { background: $warning 10%; color: $text-warning 95%; }
        &:light > .code_inline { background: $error 5%; color: $text-error 95%; }
        &:ansi > .code_inline { background: ansi_default; }
        & > .md-h1 { color: $markdown-h1-color; text-style: $markdown-h1-text-style; }
        & > .md-h2 { color: $markdown-h2-color; text-style: $markdown-h2-text-style; }
        & > .md-h3 { color: $markdown-h3-color; text-style: $markdown-h3-text-style; }
        & > .md-h4 { color: $markdown-h4-color; text-style: $markdown-h4-text-style; }
        & > .md-h5 { color: $markdown-h5-color; text-style: $markdown-h5-text-style; }
        & > .md-h6 { color: $markdown-h6-color; text-style: $markdown-h6-text-style; }
        & > .md-h1-fill { background: $markdown-h1-background; }
        & > .md-h2-fill { background: $markdown-h2-background; }
        & > .md-h3-fill { background: $markdown-h3-background; }
        & > .md-h4-fill { background: $markdown-h4-background; }
        & > .md-h5-fill { background: $markdown-h5-background; }
        & > .md-h6-fill { background: $markdown-h6-background; }
        & > .md-hr { color: $secondary; }
        & > .md-bullet { color: $text-primary; }
        &:light > .md-bullet { color: $text-secondary; }
        & > .md-fence { color: rgb(210,210,210); }
        & > .md-fence-fill { background: black 10%; }
        &:light > .md-fence-fill { background: white 30%; }
        &:ansi > .md-fence-fill { background: transparent; }
        & > .md-quote-fill { background: $boost; }
        &:light > .md-table-fill { background: white 30%; }
        & > .md-quote-border { color: $text-primary 50%; }
        &:light > .md-quote-border { color: $text-secondary; }
        & > .md-table-header { color: $primary; }
        & > .md-table-lines { color: $foreground 20%; }
    }
    """

    def __init__(self, markdown: str | None = None, *, classes: str | None = None, id: str | None = None) -> None:
        super().__init__(markdown, classes=classes, id=id)
        self.blocks: list[Block] = []  # the top-level blocks
        self._tail_at = 0  # where in the source the last top-level block starts (chars)
        self._tail_line = 0  # ... and in lines
        self._pending: list[str] = []
        self._timer = None
        self._undrawn_since: float | None = None  # when the oldest text not yet drawn came
        self._unshown = 0  # the first block the chunks do not show as it is now
        self._fed_at = 0.0
        self._run = 0  # pieces fed in a row, each soon after the one before
        self._backlog_until = 0.0
        self._next_frame = 0.0  # perf_counter() time before which no frame is drawn
        self._row_layout: Layout | None = None

    def row_layout(self) -> Layout:
        """How the chunks lay blocks out: kept until the theme changes."""
        app = self.app
        key = app.theme  # the theme decides the colours, dark or light, and ANSI or not
        if self._row_layout is not None and self._row_layout.key == key:
            return self._row_layout
        dark = app.current_theme.dark
        ansi = app.native_ansi_color

        if ansi:
            from textual.highlight import ANSIDarkHighlightTheme, ANSILightHighlightTheme

            theme = ANSIDarkHighlightTheme if dark else ANSILightHighlightTheme
        else:
            from textual.highlight import HighlightTheme as theme

        def coloured(code: str, lang: str) -> Content:
            return highlight(code, lang, theme)

        fills = {}
        for name in ("h1", "h2", "h3", "h4", "h5", "h6", "fence", "quote", "table"):
            own = self.get_visual_style(f"md-{name}-fill", partial=True).background
            if own is not None and own.a:  # composed over what is behind, as a widget's would be
                fills[name] = Style(background=self.get_visual_style(f"md-{name}-fill").background)
        # Textual draws the quote's outer border in its colour over what is behind the quote
        border = self.get_visual_style("md-quote-border", partial=True).foreground
        behind = self.visual_style.background
        if border is not None and behind is not None:
            fills["quote-border"] = Style(foreground=behind.blend(border.with_alpha(1), border.a))
        self._row_layout = Layout(coloured, ansi, fills, key)
        return self._row_layout

    def notify_style_update(self) -> None:
        self._row_layout = None  # a theme switch changes backgrounds and code colours
        super().notify_style_update()

    # -- the document --------------------------------------------------------------------------
    def update(self, markdown: str) -> AwaitComplete:
        """Replace the whole document."""
        self._pending.clear()
        self._markdown = markdown
        self._tail_at = self._tail_line = 0
        self.blocks = []
        return self._parse_tail()

    def append(self, markdown: str) -> AwaitComplete:
        """Add text at the end: the last top-level block and what follows it are parsed again."""
        if not markdown:
            return AwaitComplete.nothing()
        self._markdown = self.source + markdown
        return self._parse_tail()

    def _parse_tail(self, show: bool = True) -> AwaitComplete:
        tail = self._markdown[self._tail_at:]
        tokens = parser().parse(tail)
        new = parse(tokens, self._tail_line)
        kept = len(self.blocks) - 1 if self.blocks else 0
        for token in reversed(tokens):  # the last top-level block starts here (Textual's rule)
            if token.map is not None and token.level == 0:
                start = token.map[0]
                self._tail_at += _offset_of_line(tail, start)
                self._tail_line += start
                break
        self.blocks[kept:] = new
        self._unshown = min(self._unshown, kept)
        if not show:
            return AwaitComplete.nothing()
        changed, self._unshown = self._unshown, len(self.blocks)
        return self._show(changed)

    # -- streaming -------------------------------------------------------------------------------
    def feed(self, text: str) -> None:
        """Text that arrived; it is drawn with a coming frame."""
        if not text:
            return
        now = time.perf_counter()
        self._run = self._run + 1 if now - self._fed_at < FAST_GAP_S else 0
        self._fed_at = now
        if self._run >= BACKLOG_RUN:
            self._backlog_until = now + BACKLOG_LINGER_S
        if self._undrawn_since is None:
            self._undrawn_since = now
        self._pending.append(text)
        if self._timer is None and self.is_attached:
            delay = max(0.001, self._next_frame - time.perf_counter())
            self._timer = self.set_timer(delay, self._frame, name="markdown frame")

    def _frame(self) -> None:
        """A frame's turn: draw what arrived; while a backlog is still being read, only parse it and
        lay its finished blocks out (so that its last frame has little left to do)."""
        self._timer = None
        now = time.perf_counter()
        if now < self._backlog_until and now - (self._undrawn_since or now) < MAX_BACKLOG_S:
            self._digest()
            self._timer = self.set_timer(FRAME_S, self._frame, name="markdown frame")
            return
        self.flush()

    def _digest(self) -> None:
        """Parse the pending text into blocks and lay out the finished ones; nothing is drawn."""
        if not self._pending:
            return
        self._markdown = self.source + "".join(self._pending)
        self._pending.clear()
        first = max(0, len(self.blocks) - 1)
        self._parse_tail(show=False)
        width = self.content_region.width
        if width > 0:
            layout = self.row_layout()
            for block in self.blocks[first:-1]:  # the last one can still change
                block_rows(block, width, layout)

    def flush(self) -> None:
        """Draw whatever arrived since the last frame, now."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if not self._pending and self._unshown >= len(self.blocks):
            return
        started = time.perf_counter()
        self._undrawn_since = None
        if self._pending:
            text = "".join(self._pending)
            self._pending.clear()
            self.append(text)
        else:
            changed, self._unshown = self._unshown, len(self.blocks)
            self._show(changed)
        if self.is_attached:
            self.call_after_refresh(self._drawn, started)

    def _drawn(self, started: float) -> None:
        """A frame is on screen: the next one no sooner than its cost allows (`FRAME_SHARE`)."""
        now = time.perf_counter()
        self._next_frame = max(started + FRAME_S, now + (now - started) * (1 / FRAME_SHARE - 1))

    # -- chunks ----------------------------------------------------------------------------------
    def _show(self, changed: int) -> AwaitComplete:
        """Give each chunk its blocks again, from the chunk of block `changed` on."""
        chunks = list(self.query_children(MarkdownChunk))
        blocks = self.blocks
        bounds = chunk_bounds(blocks)
        new: list[MarkdownChunk] = []
        for index, (first, last) in enumerate(bounds):
            if last <= changed and index < len(chunks) and index < len(bounds) - 1:
                continue  # its blocks are final and it is not the last chunk: unchanged
            part = blocks[first:last]
            top = part[0].margins(False, False)[0]
            lead = top if first == 0 else max(blocks[first - 1].margins(False, False)[1], top)
            tail = part[-1].margins(False, False)[1] if index == len(bounds) - 1 else 0
            if index < len(chunks):
                chunks[index].set_blocks(part, lead, tail)
            else:
                chunk = MarkdownChunk()
                chunk.set_blocks(part, lead, tail)
                new.append(chunk)
        for extra in chunks[len(bounds):]:
            extra.remove()
        if new:
            return AwaitComplete(self.mount_all(new))
        return AwaitComplete.nothing()


def block_rows(block: Block, width: int, layout: Layout) -> list[Content]:
    """A top-level block's rows at `width`, kept with the block until the width or theme changes."""
    key = (width, layout.key)
    cached = block._rows
    if cached is None or cached[0] != key:
        cached = block._rows = (key, layout.block(block, width))
    return cached[1]


def chunk_bounds(blocks: list[Block]) -> list[tuple[int, int]]:
    """Runs of blocks, one per chunk: a chunk ends after `CHUNK_BLOCKS` blocks or once its blocks
    span `CHUNK_LINES` source lines (a chunk is drawn whole, so it should not be much taller than
    the screen). Only the last block can change, so the runs before it never move."""
    bounds: list[tuple[int, int]] = []
    first = 0
    for index, block in enumerate(blocks):
        if index - first + 1 >= CHUNK_BLOCKS or block.lines[1] - blocks[first].lines[0] >= CHUNK_LINES:
            bounds.append((first, index + 1))
            first = index + 1
    if first < len(blocks):
        bounds.append((first, len(blocks)))
    return bounds


def _offset_of_line(text: str, line: int) -> int:
    """Where line `line` (0-based) of `text` starts, lines ending as markdown-it ends them."""
    if not line:
        return 0
    for count, match in enumerate(_NEWLINE.finditer(text), 1):
        if count == line:
            return match.end()
    return len(text)
