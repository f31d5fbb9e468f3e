"""An answer's Markdown in a few widgets (`tui/widgets/markdown_body.py`): it must look exactly as
Textual's Markdown widget draws the same text, streamed or not, and take text as fast as it comes."""

from __future__ import annotations

import random
import string

import pytest
from textual.app import App
from textual.containers import Vertical, VerticalScroll
from textual.content import Content, Span
from textual.widgets import Markdown, Static

import tui.widgets.markdown_body as body_module
from tui.app import STYLES
from tui.engine.config.paths import builtin_themes_dir
from tui.themes import load_themes
from tui.widgets.markdown_blocks import wrap
from tui.widgets.markdown_body import AnswerMarkdown, MarkdownChunk

DOC = """\
# Title one

Some *emphasis*, **strong**, ~~strike~~, `code` and a [link](https://example.com) in a paragraph long enough to wrap.
A second line of it.

## Second heading

### Third

#### Fourth

##### Fifth

###### Sixth

---

> A quote paragraph that is also quite long so that it wraps inside the quote block.
>
> - quoted item

- item one
- item two is long enough that it will wrap onto the next line in this narrow width
  - nested a
    - deeper
- item three

  second paragraph of item three

3. three
4. four
5. five
6. six
7. seven
8. eight
9. nine
10. ten

```python
def f(x):
    return x * 2  # short
```

```
plain fence
```

    indented code

| a | b |
|---|---|
| 1 | two |
| three | 4 |

Final paragraph.
"""


def host(widget_class: type[Markdown]) -> App:
    """The chat's transcript around one answer part, with the app's real stylesheet and themes."""

    class Host(App):
        CSS_PATH = [STYLES / "app.tcss", STYLES / "chat.tcss"]

        def __init__(self) -> None:
            super().__init__()
            for theme in load_themes([builtin_themes_dir()]).loaded:
                self.register_theme(theme)

        def compose(self):
            with VerticalScroll(id="transcript"):
                with Vertical(classes="answer -answered"):
                    yield Static("header", classes="answer-header")
                    yield widget_class(None, classes="answer-body")
                yield Static("after", classes="user")

    return Host()


def cells(app: App, rows: int) -> list[list[tuple]]:
    """What the screen shows, cell by cell: the character, its background, and for a visible
    character its colour and text style (a space's colour cannot be seen)."""
    shown = []
    for strip in app.screen._compositor.render_strips()[:rows]:
        line = []
        for segment in strip:
            style = segment.style
            for char in segment.text:
                if style is None:
                    line.append((char,))
                    continue
                effects = tuple(name for name in ("underline", "strike", "reverse") if getattr(style, name))
                if char == " ":
                    line.append((char, str(style.bgcolor), effects))
                else:
                    effects += tuple(name for name in ("bold", "italic", "dim") if getattr(style, name))
                    line.append((char, str(style.color), str(style.bgcolor), effects))
        shown.append(line)
    return shown


async def screen_of(widget_class: type[Markdown], text: str, theme: str, width: int, pieces: int = 0):
    app = host(widget_class)
    app.theme = theme
    async with app.run_test(size=(width, 120)) as pilot:
        await pilot.pause()
        md = app.query_one(widget_class)
        if pieces and isinstance(md, AnswerMarkdown):
            rng = random.Random(pieces)
            at = 0
            while at < len(text):
                step = rng.randint(1, pieces)
                md.feed(text[at:at + step])
                at += step
                if rng.random() < 0.2:
                    md.flush()
                    await pilot.pause()
            md.flush()
        else:
            await md.update(text)
        await pilot.pause()
        await pilot.pause(0.1)
        widgets = sum(1 for _ in md.walk_children())
        return cells(app, md.region.bottom + 2), md.source, widgets


@pytest.mark.parametrize("theme", ["textual-dark", "textual-light", "modelfallback-dark", "modelfallback-light"])
async def test_it_looks_exactly_like_textuals_markdown(theme):
    ours = await screen_of(AnswerMarkdown, DOC, theme, 64)
    textuals = await screen_of(Markdown, DOC, theme, 64)
    assert ours[0] == textuals[0]
    assert ours[1] == textuals[1] == DOC
    assert ours[2] <= 3 < textuals[2]  # one chunk (and no more than a few widgets) against dozens


@pytest.mark.parametrize("pieces", [1, 7, 40])
async def test_streamed_in_pieces_it_looks_as_the_whole_text_does(pieces):
    whole = await screen_of(AnswerMarkdown, DOC, "textual-dark", 70)
    streamed = await screen_of(AnswerMarkdown, DOC, "textual-dark", 70, pieces=pieces)
    assert streamed[0] == whole[0] and streamed[1] == DOC


