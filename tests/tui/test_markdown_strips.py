"""A chunk's rows drawn one by one (`tui/widgets/markdown_strips.py`) are exactly what Textual draws
for the chunk's rows joined in one Content (offsets for selection and links included), and a
growing chunk draws only its new rows."""

from __future__ import annotations

import pytest
from textual.visual import RenderOptions

from textual.content import Content
from tui.widgets.markdown_body import AnswerMarkdown, MarkdownChunk, _ChunkVisual
from tui.widgets.markdown_strips import blank_empty

from test_markdown_body import DOC, host


def segments(strips) -> list[list[tuple]]:
    return [[(s.text, s.style, s.control) for s in strip] for strip in strips]


def options_of(chunk: MarkdownChunk, **changes) -> RenderOptions:
    return RenderOptions(chunk._get_style, chunk.styles, **changes)


@pytest.mark.parametrize("width", [40, 64, 100])
async def test_rows_drawn_one_by_one_are_the_joined_content_drawn_whole(width):
    app = host(AnswerMarkdown)
    async with app.run_test(size=(width, 120)) as pilot:
        md = app.query_one(AnswerMarkdown)
        await md.update(DOC + "\n\n日本語の段落と 🎉 絵文字。\n")
        await pilot.pause()
        chunks = list(md.query_children(MarkdownChunk))
        drawn = 0
        for chunk in chunks:
            inner = chunk.content_region.width
            style = chunk.visual_style
            options = options_of(chunk)
            visual = _ChunkVisual(chunk)
            whole = blank_empty(visual.content(inner).render_strips(inner, None, style, options))
            ours = chunk.strips(inner, style, options)
            assert ours is not None and len(ours) == len(whole)
            assert segments(ours) == segments(whole)
            assert segments(visual.render_strips(inner, 5, style, options)) == segments(whole[:5])
            drawn += len(ours)
        assert len(chunks) >= 2 and drawn > 60
        offsets = [s.style.meta["offset"][1] for strip in ours for s in strip if s.style and "offset" in s.style.meta]
        assert max(offsets) > 10  # each row's line of the Content, for selection and links


async def test_a_growing_chunk_draws_only_its_new_rows(monkeypatch):
    app = host(AnswerMarkdown)
    async with app.run_test(size=(80, 60)) as pilot:
        md = app.query_one(AnswerMarkdown)
        md.feed("# A heading\n\nA first paragraph of some words.\n\n- one\n- two\n\n")
        md.flush()
        await pilot.pause()
        [chunk] = md.query_children(MarkdownChunk)
        width, style, options = chunk.content_region.width, chunk.visual_style, options_of(chunk)
        before = chunk.strips(width, style, options)
        drawn: list[str] = []
        real = Content._wrap_and_format

        def recording(self, *args, **kwargs):
            drawn.append(self.plain)
            return real(self, *args, **kwargs)

        monkeypatch.setattr(Content, "_wrap_and_format", recording)
        md.feed("A last paragraph.\n")
        md.flush()
        await pilot.pause()
        after = chunk.strips(width, style, options)
        assert segments(after[:len(before) - 1]) == segments(before[:-1])  # the rows above, as they were
        # drawn again: only the last block, which the new text makes parse again (the list), and what is new
        assert "A last paragraph." in drawn and not any("heading" in t or "first paragraph" in t for t in drawn)
        assert len(drawn) <= 4
        assert segments(after) == segments(blank_empty(_ChunkVisual(chunk).content(width).render_strips(
            width, None, style, options)))


async def test_a_selection_draws_the_content_whole():
    app = host(AnswerMarkdown)
    async with app.run_test(size=(80, 60)) as pilot:
        md = app.query_one(AnswerMarkdown)
        await md.update(DOC)
        await pilot.pause()
        chunk = md.query_children(MarkdownChunk).first()
        from textual.selection import Selection
        from textual.geometry import Offset

        options = options_of(chunk, selection=Selection(Offset(0, 1), Offset(5, 3)),
                             selection_style=chunk.screen.get_visual_style("screen--selection"))
        assert chunk.strips(chunk.content_region.width, chunk.visual_style, options) is None
