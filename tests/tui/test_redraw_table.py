"""The models table draws again only what changed (`tui/widgets/redraw_table.py`), and what it
draws is what Textual's DataTable draws for the same cells."""

from __future__ import annotations

from textual.coordinate import Coordinate
from textual.widgets import DataTable

from tui_helpers import app_for, settle, sim_engine

MODELS = [f"vendor{i // 10}/model-{i:02d}" for i in range(30)]


def engine_with_countdowns(tmp_path):
    engine = sim_engine(tmp_path, {}, {"all": MODELS})
    for i, model in enumerate(MODELS[::2]):
        engine.disable(model, 600 + 60 * i, "a reason long enough to be clipped by the note column, surely")
    return engine


def strips_equal(a, b) -> bool:
    return [(s.text, s.style) for s in a] == [(s.text, s.style) for s in b]


async def test_every_line_and_cell_is_drawn_as_datatable_draws_it(tmp_path):
    app = app_for(engine_with_countdowns(tmp_path), tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        table = app.main.models
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
