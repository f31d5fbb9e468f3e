"""Which columns of the models panel fit a given width, and how wide each one is.

Status, model and the out-for countdown always stay. When the panel is too narrow for everything,
the less important parts go first, in `DROPS` order:

    API → uptime → last latency → the countdown's bar → checked → p50 → vendor prefixes → OK

and the note (why a model is out, or its last error) keeps at least `NOTE_MIN` characters and
takes whatever is left over, up to `NOTE_MAX`. The uptime column exists only once a provider
reported an uptime for some model, the API column only when the models speak more than one API
(a column with one value everywhere is no information). No Textual here: the
plan is plain data the table applies.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tui.engine.text import one_line
from tui.wording.trail import short_name

PAD = 2  # the table's cell padding: one space on each side of every column
STATUS_W = 10  # `◐ degraded`
OUT_W = 24  # `4:12 ███▌· check in 0:09`
OUT_NARROW_W = 20  # `4:12 · check in 0:09` (no bar)
NOTE_MIN, NOTE_MAX = 20, 70
MAX_MODEL_WIDTH = 36
OPTIONAL = (("api", "API", 9), ("last", "Last", 5), ("p50", "p50", 5), ("ok", "OK", 4), ("checked", "Checked", 7),
            ("uptime", "Uptime", 6), ("served", "Served", 6))
DROPS = ("api", "uptime", "last", "bar", "checked", "p50", "served", "names", "ok")


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    width: int


@dataclass(frozen=True)
class Layout:
    columns: tuple[Column, ...]
    names: tuple[tuple[str, str], ...]  # (model id, the name shown)

    def width(self, key: str) -> int:
        return next((c.width for c in self.columns if c.key == key), 0)

    def has(self, key: str) -> bool:
        return any(c.key == key for c in self.columns)

    @property
    def keys(self) -> list[str]:
        return [c.key for c in self.columns]


def short_names(models: Sequence[str]) -> dict[str, str]:
    """Names without what they all share: a common `vendor/` prefix goes; ids whose last part is
    unique are shown by it (`claude-3.5-sonnet`, as in the groups panel and the trails); ids that
    would become ambiguous keep their whole name."""
    parts = [m.split("/") for m in models]
    common = 0
    while parts and all(len(p) > common + 1 for p in parts) and len({p[common] for p in parts}) == 1:
        common += 1
    names = {m: one_line("/".join(p[common:]), 120) for m, p in zip(models, parts, strict=True)}
    last = {m: short_name(m) for m in models}
    if len(set(last.values())) == len(last):
        return last
    return names


def plan(width: int, models: Sequence[str], *, uptime: bool = False, apis: bool = False,
         served: bool = False) -> Layout:
    """The columns for a table whose rows are `width` characters wide (scrollbar excluded);
    `served`: the local endpoint runs, and each model's count of served answers has a column."""
    full = {m: one_line(m, 120) for m in models}
    short = short_names(models)
    dropped: set[str] = set() if uptime else {"uptime"}
    if not apis:
        dropped.add("api")
    if not served:
        dropped.add("served")

    def build() -> tuple[list[Column], dict[str, str]]:
        names = short if "names" in dropped else full
        model_w = min(MAX_MODEL_WIDTH, max((len(n) for n in names.values()), default=10))
        cols = [Column("status", "Status", STATUS_W), Column("model", "Model", max(5, model_w)),
                Column("out", "Out for", OUT_NARROW_W if "bar" in dropped else OUT_W)]
        cols += [Column(key, label, w) for key, label, w in OPTIONAL if key not in dropped]
        return cols, names

    cols, names = build()
    for step in DROPS:
        if sum(c.width + PAD for c in cols) + NOTE_MIN + PAD <= width:
            break
        dropped.add(step)
        cols, names = build()
    note = min(NOTE_MAX, width - sum(c.width + PAD for c in cols) - PAD)
    if note >= 8:  # a sliver of a note is noise: below that the three that matter get the room
        cols.append(Column("note", "Why / last error", note))
    return Layout(tuple(cols), tuple(names.items()))
