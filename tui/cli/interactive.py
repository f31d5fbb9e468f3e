"""`modelfallback` without a subcommand: the Textual app on the engine the options describe, with
`--serve [ADDR]` the local endpoint inside it."""

from __future__ import annotations

import argparse

from tui.cli.common import EXIT_OK, open_engine


def run(args: argparse.Namespace) -> int:
    engine = open_engine(args)
    server = None
    if args.serve is not None:  # bound now: a bad address or a missing extra is a usage error, not a screen
        from tui.cli.serve import open_server
        from tui.engine.serve.server import TUI_CHATS

        server = open_server(engine, args.serve, args.token_env, signals=False, chats=TUI_CHATS)
    from tui.app import make_app  # here: the subcommands never pay for importing Textual

    app = make_app(engine, theme=args.theme, server=server)  # user themes and settings: the user config dir
    app.run()
    return getattr(app, "return_code", None) or EXIT_OK
