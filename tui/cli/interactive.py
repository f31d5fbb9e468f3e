"""`modelfallback` without a subcommand: the Textual app on the engine the options describe."""

from __future__ import annotations

import argparse

from tui.cli.common import EXIT_OK, open_engine


def run(args: argparse.Namespace) -> int:
    engine = open_engine(args)
    from tui.app import make_app  # here: the subcommands never pay for importing Textual

    history = None
    if engine.config.history and not args.no_history:
        from tui.engine.config.paths import history_path
        from tui.engine.history import ChatHistory

        history = ChatHistory(history_path(engine.demo), engine.clock.wall)
    app = make_app(engine, theme=args.theme, history=history)  # user themes and settings: the user config dir
    app.run()
    return getattr(app, "return_code", None) or EXIT_OK
