"""The groups panel: keys, mouse, scrolling, what a tick draws again, and its drawing matching Textual's."""

from __future__ import annotations

import pytest
from textual.content import Content
from textual.strip import Strip
from textual.visual import Padding, Visual

from tui.engine.state.status import GLYPHS
from tui.widgets.block_list import HIGHLIGHTED, HOVER, LINE
from tui.widgets.groups_panel import ModelLine, TitleLine

from tui_helpers import app_for, sim_engine

GROUPS = {"coding": ["vendor/alpha", "vendor/beta"], "fast": ["vendor/gamma", "vendor/beta"],
          "cheap": ["vendor/delta"]}


async def test_keys_move_the_highlight_around_and_enter_chooses(tmp_path):
    app = app_for(sim_engine(tmp_path, {}, GROUPS), tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        main, panel = app.main, app.main.groups_panel
        panel.focus()
        await pilot.pause()
        assert panel.highlighted == 0
        await pilot.press("up")  # from the first group up: the last one
        assert panel.highlighted == 2
        await pilot.press("down")  # and down again: back to the first
        assert panel.highlighted == 0
        await pilot.press("end")
        assert panel.highlighted == 2
        await pilot.press("home", "pagedown")  # a page of lines down from the first: past the end, the last
        assert panel.highlighted == 2
        await pilot.press("pageup", "down", "enter")
        await pilot.pause()
        assert main.group == "fast" and panel.text("fast").startswith("fast · chat")
        assert not panel.text("coding").startswith("coding · chat")


async def test_a_click_on_a_model_line_chooses_its_group_and_the_mouse_marks_the_block(tmp_path):
    app = app_for(sim_engine(tmp_path, {}, GROUPS), tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        main, panel = app.main, app.main.groups_panel
        # lines: coding, alpha, beta, fast, gamma, beta, cheap, delta; +1 for the border
        await pilot.hover("#groups", offset=(5, 1 + 5))
        assert panel.hovered == 1
        await pilot.hover("#models")
        assert panel.hovered is None
        await pilot.click("#groups", offset=(5, 1 + 7))  # delta's line
        await pilot.pause()
        assert main.group == "cheap" and panel.highlighted == 2
        await pilot.click("#groups", offset=(5, 1 + 20))  # below the last group: nothing chosen
        await pilot.pause()
        assert main.group == "cheap"


async def test_groups_taller_than_the_panel_scroll_to_the_highlighted_one_at_80x24(tmp_path):
    groups = {f"group{g}": [f"vendor/m{g}a", f"vendor/m{g}b", f"vendor/m{g}c"] for g in range(8)}
    app = app_for(sim_engine(tmp_path, {}, groups), tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        panel = app.main.groups_panel
        panel.focus()
        await pilot.pause()
        height = panel.scrollable_content_region.height
        assert 0 < height < 8 * 4  # the groups do not fit
        await pilot.press("end")
        await pilot.pause()
        top = round(panel.scroll_y)
        assert 0 < top <= 7 * 4 and top + height >= 8 * 4  # the whole last group on screen
        await pilot.click("#groups", offset=(5, 1 + (7 * 4 + 2) - top))  # its second model's line
        await pilot.pause()
        assert app.main.group == "group7" and app.focused is app.main.chat.prompt  # chosen: back to the chat
        panel.focus()
        await pilot.press("home")
        await pilot.pause()
        assert panel.scroll_y == 0 and panel.highlighted == 0


async def test_a_countdown_tick_draws_only_the_lines_that_changed(tmp_path):
    """Two models out: a second later only their two lines are drawn again (an OptionList drew
    every line of the panel), and they read the new countdowns."""
    engine = sim_engine(tmp_path, {}, GROUPS)
    engine.disable("vendor/alpha", 600)
    engine.disable("vendor/gamma", 300)
    app = app_for(engine, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        main, panel = app.main, app.main.groups_panel
        main.tick()
        await pilot.pause()
        drawn: list[int] = []
        render_line = panel.render_line
        panel.render_line = lambda y: (drawn.append(y), render_line(y))[1]
        engine.clock.advance(1)
        main.tick()
        await pilot.pause()
        assert sorted(drawn) == [1, 4]  # alpha's line in coding, gamma's in fast
        assert panel.text("coding").splitlines()[1].split()[:3] == ["✕", "9:59", "alpha"]
        assert panel.text("fast").splitlines()[1].split()[:3] == ["✕", "4:59", "gamma"]
        drawn.clear()
        main.tick()  # nothing moved: nothing drawn
        await pilot.pause()
        assert drawn == []
        engine.enable("vendor/alpha")  # ▶ moves back to alpha: both coding lines change
        main.tick()
        await pilot.pause()
        assert sorted(drawn) == [1, 2]
        assert panel.text("coding").splitlines()[1:] == ["▶ ? alpha", "  ? beta"]


def _cells(strip: Strip) -> list[tuple[str, object]]:
    """A strip as (character, style) per cell: equal when the two strips look and behave the same."""
    return [(char, segment.style) for segment in strip for char in segment.text]


@pytest.mark.parametrize("focused", [False, True])
async def test_lines_are_drawn_as_textual_draws_them(tmp_path, focused):
    """The panel's own drawing of a line (from its spans) against Textual's (Padding + to_strips,
    what OptionList drew), cell by cell with every style and meta, for every kind of line in the
    plain, highlighted and hovered styles, focused or not; a name too long is cut with `…`."""
    app = app_for(sim_engine(tmp_path, {}, GROUPS), tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        panel = app.main.groups_panel
        if focused:
            panel.focus()
            await pilot.pause()
        lines = [TitleLine("coding", True, True), TitleLine("fast", False, False),
                 ModelLine(False, "vendor/a-model-with-a-name-much-too-long-for-the-panel", "healthy", True, None),
                 ModelLine(True, "vendor/alpha", "healthy", True, None),
                 ModelLine(False, "vendor/beta", "probing", True, None),
                 ModelLine(False, "vendor/gamma", "disabled", False, "9:09"),
                 ModelLine(False, "vendor/delta", "disabled", False, "∞")]
        lines += [ModelLine(False, "vendor/epsilon", status, status not in ("disabled", "blocked", "no key"), None)
                  for status in GLYPHS]
        shared = panel._repaint()
        padding = panel.get_component_styles(LINE).padding
        for classes in [(LINE,), (LINE, HIGHLIGHTED), (LINE, HOVER)]:
            style = panel.get_visual_style(*classes)
            for value in lines:
                content: Content = value.content()
                ours = panel._draw(content, style, shared)
                theirs = Visual.to_strips(panel, Padding(content, padding), shared.width, None, style)[0]
                theirs = theirs.extend_cell_length(shared.width, style.rich_style)
                assert ours.cell_length == shared.width
                assert _cells(ours) == _cells(theirs), (classes, content.plain)
        long = panel._draw(lines[2].content(), panel.get_visual_style(LINE), shared).text
        assert long.rstrip().endswith("…") and len(long) == shared.width


async def test_a_theme_switch_draws_the_lines_in_the_new_colours(tmp_path):
    """Each line keeps its drawing: switching theme must not show the old theme's colours."""
    app = app_for(sim_engine(tmp_path, {}, GROUPS), tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        panel = app.main.groups_panel
        app.main.tick()
        await pilot.pause()
        dark = _cells(panel.render_line(1))
        app.theme = "modelfallback-light"
        await pilot.pause()
        light = _cells(panel.render_line(1))
        assert [char for char, _ in light] == [char for char, _ in dark]
        background = {style.bgcolor for _, style in light}
        assert background == {panel.get_visual_style(LINE, HIGHLIGHTED).rich_style.bgcolor}  # coding: highlighted
        assert background.isdisjoint({style.bgcolor for _, style in dark})


async def test_the_highlighted_group_stays_in_view_when_the_groups_above_it_grow():
    """Before the first statuses each group is its title; when the chains arrive the chat's group
    (here the last) moves down past the panel's bottom, and the panel follows it."""
    from textual.app import App

    from tui.engine.state.status import ModelStatus
    from tui.widgets.groups_panel import GroupsPanel

    names = [f"group{g}" for g in range(8)]

    class One(App):
        def compose(self):
            yield GroupsPanel(names, "group7")

    app = One()
    async with app.run_test(size=(40, 24)) as pilot:
        panel = app.query_one(GroupsPanel)
        await pilot.pause()
        assert panel.highlighted == 7 and panel.scroll_y == 0  # eight lines: all in view
        chains = {name: [ModelStatus(f"vendor/{name}-{m}", "sim", "unknown", None, None, None, None, None)
                         for m in "abc"] for name in names}
        panel.show(chains, {name: chain[0].model for name, chain in chains.items()})
        await pilot.pause()
        top, height = round(panel.scroll_y), panel.scrollable_content_region.height
        assert top > 0 and top <= 7 * 4 and top + height >= 8 * 4
        assert panel.text("group7").splitlines()[0] == "group7 · chat"
