"""`modelfallback enable MODEL`: bring a disabled or blocked model back now.

A model that is not out says so (`… is not disabled`, and why it cannot answer when it has no
key) and exits 0: what the command asks for already holds, so a script may run it twice.
"""

from __future__ import annotations

import argparse

from tui.cli.common import EXIT_OK, UsageError, open_engine, saved_locally_warning
from tui.engine.api import UnknownModel
from tui.engine.text import one_line
from tui.wording.status import not_disabled_text


def run(args: argparse.Namespace) -> int:
    engine = open_engine(args)
    try:
        row = engine.status(engine.resolve(args.model).name)
        if not row.enableable:
            print(not_disabled_text(row))
            return EXIT_OK
        model = engine.enable(row.model)
    except UnknownModel as exc:
        raise UsageError(str(exc)) from None
    finally:
        engine.store.close()  # a shared store's connections and threads; the change is already kept
    print(f"enabled {one_line(model.name, 120)}")
    saved_locally_warning(engine)
    return EXIT_OK
