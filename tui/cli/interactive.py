"""`modelfallback` without a subcommand: the Textual app on the engine the options describe, with
`--serve [ADDR]` the local endpoint inside it."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from tui.cli.common import EXIT_OK, open_engine

if TYPE_CHECKING:
    from tui.engine.api import ModelFallback
    from tui.engine.history import ChatHistory


def open_history(engine: ModelFallback, no_history: bool) -> ChatHistory | None:
    """The saved chats (the demo's kept apart), or None with `--no-history` or `history: off`."""
    if no_history or not engine.config.history:
        return None
    from tui.engine.config.paths import history_path
    from tui.engine.history import ChatHistory

    return ChatHistory(history_path(engine.demo), engine.clock.wall, deferred=True)  # the app opens it when up


def run(args: argparse.Namespace) -> int:
    engine = open_engine(args)
    server = None
    if args.serve is not None:  # bound now: a bad address or a missing extra is a usage error, not a screen
        from tui.cli.serve import open_server
        from tui.engine.serve.server import TUI_CHATS

        server = open_server(engine, args.serve, args.token_env, signals=False, chats=TUI_CHATS)
    from tui.app import make_app  # here: the subcommands never pay for importing Textual

    # user themes and settings: the user config dir
    app = make_app(engine, theme=args.theme, history=open_history(engine, args.no_history), server=server)
    app.run()
    return getattr(app, "return_code", None) or EXIT_OK
