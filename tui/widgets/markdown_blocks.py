"""Markdown as rows of text: the blocks of a document and how each one is laid out at a width.

Textual's `Markdown` widget makes every block a widget (a paragraph is one, a list item four, a
code fence two), so a long answer is hundreds of widgets, and mounting, styling, laying out and
garbage-collecting them is what made long answers slow (benchmarks/FINDINGS.md, round 2). Here a
block is plain data: parsed with the same parser and the same rules as Textual's widget
(`MarkdownIt("gfm-like")`, the same inline styles, bullets, numbering, margins and paddings), and
laid out as rows of `Content`, so that a handful of widgets (`markdown_body.py`) can show a
whole answer looking as Textual's widget draws it. Styles are named component classes of the
widget that renders the rows (`.md-h2`, `.md-fence`, ...); their CSS is in `markdown_body.py`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.token import Token
from rich._wrap import divide_line
from rich.cells import cell_len
from textual.content import Content, Span
from textual.style import Style

BULLETS = ["• ", "▪ ", "‣ ", "⭑ ", "◦ "]  # Textual's, by depth
QUOTE_BORDER = "▌"
HR = "─"
_SPACES = re.compile(r"\s+")

# (top, bottom) margins, as Textual's widget CSS has them; `nested` blocks are inside a list or a quote
_MARGINS = {"h1": (2, 1), "h2": (2, 1), "h3": (1, 1), "h4": (1, 1), "h5": (1, 1), "h6": (1, 1), "hr": (0, 1),
            "quote": (1, 1), "fence": (1, 1), "table": (0, 1)}
_OPENERS = {"paragraph_open": "p", "blockquote_open": "quote", "bullet_list_open": "bullets",
            "ordered_list_open": "ordered", "table_open": "table", "thead_open": "thead", "tbody_open": "tbody",
            "tr_open": "tr", "th_open": "th", "td_open": "td"}


def parser() -> MarkdownIt:
    return MarkdownIt("gfm-like")


@lru_cache(maxsize=64)
def _lexer(language: str):
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    try:
        return get_lexer_by_name(language, stripnl=False, ensurenl=True, tabsize=8)
    except ClassNotFound:
        return get_lexer_by_name("text", stripnl=False, ensurenl=True, tabsize=8)


@lru_cache(maxsize=256)
def highlight(code: str, language: str, theme) -> Content:
    """`textual.highlight.highlight`, the same Content, with the lexers (2 ms to look up) and the
    last results kept: an answer's last block is parsed again on every frame."""
    if not language:
        from textual.highlight import guess_language

        language = guess_language(code, None)
    code = "\n".join(code.splitlines())
    spans: list[Span] = []
    styles = theme.STYLES
    start = 0
    for token_type, token in _lexer(language).get_tokens(code):
        end = start + len(token)
        while True:
            if style := styles.get(token_type):
                spans.append(Span(start, end, style))
                break
            if (token_type := token_type.parent) is None:
                break
        start = end
    return Content(code, spans=spans).stylize_before("$text")


@dataclass(eq=False)
class Block:
    """One Markdown block: `kind` is h1..h6, p, hr, quote, bullets, ordered, item, fence, table
    (and the table's parts while parsing)."""

    kind: str
    lines: tuple[int, int] = (0, 0)  # source lines [start, end) in the parsed text
    content: Content = field(default_factory=Content)
    children: list[Block] = field(default_factory=list)
    bullet: str = ""  # list items: the bullet, or the number of an ordered item
    code: str = ""
    lang: str = ""
    unordered: bool = False
    _rows: tuple[tuple[int, object], list[Content]] | None = None  # ((width, layout key), rows) last laid out

    def margins(self, nested: bool, in_list: bool) -> tuple[int, int]:
        """(top, bottom): a paragraph has a bottom margin only at the top level, a list only when
        it is not inside another list."""
        if self.kind in ("bullets", "ordered"):
            return (0, 0) if in_list else (0, 1)
        if self.kind == "p":
            return (0, 0) if nested else (0, 1)
        return _MARGINS.get(self.kind, (0, 0))


def inline_content(token: Token) -> Content:
    """An inline token as Content, as Textual's `MarkdownBlock._token_to_content` builds it."""
    if token.children is None:
        return Content("")
    parts: list[str] = []
    spans: list[Span] = []
    stack: list[tuple[str | Style, int]] = []
    position = 0

    def add(text: str) -> None:
        nonlocal position
        parts.append(text)
        position += len(text)

    def close() -> None:
        style, start = stack.pop()
        spans.append(Span(start, position, style))

    for child in token.children:
        kind = child.type
        if kind == "text":
            add(_SPACES.sub(" ", child.content))
        if kind == "hardbreak":
            add("\n")
        if kind == "softbreak":
            add(" ")
        elif kind == "code_inline":
            stack.append((".code_inline", position))
            add(child.content)
            close()
        elif kind == "em_open":
            stack.append((".em", position))
        elif kind == "strong_open":
            stack.append((".strong", position))
        elif kind == "s_open":
            stack.append((".s", position))
        elif kind == "link_open":
            stack.append((Style.from_meta({"@click": f"link({child.attrs.get('href', '')!r})"}), position))
        elif kind == "image":
            stack.append((Style.from_meta({"@click": f"link({child.attrs.get('src', '')!r})"}), position))
            add("🖼  ")
            if child.attrs.get("alt"):
                add(f"({child.attrs['alt']})")
            for grandchild in child.children or ():
                add(grandchild.content)
            close()
        elif kind.endswith("_close") and stack:
            close()
    return Content("".join(parts), spans=spans)


