"""A Markdown chunk's rows drawn one by one, as Textual draws them joined in one Content.

A chunk is one widget whose rows Textual draws from one Content (`Content.render_strips`). The
last chunk of a streaming answer grows every frame and was drawn whole each time (0.3–0.45 ms a
row). Here each row is drawn as that Content's line of the same index (its `y`, which text
selection and links read, is the row's index) and kept while the row object, the width and the
style are the same, so a frame draws only the rows that are new or changed.
"""

from __future__ import annotations

from textual.content import Content
from textual.strip import Strip
from textual.style import Style
from textual.visual import RenderOptions


def blank_empty(strips: list[Strip]) -> list[Strip]:
    """An empty row gives an empty segment; without it the row is the same blank strip Textual
    draws for a margin between block widgets."""
    return [Strip([]) if not strip.cell_length else strip for strip in strips]


def draw_rows(rows: list[Content], kept: list[tuple[Content, list[Strip]]], width: int, style: Style,
              options: RenderOptions) -> list[Strip] | None:
    """The strips of `rows` joined by line breaks, drawn at `width`; `kept` holds each row's strips
    from the last call with the same width, style and rules, and is brought up to date. None when
    the whole Content must be drawn: a selection is shown, or a row holds a line break."""
    if options.selection is not None:
        return None
    get_rule = options.rules.get
    rules = {  # as Content.render_strips passes them
        "align": get_rule("text_align", "left"), "overflow": get_rule("text_overflow", "fold"),
        "no_wrap": get_rule("text_wrap", "wrap") == "nowrap", "line_pad": get_rule("line_pad", 0),
        "tab_size": 8, "post_style": options.post_style, "get_style": options.get_style}
    strips: list[Strip] = []
    for y, row in enumerate(rows):
        if y < len(kept) and kept[y][0] is row:
            strips += kept[y][1]
            continue
        if "\n" in row.plain:
            return None
        lines = row._wrap_and_format(width, **rules)
        for line in lines:
            line.y = y  # the line of the joined Content this row is
        drawn = blank_empty([Strip(*line.to_strip(style)) for line in lines])
        if y < len(kept):
            kept[y] = (row, drawn)
        else:
            kept.append((row, drawn))
        strips += drawn
    del kept[len(rows):]
    return strips
