"""`modelfallback disable MODEL [--for 5m | --until-enabled] [--reason TEXT]`."""

from __future__ import annotations

import argparse

from tui.cli.common import EXIT_OK, UsageError, open_engine, parse_disable_option, saved_locally_warning
from tui.engine.api import DEFAULT, UnknownModel
from tui.engine.text import one_line
from tui.wording.status import lasting


def run(args: argparse.Namespace) -> int:
    if args.until_enabled:
        seconds = None
    else:
        seconds = parse_disable_option("--for", args.duration) if args.duration is not None else DEFAULT
    engine = open_engine(args)
    try:
        model = engine.disable(args.model, seconds, reason=args.reason)
        status = engine.status(model.name)
    except UnknownModel as exc:
        raise UsageError(str(exc)) from None
    finally:
        engine.store.close()  # a shared store's connections and threads; the change is already kept
    print(f"disabled {one_line(model.name, 120)} {lasting(status.remaining_s)}")
    saved_locally_warning(engine)
    return EXIT_OK