def parse(tokens: list[Token], line_offset: int = 0) -> list[Block]:
    """The top-level blocks of a token stream (Textual's `Markdown._parse_markdown`, as data)."""
    out: list[Block] = []
    stack: list[Block] = []

    def emit(block: Block) -> None:
        (stack[-1].children if stack else out).append(block)

    for token in tokens:
        kind = token.type
        lines = (token.map[0] + line_offset, token.map[1] + line_offset) if token.map else (0, 0)
        if kind == "heading_open":
            stack.append(Block(token.tag, lines))
        elif kind == "hr":
            emit(Block("hr", lines))
        elif kind in _OPENERS:
            stack.append(Block(_OPENERS[kind], lines))
        elif kind == "list_item_open":
            if token.info:
                stack.append(Block("item", lines, bullet=token.info))
            else:
                depth = sum(1 for block in stack if block.unordered)
                stack.append(Block("item", lines, bullet=BULLETS[depth % len(BULLETS)], unordered=True))
        elif kind.endswith("_close"):
            if stack:
                emit(stack.pop())
        elif kind == "inline":
            if stack:
                stack[-1].content = inline_content(token)
        elif kind in ("fence", "code_block"):
            emit(Block("fence", lines, code=token.content.rstrip(), lang=token.info))
    return out


# -- layout --------------------------------------------------------------------------------------

def _pad(row: Content, width: int) -> Content:
    short = width - row.cell_length
    return row + " " * short if short > 0 else row


def _fill(rows: list[Content], width: int, style: str | Style | None) -> list[Content]:
    """Rows padded to `width`, the whole row (padding too) in `style` (a background)."""
    if style is None:
        return rows
    return [_pad(row, width).stylize_before(style) for row in rows]


def wrap(content: Content, width: int) -> list[Content]:
    """`content.wrap(width)` (the lines a Static of that width shows), without its formatting
    machinery: the same `divide_line` cuts, the same trimming."""
    width = max(1, width)
    text = content.plain
    if not text:
        return [Content("")]
    if "\n" not in text and "\t" not in text and len(text) <= width and cell_len(text) <= width:
        return [content]
    rows: list[Content] = []
    for line in content.split("\n", allow_blank=True):
        if "\t" in line.plain:
            line = line.expand_tabs(8)
        parts = line.divide(divide_line(line.plain, width, fold=True))
        last = len(parts) - 1
        rows += [(part if n == last else part.rstrip()).truncate(width).rstrip_end(width)
                 for n, part in enumerate(parts)]
    return rows


