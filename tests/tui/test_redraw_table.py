"""The models table draws again only what changed (`tui/widgets/redraw_table.py`), and what it
draws is what Textual's DataTable draws for the same cells."""

from __future__ import annotations

import pytest
from rich.text import Text
from textual.app import App
from textual.content import Content
from textual.coordinate import Coordinate
from textual.widgets import DataTable

from tui.widgets.redraw_table import RedrawTable
from tui_helpers import app_for, settle, sim_engine

MODELS = [f"vendor{i // 10}/model-{i:02d}" for i in range(30)]


def engine_with_countdowns(tmp_path):
    engine = sim_engine(tmp_path, {}, {"all": MODELS})
    for i, model in enumerate(MODELS[::2]):
        engine.disable(model, 600 + 60 * i, "a reason long enough to be clipped by the note column, surely")
    return engine


def strips_equal(a, b) -> bool:
    return [(s.text, s.style) for s in a] == [(s.text, s.style) for s in b]


@pytest.mark.parametrize("zebra", [False, True])
async def test_every_line_and_cell_is_drawn_as_datatable_draws_it(tmp_path, zebra):
    app = app_for(engine_with_countdowns(tmp_path), tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        table = app.main.models
        table.zebra_stripes = zebra
        table.focus()
        table.move_cursor(row=3)
        table._show_hover_cursor = True
        table.hover_coordinate = Coordinate(5, 1)
        await settle(pilot)
        base = table.rich_style
        width = table.size.width
        lines = table.row_count + (table.header_height if table.show_header else 0)
        for y in range(lines):
            ours = table._render_line(y, 0, width, base)
            assert strips_equal(ours, DataTable._render_line(table, y, 0, width, base)), f"line {y}"
        for y in range(table.size.height):  # the visible lines, with the table's own base style
            assert strips_equal(table.render_line(y), DataTable.render_line(table, y)), f"visible line {y}"
        drawn = 0
        for row in range(table.row_count):
            for column, spec in enumerate(table.ordered_columns):
                cell_width = spec.get_render_width(table)
                value = table.get_cell_at(Coordinate(row, column))
                for cursor, hover in ((False, False), (True, False), (False, True), (True, True)):
                    ours = table._draw_cell(value, row, column, base, cell_width, cursor, hover)
                    if ours is None:
                        continue
                    assert ours == DataTable._render_cell(table, row, column, base, cell_width, cursor, hover)
                    drawn += 1
        assert drawn > 600  # the fast path drew (nearly) every cell


ROWS = [("retry loops — with backoff", "coding", "alpha, beta", "Dec 03", "$0.0012"),
        ("日本語のタイトル", "fast", "gamma", "14:05", ""),
        ("[bold]not markup[/bold] 🎉", "a-much-longer-group", "delta", "2025-12-03", "$12.50")]


async def test_column_widths_are_what_datatable_measures_for_the_same_text():
    """New rows of Content cells are measured from their lengths: the widths DataTable gets by
    measuring the same text (wide characters included) through Rich's console."""
    class Tables(App):
        def compose(self):
            yield RedrawTable(id="ours")
            yield DataTable(id="theirs")

    app = Tables()
    async with app.run_test(size=(160, 30)) as pilot:
        ours, theirs = app.query_one("#ours", RedrawTable), app.query_one("#theirs", DataTable)
        for table in (ours, theirs):
            table.add_columns("Title", "Group", "Models", "Date", "Spend")
        ours.add_rows(tuple(map(Content, row)) for row in ROWS)
        theirs.add_rows(tuple(map(Text, row)) for row in ROWS)
        await pilot.pause()
        widths = [column.content_width for column in ours.ordered_columns]
        assert widths == [column.content_width for column in theirs.ordered_columns]
        assert widths[0] == len("[bold]not markup[/bold] ") + 2  # the text as typed, the emoji two cells wide


async def test_a_tick_draws_again_only_the_rows_that_changed(tmp_path):
    """A second passes: the countdowns change, the other rows are not drawn again."""
    engine = engine_with_countdowns(tmp_path)
    app = app_for(engine, tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        table = app.main.models
        app.main.tick()
        await settle(pilot)
        drawn: list[int] = []
        real = type(table)._render_line

        def counting(self, y, x1, x2, base_style):
            drawn.append(y)
            return real(self, y, x1, x2, base_style)

        type(table)._render_line = counting
        try:
            before = str(table.get_cell(MODELS[0], "out"))
            engine.clock.advance(1)
            app.main.tick()
            await settle(pilot)
        finally:
            type(table)._render_line = real
        assert str(table.get_cell(MODELS[0], "out")) != before  # the countdown moved
        header = table.header_height if table.show_header else 0
        shown = range(header, table.size.height)
        counting_down = {header + table.get_row_index(model) for model in MODELS[::2]}
        assert set(drawn) == counting_down & set(shown)


class TwoTables(App):
    CSS = "RedrawTable.-red > .datatable--cursor { background: red; }"

    def compose(self):
        yield RedrawTable(id="ours", cursor_type="row", zebra_stripes=True)
        yield RedrawTable(id="theirs", cursor_type="row", zebra_stripes=True)


async def test_rows_added_at_once_are_what_datatable_s_add_row_gives_one_by_one():
    """`add_rows` adds all its rows in one pass: the same rows, keys in order, cursor, highlight
    message and drawing as DataTable's `add_row` called for each row."""
    app = TwoTables()
    highlighted: list[str] = []
    async with app.run_test(size=(120, 30), message_hook=lambda m: isinstance(m, DataTable.RowHighlighted)
                            and highlighted.append(m.data_table.id)) as pilot:
        ours, theirs = app.query_one("#ours", RedrawTable), app.query_one("#theirs", RedrawTable)
        for table in (ours, theirs):
            table.add_columns("Title", "Group", "Models", "Date", "Spend")
        cells = [tuple(map(Content, row)) for row in ROWS * 5]
        keys = ours.add_rows(cells)
        DataTable.add_rows(theirs, cells)  # add_row for each row
        app.screen.set_focus(None)  # both drawn unfocused
        await pilot.pause()
        assert list(ours.rows) == keys and len(keys) == theirs.row_count == 15
        assert [ours.get_row_at(i) for i in range(15)] == [theirs.get_row_at(i) for i in range(15)]
        assert ours.cursor_coordinate == theirs.cursor_coordinate == Coordinate(0, 0)
        assert highlighted.count("ours") == highlighted.count("theirs") > 0
        for y in range(17):
            assert strips_equal(ours.render_line(y), theirs.render_line(y)), f"line {y}"
        assert ours.add_rows([]) == [] and ours.row_count == 15
        with pytest.raises(ValueError):
            ours.add_rows([tuple(map(Content, ROWS[0])) + (Content("one too many"),)])


async def test_drawn_cells_survive_styles_applied_again_unchanged_and_go_with_a_theme_switch(monkeypatch):
    """Textual applies styles again whenever a screen is shown, mostly changing nothing: the cells
    drawn are kept then; a theme switch draws them again in its colours, as DataTable draws them."""
    app = TwoTables()
    async with app.run_test(size=(120, 30)) as pilot:
        table = app.query_one("#ours", RedrawTable)
        table.add_columns("Title", "Group", "Models", "Date", "Spend")
        table.add_rows(tuple(map(Content, row)) for row in ROWS)
        await pilot.pause()
        before = [table.render_line(y) for y in range(4)]
        drawn: list[int] = []
        real = RedrawTable._draw_cell

        def counting(self, *args):
            drawn.append(args[1])
            return real(self, *args)

        monkeypatch.setattr(RedrawTable, "_draw_cell", counting)
        app.screen.update_node_styles()
        await pilot.pause()
        again = [table.render_line(y) for y in range(4)]
        assert drawn == [] and all(strips_equal(a, b) for a, b in zip(again, before, strict=True))
        table.add_class("-red")  # the cursor's colour alone changes
        await pilot.pause()
        assert strips_equal(table.render_line(1), DataTable.render_line(table, 1))  # the cursor's row
        assert "red" in str(table.render_line(1)) and not strips_equal(table.render_line(1), before[1])
        table.remove_class("-red")
        await pilot.pause()
        app.theme = "textual-light" if app.theme != "textual-light" else "textual-dark"
        await pilot.pause()
        switched = [table.render_line(y) for y in range(4)]
        assert drawn  # drawn again in the new colours
        assert not any(strips_equal(a, b) for a, b in zip(switched[1:], before[1:], strict=True))
        for y in range(4):
            assert strips_equal(switched[y], DataTable.render_line(table, y)), f"line {y}"
