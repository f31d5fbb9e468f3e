"""`modelfallback enable MODEL`: bring a disabled or blocked model back now."""

from __future__ import annotations

import argparse

from tui.cli.common import EXIT_OK, UsageError, open_engine, saved_locally_warning
from tui.engine.api import UnknownModel


def run(args: argparse.Namespace) -> int:
    engine = open_engine(args)
    try:
        model = engine.enable(args.model)
    except UnknownModel as exc:
        raise UsageError(str(exc)) from None
    finally:
        engine.store.close()  # a shared store's connections and threads; the change is already kept
    print(f"enabled {model.name}")
    saved_locally_warning(engine)
    return EXIT_OK