class Layout:
    """Lays blocks out as rows.

    `highlight(code, lang)` gives a fence's coloured Content; `fills` the backgrounds of blocks
    that have one (`h1`..`h6`, `quote`, `fence`, `table`), already composed over what is behind
    the widget, as Textual composes a block widget's translucent background (`black 10%`) over
    its parents' (a component class inside Content would compose it differently).
    """

    def __init__(self, highlight, ansi: bool = False, fills: dict[str, Style] | None = None,
                 key: object = None) -> None:
        self.highlight = highlight
        self.ansi = ansi
        self.fills = fills or {}
        self.key = key  # what the rows depend on besides the width (the theme)

    def stack(self, blocks: list[Block], width: int, nested: bool = False, in_list: bool = False) -> list[Content]:
        """Blocks one under the other, vertical margins collapsed (the larger of two wins), the
        first block's top and the last block's bottom margin included, as Textual's layouts do."""
        rows: list[Content] = []
        below = None
        for block in blocks:
            top, bottom = self.margins(block, nested, in_list)
            gap = top if below is None else max(below, top)
            rows += [Content("")] * gap
            rows += self.block(block, width, nested, in_list)
            below = bottom
        if below:
            rows += [Content("")] * below
        return rows

    @staticmethod
    def margins(block: Block, nested: bool = False, in_list: bool = False) -> tuple[int, int]:
        return block.margins(nested, in_list)

    def block(self, block: Block, width: int, nested: bool = False, in_list: bool = False) -> list[Content]:
        """One block's rows at `width`, without its margins."""
        kind = block.kind
        if kind == "p":
            return wrap(block.content, width)
        if kind in ("h1", "h2", "h3", "h4", "h5", "h6"):
            rows = [row.stylize_before(f".md-{kind}") for row in wrap(block.content, width)]
            if kind == "h1":
                shape = max(row.cell_length for row in rows)
                rows = [Content(" " * ((width - shape) // 2)) + row for row in rows]
            return _fill(rows, width, self.fills.get(kind))
        if kind == "hr":
            return [Content(""), Content(""), Content(HR * width).stylize(".md-hr")]
        if kind == "quote":
            inner = self.stack(block.children, max(1, width - 3), True, in_list)
            border = Content(QUOTE_BORDER + " ").stylize(self.fills.get("quote-border", ".md-quote-border"), 0, 1)
            return _fill([border + row for row in inner], width, self.fills.get("quote"))
        if kind in ("bullets", "ordered"):
            return self.list_rows(block, width, in_list)
        if kind == "fence":
            return self.fence(block, width)
        if kind == "table":
            return self.table(block, width)
        return self.stack(block.children, width, True, in_list) if block.children else wrap(block.content, width)

    def list_rows(self, block: Block, width: int, in_list: bool) -> list[Content]:
        items = [child for child in block.children if child.kind == "item"]
        if block.kind == "ordered":
            try:
                start = int(items[0].bullet) if items else 1
            except ValueError:
                start = 1
            size = max((len(f"{n}. ") for n in range(start, start + len(items))), default=0)
            bullets = [f"{n}. ".rjust(size + 1) for n in range(start, start + len(items))]
        else:
            bullets = [item.bullet for item in items]
        rows: list[Content] = []
        for item, bullet in zip(items, bullets, strict=True):
            mark = Content(bullet).stylize(".md-bullet")
            indent = Content(" " * mark.cell_length)
            inner = self.stack(item.children, max(1, width - mark.cell_length), True, True) or [Content("")]
            rows += [(mark if n == 0 else indent) + row for n, row in enumerate(inner)]
        return rows

    def fence(self, block: Block, width: int) -> list[Content]:
        """Padded, highlighted code; a line too long for the width is folded (Textual's fence
        scrolls sideways, with no scrollbar; here nothing is out of sight)."""
        pad = 0 if self.ansi else 2
        inner = max(1, width - 2 * pad)
        code = self.highlight(block.code, block.lang)
        rows: list[Content] = []
        for line in code.split("\n", allow_blank=True):
            rows += line.fold(inner) if line.cell_length > inner else [line]
        rows = [Content(" " * pad) + row for row in rows]
        rows = _fill([Content(""), *rows, Content("")], width, ".md-fence")
        return _fill(rows, width, self.fills.get("fence"))

    def table(self, block: Block, width: int) -> list[Content]:
        headers = [cell.content for part in block.children if part.kind == "thead"
                   for tr in part.children for cell in tr.children]
        body = [[cell.content for cell in tr.children] for part in block.children if part.kind == "tbody"
                for tr in part.children]
        columns = max([len(headers), *(len(row) for row in body)], default=0)
        if not columns:
            return []
        grid = [headers + [Content("")] * (columns - len(headers))]
        grid += [row + [Content("")] * (columns - len(row)) for row in body]
        return _fill(table_rows(grid, width), width, self.fills.get("table"))


def table_rows(grid: list[list[Content]], width: int) -> list[Content]:
    """A table as Textual's Markdown table draws it: thin keylines, the header row in the header
    style, columns as wide as their content plus the room left over, shared by that width."""
    columns = len(grid[0])
    natural = [max(cell_len(cell.plain) for cell in column) + 2 for column in zip(*grid, strict=True)]
    room = width - (columns + 1)
    total = sum(natural)
    if total > room > 0:  # too wide: shrink every column by its share
        widths = [max(3, n * room // total) for n in natural]
    elif room > total:  # room left over: shared by width
        widths = [n * room // total for n in natural]
        widths[-1] += room - sum(widths)
    else:
        widths = natural
    line = ".md-table-lines"

    def rule(left: str, mid: str, right: str) -> Content:
        return Content(left + mid.join("─" * w for w in widths) + right).stylize(line)

    rows = [rule("┌", "┬", "┐")]
    for index, cells in enumerate(grid):
        wrapped = [wrap(cell, max(1, w - 2)) for cell, w in zip(cells, widths, strict=True)]
        for y in range(max(len(lines) for lines in wrapped)):
            row = Content("│").stylize(line)
            for lines, w in zip(wrapped, widths, strict=True):
                text = lines[y] if y < len(lines) else Content("")
                cell = _pad(Content(" ") + text, w)
                row += (cell.stylize_before(".md-table-header") if index == 0 else cell) + Content("│").stylize(line)
            rows.append(row)
        rows.append(rule("├", "┼", "┤") if index < len(grid) - 1 else rule("└", "┴", "┘"))
    return rows
