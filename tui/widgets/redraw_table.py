"""A DataTable that draws again only what changed (the models panel's base).

Textual 8.2.8's DataTable keys its cell, row and line caches on one count of all updates, and
`update_cell` repaints the whole table: a countdown changing once a second made it draw every
visible cell again through Rich's console, ~30 ms a tick for 22 lines of 8 cells, most of an
idle app's CPU (benchmarks/FINDINGS.md). Here:

- `update_cells` changes many cells and repaints only their rows (`refresh_row`);
- a cell is drawn again only when its own value changes (`_render_cell`, kept by identity), a
  one-line Content cell straight from its segments (`_draw_cell`) rather than through Rich's console;
- new one-line Content rows are measured from their cells' lengths (`_update_dimensions`), not
  each through Rich's console (~0.1 ms a cell: 100 ms for 200 rows of 5 columns);
- for a plain table (no fixed rows or columns, no row labels, a row cursor; zebra stripes or not) a
  line is put together here from its cells, as `DataTable._render_line_in_row` does, without its
  per-line overhead, and the table's base style is worked out once per style change, not per
  line. `tests/tui/test_redraw_table.py` checks every line against DataTable's own drawing.

These override private DataTable methods; textual is pinned (pyproject.toml) and the test above
fails if a new version draws differently.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import zip_longest

from rich.segment import Segment
from rich.style import Style
from textual._segment_tools import line_crop
from textual.cache import LRUCache
from textual.content import Content
from textual.geometry import Region
from textual.strip import Strip
from textual.style import Style as VisualStyle
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey, Row, RowKey


class RedrawTable(DataTable):
    """DataTable with per-cell and per-line caches that survive updates elsewhere in the table."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._cells: LRUCache[tuple, tuple[object, list]] = LRUCache(4000)
        self._lines: LRUCache[tuple, tuple[tuple, Strip]] = LRUCache(1000)  # body lines, with their cells' values
        self._base_style: tuple[int, Style] | None = None
        self._row_styles: dict[tuple, Style] = {}  # zebra rows' styles, per style change
        self._restyled = True  # styles applied since the cells were last checked against them
        self._signature: tuple | None = None  # the styles the kept cells were drawn with

    def update_cells(self, updates: list[tuple[str, str, object]]) -> None:
        """`update_cell(row, column, value)` for each update, repainting only the rows changed."""
        if not updates:
            return
        data = self._data
        rows = set()
        for row, column, value in updates:
            data[RowKey(row)][ColumnKey(column)] = value
            rows.add(row)
        self._update_count += len(updates)
        self.refresh_rows(self.get_row_index(row) for row in rows)

    def refresh_rows(self, indexes) -> None:
        """`refresh_row` for each row index, without its cost per row (it adds up the heights of
        every row above, for each row): for one-line rows the line is the index."""
        indexes = list(indexes)
        if any(row.height != 1 for row in self.rows.values()):
            for index in indexes:
                self.refresh_row(index)
            return
        top = self.header_height if self.show_header else 0
        scroll_y = round(self.scroll_y)
        width, height = self.size
        regions = [Region(0, y, width, 1) for y in (top + index - scroll_y for index in indexes)
                   if top <= y < height]
        if regions:
            self.refresh(*regions)

    def add_rows(self, rows: Iterable[Iterable[object]]) -> list[RowKey]:
        """`add_row(*cells)` for each row (one line high, no key, no label), with DataTable's work
        per row (the cursor checked again, an idle check, the columns put in order) done once for
        all of them: ~0.1 ms a row, 20 ms for the chats screen's 200."""
        columns = [column.key for column in self.ordered_columns]
        first = self.row_count
        keys: list[RowKey] = []
        locations, data, table_rows, new_rows = self._row_locations, self._data, self.rows, self._new_rows
        for cells in rows:
            cells = tuple(cells)
            if len(cells) > len(columns):
                raise ValueError("More values provided than there are columns.")
            row_key = RowKey(None)
            locations[row_key] = first + len(keys)
            data[row_key] = dict(zip_longest(columns, cells))
            table_rows[row_key] = Row(row_key, 1, None, False)
            new_rows.add(row_key)
            keys.append(row_key)
        if not keys:
            return keys
        self._require_update_dimensions = True
        self.cursor_coordinate = self.cursor_coordinate
        if first == 0 and columns and self.show_cursor and self.cursor_type != "none":
            self._highlight_cursor()  # a cursor has a cell to be on, where it had none
        self._update_count += len(keys)
        self.check_idle()
        return keys

    def _update_dimensions(self, new_rows) -> None:
        """Column widths for new rows: a row of one-line Content cells (no label, height 1) adds its
        cells' lengths, which is what `measure` gives a Content; any other row is DataTable's."""
        columns = self.ordered_columns
        others = []
        for row_key in new_rows:
            row = self.rows.get(row_key)
            cells = self._data.get(row_key)
            if row is None or cells is None:  # removed before the table went idle
                continue
            values = [cells.get(column.key) for column in columns]
            if row.label is not None or row.height != 1 or not all(
                    isinstance(value, Content) and "\n" not in value.plain for value in values):
                others.append(row_key)
                continue
            for column, value in zip(columns, values, strict=True):
                length = value.cell_length
                if length > column.content_width:
                    column.content_width = length
        super()._update_dimensions(others)  # the rest, and the virtual size

    def clear(self, columns: bool = False):
        self._cells.clear()
        self._lines.clear()
        return super().clear(columns)

    def notify_style_update(self) -> None:
        """Styles applied again: the cells drawn are kept unless a colour changed (a theme switch).
        Textual applies them again each time a screen is shown, mostly changing nothing; whether
        something changed is known once the component classes' styles are in (`_check_style`)."""
        self._restyled = True
        self._base_style = None
        self._row_styles.clear()
        super().notify_style_update()

    def _check_style(self) -> None:
        """After styles were applied: the cells drawn go when the table's style or any of its
        components' (cursor, hover, header, zebra rows) differ from those they were drawn with."""
        self._restyled = False
        signature = (self.rich_style, tuple(self.get_component_rich_style(name)
                                            for name in sorted(self.COMPONENT_CLASSES)))
        if signature != self._signature:
            self._signature = signature
            self._cells.clear()
            self._lines.clear()

    # -- drawing ---------------------------------------------------------------------------------
    def _render_cell(self, row_index: int, column_index: int, base_style, width: int, cursor: bool = False,
                     hover: bool = False):
        if row_index < 0 or column_index < 0:  # the header row, row labels: DataTable's own cache
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        row_key = self._row_locations.get_key(row_index)
        column_key = self._column_locations.get_key(column_index)
        value = self._data[row_key][column_key]
        key = (row_key, column_key, base_style, width, cursor, hover, self._show_hover_cursor,
               self._pseudo_class_state)
        kept = self._cells.get(key)
        if kept is not None and kept[0] is value:
            return kept[1]
        lines = None
        if isinstance(value, Content) and "\n" not in value.plain and self.rows[row_key].height == 1:
            lines = self._draw_cell(value, row_index, column_index, base_style, width, cursor, hover)
        if lines is None:
            lines = super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        self._cells[key] = (value, lines)
        return lines

    def _draw_cell(self, value: Content, row_index: int, column_index: int, base_style: Style, width: int,
                   cursor: bool, hover: bool) -> list[list[Segment]] | None:
        """A one-line Content cell as `DataTable._render_cell` draws it (its Rich console renders
        `Styled(Padding(cell, (0, cell_padding)), pre_style, post_style)`), without the console."""
        pad = self.cell_padding
        inner = width - 2 * pad
        if inner < 1:
            return None
        component_style, post_style = self._get_styles_to_render_cell(
            False, False, False, hover, cursor, self.show_cursor, self._show_hover_cursor,
            self.cursor_foreground_priority == "css", self.cursor_background_priority == "css")
        pre_style = base_style + Style.from_meta({"row": row_index, "column": column_index}) + component_style
        null = Style.null()
        text = Segment.adjust_line_length(value.render_segments(VisualStyle(), ""), inner, style=null, pad=True)
        edge = [Segment(" " * pad, null)] if pad else []
        return [list(Segment.apply_style([*edge, *text, *edge], pre_style, post_style))]

    def render_line(self, y: int) -> Strip:
        """DataTable's `render_line`, with the table's base style worked out once per style change
        (as Widget.visual_style is) instead of once per line (it walks every ancestor's styles)."""
        if self._restyled:
            self._check_style()
        key = self.styles._cache_key
        if self._base_style is None or self._base_style[0] != key:
            self._base_style = (key, self.rich_style)
        width = self.size.width
        scroll_x, scroll_y = self.scroll_offset
        fixed = sum(self.get_row_height(self._row_locations.get_key(index)) for index in range(self.fixed_rows))
        if self.show_header:
            fixed += self.get_row_height(self._header_row_key)
        if y >= fixed:
            y += scroll_y
        return self._render_line(y, scroll_x, scroll_x + width, self._base_style[1])

    def _render_line(self, y: int, x1: int, x2: int, base_style: Style) -> Strip:
        try:
            row_key, line = self._get_offsets(y)
        except LookupError:
            return super()._render_line(y, x1, x2, base_style)
        plain = not (row_key is self._header_row_key or self.fixed_columns or self.fixed_rows
                     or self._labelled_row_exists or self.cursor_type != "row")
        if not plain:
            return super()._render_line(y, x1, x2, base_style)
        return self._assemble(row_key, line, x1, x2, self.size.width, base_style, self.ordered_columns)

    def _assemble(self, row_key: RowKey, line: int, x1: int, x2: int, width: int, base_style: Style,
                  columns: list) -> Strip:
        """One line of a body row: what `_render_line_in_row` and `_render_line` make of it for a
        plain table (the row style is the base style, or the odd/even row's with zebra stripes;
        the row cursor highlights whole rows)."""
        row_index = self._row_locations.get(row_key)
        row_style = base_style
        state = self._pseudo_class_state
        if self.zebra_stripes:  # DataTable looks the odd/even row's style up for every line
            key = (row_index % 2, self.styles._cache_key, state)
            row_style = self._row_styles.get(key)
            if row_style is None:
                row_style = self._row_styles[key] = self._get_row_style(row_index, base_style)
        on_cursor = row_index == self.cursor_coordinate.row
        on_hover = row_index == self.hover_coordinate.row
        padding = 2 * self.cell_padding
        cells = self._data[row_key]
        values = tuple(cells.get(column.key) for column in columns)
        key = (row_key, row_index, line, x1, x2, width, base_style, row_style, on_cursor, on_hover, state,
               self.show_cursor, self._show_hover_cursor, padding,
               tuple(column.content_width if column.auto_width else column.width for column in columns))
        kept = self._lines.get(key)
        if kept is not None and all(a is b for a, b in zip(kept[0], values, strict=True)):
            return kept[1]
        strip = self._join(row_index, line, x1, x2, width, base_style, row_style, on_cursor, on_hover, columns)
        self._lines[key] = (values, strip)
        return strip

    def _join(self, row_index: int, line: int, x1: int, x2: int, width: int, base_style: Style, row_style: Style,
              on_cursor: bool, on_hover: bool, columns: list) -> Strip:
        """The line `_assemble` keeps, from its cells."""
        padding = 2 * self.cell_padding
        segments: list[Segment] = []
        used = 0
        for column_index, column in enumerate(columns):
            cell_width = padding + (column.content_width if column.auto_width else column.width)
            used += cell_width
            segments += self._render_cell(row_index, column_index, row_style, cell_width, cursor=on_cursor,
                                          hover=on_hover)[line]
        extend, _ = self._get_styles_to_render_cell(False, False, False, (row_index or 0) == self.hover_coordinate.row,
                                                    on_cursor, self.show_cursor, self._show_hover_cursor, False,
                                                    False)
        extend = row_style + extend + Style.from_meta({"row": row_index, "column": 0, "out_of_bounds": True})
        segments.append(Segment(" " * max(0, width - used), extend))
        return Strip(line_crop(segments, x1, x2, width)).adjust_cell_length(width, base_style).simplify()
