"""A scrolling list of blocks of lines that draws again only the lines that changed (the groups
panel's base).

Textual's OptionList draws an option as a whole, and replacing one option's text clears every
option's drawing and repaints the whole widget (Textual 8.2.8): a panel whose countdowns tick once
a second drew every visible line again each second. Here:

- a line is a value (anything comparable; `line_content` turns it into one line of Content), and
  giving a block new values changes only the lines whose value differs;
- a changed line's Content and drawing are made only when it is drawn (a line scrolled out of
  view costs one comparison), and only the changed lines on screen are repainted, in one
  `refresh(*regions)`;
- each line keeps its drawn `Strip` per style (plain, highlighted, hovered; focused or not), and a
  line that fits is drawn straight from its spans, each span's style resolved once per base style
  (`_draw`), rather than through Textual's wrapping and padding (~0.3 ms a line).
  `tests/tui/test_groups_panel.py` checks that drawing against Textual's own, cell by cell.

A block is what an option is in an OptionList: highlighted, hovered and chosen (Enter or a click)
as a whole, with the same keys (↑ ↓ wrapping, Home, End, Page Up/Down) and the same default look
(the CSS below is OptionList's, with its component classes renamed).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar, NamedTuple

from rich.segment import Segment
from rich.style import Style as RichStyle
from textual import events
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.geometry import Region, Size, Spacing
from textual.reactive import var
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.style import Style
from textual.visual import Padding, Visual

LINE = "block-list--line"
HIGHLIGHTED = "block-list--highlighted"
HOVER = "block-list--hover"


class _Shared(NamedTuple):
    """What every line drawn in one repaint shares."""

    top: int  # the first line on screen
    width: int  # the lines' width (the scrollbar's column left out)
    padding: Spacing  # the line style's padding
    left_aligned: bool  # text and content aligned left and top: a line can be drawn from its spans


class BlockList(ScrollView, can_focus=True):
    """Blocks of one-line values; one block is highlighted, and Enter or a click chooses it."""

    ALLOW_SELECT = False  # a click chooses a block; it does not start a text selection
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down", "cursor_down", "Down", show=False),
        Binding("up", "cursor_up", "Up", show=False),
        Binding("home", "first", "First", show=False),
        Binding("end", "last", "Last", show=False),
        Binding("pagedown", "page_down", "Page Down", show=False),
        Binding("pageup", "page_up", "Page Up", show=False),
        Binding("enter", "select", "Select", show=False),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {LINE, HIGHLIGHTED, HOVER}
    DEFAULT_CSS = """
    BlockList {
        height: auto;
        max-height: 100%;
        color: $foreground;
        overflow-x: hidden;
        border: tall $border-blurred;
        padding: 0 1;
        background: $surface;
        & > .block-list--highlighted {
            color: $block-cursor-blurred-foreground;
            background: $block-cursor-blurred-background;
            text-style: $block-cursor-blurred-text-style;
        }
        &:focus {
            border: tall $border;
            background-tint: $foreground 5%;
            & > .block-list--highlighted {
                color: $block-cursor-foreground;
                background: $block-cursor-background;
                text-style: $block-cursor-text-style;
            }
        }
        & > .block-list--highlighted {
            color: $foreground;
            background: $block-cursor-blurred-background;
        }
        & > .block-list--hover {
            background: $block-hover-background;
        }
    }
    """

    highlighted: var[int | None] = var(None)
    """The highlighted block's index (None when there are no blocks)."""
    hovered: var[int | None] = var(None)
    """The block under the mouse, if any."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._blocks: list[list[object]] = []  # per block: its lines' values
        self._where: list[tuple[int, int]] = []  # per line: (block, line within the block)
        self._starts: list[int] = []  # per block: its first line
        self._contents: list[Content | None] = []  # per line: its Content, once drawn
        self._strips: list[dict[tuple[Style, int], Strip]] = []  # per line: (style, width) -> drawn line
        self._span_styles: dict[Style, dict[tuple[object, int], RichStyle]] = {}  # base -> (span style, x) -> drawn
        self._shared: _Shared | None = None  # during a repaint
        self._repainting = False

    def line_content(self, value: object) -> Content:
        """One line's Content from its value (a subclass's lines may be any comparable values)."""
        assert isinstance(value, Content)
        return value

    # -- what is shown ---------------------------------------------------------------------------
    @property
    def block_count(self) -> int:
        return len(self._blocks)

    def block_lines(self, index: int) -> list[Content]:
        """The lines of block `index` as shown."""
        start = self._starts[index]
        return [self._content(start + offset) for offset in range(len(self._blocks[index]))]

    def set_blocks(self, blocks: Sequence[Sequence[object]]) -> None:
        """Show these blocks instead of the present ones (everything is drawn again)."""
        self._blocks = [list(block) for block in blocks]
        self._relayout()
        self.highlighted = self._valid(self.highlighted if self.highlighted is not None else 0)

    def update_blocks(self, blocks: Mapping[int, Sequence[object]]) -> None:
        """New line values for some blocks (by index). A line whose value is unchanged is left as
        drawn; the changed lines on screen are repainted together. A block whose height changes
        lays the list out again."""
        changed: list[int] = []
        relayout = False
        for index, values in blocks.items():
            lines = self._blocks[index]
            if len(values) != len(lines):
                self._blocks[index] = list(values)
                relayout = True
                continue
            start = self._starts[index]
            for offset, value in enumerate(values):
                if lines[offset] != value:
                    lines[offset] = value
                    changed.append(start + offset)
        if relayout:
            self._relayout()
            return
        for line in changed:
            self._contents[line] = None
            self._strips[line].clear()
        self._refresh_lines(changed)

    def _relayout(self) -> None:
        self._where = [(block, offset) for block, lines in enumerate(self._blocks) for offset in range(len(lines))]
        self._starts = []
        line = 0
        for lines in self._blocks:
            self._starts.append(line)
            line += len(lines)
        self._contents = [None] * len(self._where)
        self._strips = [{} for _ in self._where]
        self.virtual_size = Size(self.scrollable_content_region.width, len(self._where))
        self.refresh()
        self.scroll_to_highlight()  # the highlighted block may have moved with the blocks above it

    def _refresh_lines(self, lines: Sequence[int]) -> None:
        """Repaint these lines of the list where they are on screen, in one refresh."""
        top, height, width = self.scroll_offset.y, self.scrollable_content_region.height, self.size.width
        regions = [Region(0, line - top, width, 1) for line in lines if top <= line < top + height]
        if regions:
            self.refresh(*regions)

    def _refresh_block(self, index: int | None) -> None:
        if index is not None and 0 <= index < len(self._blocks):
            start = self._starts[index]
            self._refresh_lines(range(start, start + len(self._blocks[index])))

    # -- drawing ---------------------------------------------------------------------------------
    def _content(self, line: int) -> Content:
        content = self._contents[line]
        if content is None:
            block, offset = self._where[line]
            content = self._contents[line] = self.line_content(self._blocks[block][offset])
        return content

    def render_lines(self, crop: Region) -> list[Strip]:
        """Textual's repaint; what the lines drawn in it share is worked out once (`_repaint`)."""
        self._repainting = True
        try:
            return super().render_lines(crop)
        finally:
            self._repainting, self._shared = False, None

    def _repaint(self) -> _Shared:
        shared = self._shared
        if shared is None:
            styles = self.styles
            shared = _Shared(self.scroll_offset.y, self.scrollable_content_region.width,
                             self.get_component_styles(LINE).padding,
                             styles.text_align in ("left", "start") and styles.content_align == ("left", "top"))
            if self._repainting:
                self._shared = shared
        return shared

    def render_line(self, y: int) -> Strip:
        shared = self._repaint()
        line, width = shared.top + y, shared.width
        if not 0 <= line < len(self._where):
            return Strip.blank(width, self.get_visual_style(LINE).rich_style)
        block = self._where[line][0]
        if block == self.highlighted:
            style = self.get_visual_style(LINE, HIGHLIGHTED)
        elif block == self.hovered:
            style = self.get_visual_style(LINE, HOVER)
        else:
            style = self.get_visual_style(LINE)
        drawn = self._strips[line]
        if (strip := drawn.get((style, width))) is None:
            strip = drawn[(style, width)] = self._draw(self._content(line), style, shared)
        return strip

    def _draw(self, line: Content, style: Style, shared: _Shared) -> Strip:
        """One line as Textual draws a padded one-line Content (what OptionList does per option),
        filled to the width in `style`. A line that fits is put together from its spans here;
        anything else (too long for the width: cut with an ellipsis; overlapping spans, tabs,
        another alignment) is drawn by Textual."""
        width, padding = shared.width, shared.padding
        base = style.rich_style
        text = line.plain
        used = padding.left + line.cell_length
        simple = shared.left_aligned and used + padding.right <= width and "\t" not in text and "\n" not in text
        segments = self._segments(line, style) if simple else None
        if segments is None:
            visual: Visual = Padding(line, padding) if padding else line
            strips = Visual.to_strips(self, visual, width, None, style)
            return (strips[0] if strips else Strip.blank(0)).extend_cell_length(width, base)
        if padding.left:
            segments.insert(0, Segment(" " * padding.left, base))
        if used < width:
            segments.append(Segment(" " * (width - used), base))
        return Strip(segments, width)

    def _segments(self, line: Content, style: Style) -> list[Segment] | None:
        """The line's text cut at its spans, each piece styled as Textual styles it (the base style,
        the span's on top, the piece's offset in the meta); None when spans overlap or a style
        names a component class (Textual resolves those)."""
        resolved = self._span_styles.get(style)
        if resolved is None:
            resolved = self._span_styles[style] = {}
        text = line.plain
        pieces: list[tuple[int, int, object]] = []
        position = 0
        for start, end, span_style in sorted(line.spans):
            if start < position or (isinstance(span_style, str) and span_style.startswith(".")):
                return None
            if start > position:
                pieces.append((position, start, None))
            if end > start:
                pieces.append((start, end, span_style))
                position = end
        if position < len(text):
            pieces.append((position, len(text), None))
        segments: list[Segment] = []
        for start, end, span_style in pieces:
            rich = resolved.get((span_style, start))
            if rich is None:
                if span_style is None:
                    under = style
                else:
                    under = style + (span_style if isinstance(span_style, Style) else Style.parse(span_style))
                rich = resolved[(span_style, start)] = (style + under).rich_style_with_offset(start, 0)
            segments.append(Segment(text[start:end], rich))
        return segments

    def _forget_drawn(self) -> None:
        for drawn in self._strips:
            drawn.clear()
        self._span_styles.clear()

    def notify_style_update(self) -> None:
        """A theme, focus or hover change restyles every line."""
        super().notify_style_update()
        self._forget_drawn()
        self.refresh()

    def on_resize(self) -> None:
        self._forget_drawn()
        self.virtual_size = Size(self.scrollable_content_region.width, len(self._where))

    # -- highlight, keys, mouse ------------------------------------------------------------------
    def _valid(self, index: int | None) -> int | None:
        if index is None or not self._blocks:
            return None
        return max(0, min(index, len(self._blocks) - 1))

    def watch_highlighted(self, old: int | None, new: int | None) -> None:
        self._refresh_block(old)
        self._refresh_block(new)
        self.scroll_to_highlight()

    def watch_hovered(self, old: int | None, new: int | None) -> None:
        self._refresh_block(old)
        self._refresh_block(new)

    def scroll_to_highlight(self) -> None:
        """Bring the whole highlighted block into view (its top, when it is taller than the panel)."""
        index = self.highlighted
        if index is None or not self.is_mounted or index >= len(self._blocks):
            return
        region = Region(0, self._starts[index], self.scrollable_content_region.width, len(self._blocks[index]))
        self.scroll_to_region(region, force=True, animate=False, immediate=True)

    def on_show(self) -> None:
        self.scroll_to_highlight()

    def action_cursor_down(self) -> None:
        if self._blocks:
            self.highlighted = 0 if self.highlighted is None else (self.highlighted + 1) % len(self._blocks)

    def action_cursor_up(self) -> None:
        if self._blocks:
            self.highlighted = (len(self._blocks) - 1 if self.highlighted is None
                                else (self.highlighted - 1) % len(self._blocks))

    def action_first(self) -> None:
        self.highlighted = self._valid(0)

    def action_last(self) -> None:
        self.highlighted = self._valid(len(self._blocks) - 1)

    def _move_page(self, direction: int) -> None:
        """Highlight the block a page of lines above or below the highlighted block's first line."""
        if not self._where:
            return
        start = self._starts[self.highlighted or 0]
        line = max(0, min(start + direction * self.scrollable_content_region.height, len(self._where) - 1))
        self.highlighted = self._where[line][0]

    def action_page_down(self) -> None:
        self._move_page(1)

    def action_page_up(self) -> None:
        self._move_page(-1)

    def action_select(self) -> None:
        if self.highlighted is not None:
            self.block_chosen(self.highlighted)

    def block_chosen(self, index: int) -> None:
        """Enter or a click chose block `index`; a subclass says what that means."""

    def _block_at(self, event: events.MouseEvent) -> int | None:
        offset = event.get_content_offset(self)
        if offset is None:
            return None
        line = offset.y + self.scroll_offset.y
        return self._where[line][0] if 0 <= line < len(self._where) else None

    def on_click(self, event: events.Click) -> None:
        if (block := self._block_at(event)) is not None:
            self.highlighted = block
            self.block_chosen(block)

    def on_mouse_move(self, event: events.MouseMove) -> None:
        self.hovered = self._block_at(event)

    def on_leave(self, event: events.Leave) -> None:
        self.hovered = None