async def test_a_long_answer_is_a_few_widgets_and_all_of_it_is_drawn():
    from benchmarks.tui_rows import answer_tokens

    text = "".join(answer_tokens(2000))
    app = host(AnswerMarkdown)
    async with app.run_test(size=(100, 40)) as pilot:
        md = app.query_one(AnswerMarkdown)
        for token in answer_tokens(2000):
            md.feed(token)
        md.flush()
        await pilot.pause()
        chunks = list(md.query_children(MarkdownChunk))
        assert md.source == text and len(md.blocks) > 90
        assert 3 <= len(chunks) <= 12  # ~100 blocks: Textual's widget would mount ~500 widgets
        drawn = "\n".join(chunk._render().content(md.content_region.width).plain for chunk in chunks)
        for word in ("Part 1", "value_5 = 5 * 2", "item 4", "ENDOFANSWER", f"Part {text.count('## Part')}"):
            assert word in drawn


async def test_a_backlog_is_parsed_while_it_is_read_and_drawn_when_it_ends(monkeypatch):
    """Pieces that come one right after another (a backlog being read) wait for the end of the
    run before they are drawn, parsed meanwhile; a piece after a pause draws at the next frame."""
    now = [100.0]
    monkeypatch.setattr(body_module.time, "perf_counter", lambda: now[0])
    app = host(AnswerMarkdown)
    async with app.run_test(size=(80, 30)) as pilot:
        md = app.query_one(AnswerMarkdown)
        for n in range(body_module.BACKLOG_RUN + 10):  # a run: each piece 0.1 ms after the last
            now[0] += 0.0001
            md.feed(f"Paragraph {n}.\n\n")
        md._frame()  # its frame comes while the run goes on: parsed, not drawn
        assert len(md.blocks) >= body_module.BACKLOG_RUN and not md.query_children(MarkdownChunk)
        assert md.source.startswith("Paragraph 0.")
        now[0] += body_module.BACKLOG_LINGER_S + 0.01  # the run is over
        md.feed("The end.")
        md._frame()
        await pilot.pause()
        chunks = list(md.query_children(MarkdownChunk))
        assert chunks and "The end." in chunks[-1]._render().content(md.content_region.width).plain
        assert sum(len(c.blocks) for c in chunks) == len(md.blocks) == body_module.BACKLOG_RUN + 11


async def test_a_backlog_is_drawn_after_at_most_max_backlog_s(monkeypatch):
    now = [100.0]
    monkeypatch.setattr(body_module.time, "perf_counter", lambda: now[0])
    app = host(AnswerMarkdown)
    async with app.run_test(size=(80, 30)) as pilot:
        md = app.query_one(AnswerMarkdown)
        for n in range(body_module.BACKLOG_RUN * 3):
            now[0] += 0.0001
            md.feed(f"line {n}\n\n")
            if n == body_module.BACKLOG_RUN:
                now[0] += body_module.MAX_BACKLOG_S  # the oldest undrawn text has waited long enough
        md._frame()
        await pilot.pause()
        assert md.query_children(MarkdownChunk)  # drawn although the run goes on


async def test_a_link_in_an_answer_opens(monkeypatch):
    app = host(AnswerMarkdown)
    opened = []
    async with app.run_test(size=(80, 30)) as pilot:
        monkeypatch.setattr(app, "open_url", lambda url, **kw: opened.append(url))
        md = app.query_one(AnswerMarkdown)
        md.feed("See [the docs](https://example.com/docs).")
        md.flush()
        await pilot.pause()
        chunk = md.query_one(MarkdownChunk)
        await chunk.run_action("link('https://example.com/docs')")
        await pilot.pause()
    assert opened == ["https://example.com/docs"]


def test_wrap_cuts_lines_as_content_wrap_does():
    rng = random.Random(7)
    alphabet = string.ascii_letters + "    \t\n,.-" + "日本語😀"
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 160)))
        spans = [Span(a, rng.randint(a, len(text)), rng.choice(["bold", ".em"]))
                 for a in (rng.randint(0, max(0, len(text) - 1)) for _ in range(rng.randint(0, 3)))]
        content = Content(text, spans=spans)
        width = rng.randint(1, 50)
        expected = content.wrap(width) if text else [Content("")]
        got = wrap(content, width)
        assert [(c.plain, list(c.spans)) for c in got] == [(c.plain, list(c.spans)) for c in expected], (text, width)
