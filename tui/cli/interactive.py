"""`modelfallback` without a subcommand: the Textual app on the engine the options describe."""

from __future__ import annotations

import argparse

from tui.cli.common import EXIT_OK, open_engine


def run(args: argparse.Namespace) -> int:
    engine = open_engine(args)
    from tui.app import make_app  # here: the subcommands never pay for importing Textual

    app = make_app(engine, theme=args.theme)  # user themes and settings: the user config dir
    app.run()
    return getattr(app, "return_code", None) or EXIT_OK
