"""`modelfallback disable MODEL [--for 5m | --until-enabled] [--reason TEXT]`."""

from __future__ import annotations

import argparse

from tui.cli.common import EXIT_OK, UsageError, open_engine, parse_duration_option, saved_locally_warning
from tui.engine.api import DEFAULT, UnknownModel
from tui.wording.status import lasting


def run(args: argparse.Namespace) -> int:
    engine = open_engine(args)
    if args.until_enabled:
        seconds = None
    else:
        seconds = parse_duration_option("--for", args.duration) if args.duration else DEFAULT
    try:
        model = engine.disable(args.model, seconds, reason=args.reason)
        status = engine.status(model.name)
    except UnknownModel as exc:
        raise UsageError(str(exc)) from None
    finally:
        engine.store.close()  # a shared store's connections and threads; the change is already kept
    print(f"disabled {model.name} {lasting(status.remaining_s)}")
    saved_locally_warning(engine)
    return EXIT_OK
