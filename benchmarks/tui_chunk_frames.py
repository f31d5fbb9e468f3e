"""The cost of drawing a streaming answer's last Markdown chunk, frame by frame.

    python -m benchmarks.tui_chunk_frames

Text comes as a provider streams it (6 tokens a frame: ~180 tokens/s at 30 frames/s) into an
`AnswerMarkdown` in the chat's stylesheet; after each frame the last chunk (the one that grows) is
drawn as the app draws it (`MarkdownChunk.strips`: rows kept from frame to frame) and as one
Content drawn whole (`Content.render_strips`). Prints the medians and p90s of both (ms).
"""

from __future__ import annotations

import asyncio
import json
import time

from benchmarks.common import median, pct


def host_app():
    from textual.app import App
    from textual.containers import Vertical, VerticalScroll

    from tui.app import STYLES
    from tui.widgets.markdown_body import AnswerMarkdown

    class Host(App):
        CSS_PATH = [STYLES / "app.tcss", STYLES / "chat.tcss"]

        def compose(self):
            with VerticalScroll(id="transcript"), Vertical(classes="answer -answered"):
                yield AnswerMarkdown(None, classes="answer-body")

    return Host()


async def measure(tokens_per_frame: int = 6, tokens: int = 1500) -> dict:
    from textual.visual import RenderOptions

    from benchmarks.tui_rows import answer_tokens
    from tui.widgets.markdown_body import AnswerMarkdown, MarkdownChunk, _ChunkVisual
    from tui.widgets.markdown_strips import blank_empty

    app = host_app()
    kept: list[float] = []
    whole: list[float] = []
    async with app.run_test(size=(100, 50)) as pilot:
        md = app.query_one(AnswerMarkdown)
        text = answer_tokens(tokens)
        for at in range(0, len(text), tokens_per_frame):
            md.feed("".join(text[at:at + tokens_per_frame]))
            md.flush()
            await pilot.pause()
            chunk = list(md.query_children(MarkdownChunk))[-1]
            width, style = chunk.content_region.width, chunk.visual_style
            options = RenderOptions(chunk._get_style, chunk.styles)
            start = time.perf_counter()
            chunk.strips(width, style, options)
            kept.append(time.perf_counter() - start)
            chunk._rows = None  # as a frame finds them: the last block's rows are new
            start = time.perf_counter()
            blank_empty(_ChunkVisual(chunk).content(width).render_strips(width, None, style, options))
            whole.append(time.perf_counter() - start)
    return {"frames": len(kept), "kept_median_ms": median(kept) * 1000, "kept_p90_ms": pct(kept, 0.9) * 1000,
            "whole_median_ms": median(whole) * 1000, "whole_p90_ms": pct(whole, 0.9) * 1000}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(measure())))
