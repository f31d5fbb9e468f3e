"""The command line (DESIGN §2): the TUI by default, and chat / check / status / disable / enable.

Exit codes: 0 success; 1 the request failed; 2 usage or configuration error (one line on stderr,
never a traceback); 130 interrupted. The subcommands are thin consumers of the engine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path
from typing import Sequence

from tui.engine.config import ConfigError
from tui.engine.durations import parse_duration
from tui.engine.state_store import StateFileError
from tui.engine.text import printable

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class UsageError(Exception):
    """A bad argument found after parsing (unknown model, group, bad duration)."""


def _global_options(parser: argparse.ArgumentParser, suppress: bool) -> None:
    default = argparse.SUPPRESS if suppress else None
    parser.add_argument("--config", metavar="PATH", default=default,
                        help="groups.yaml to use (else $MODELFALLBACK_CONFIG, ./groups.yaml, the user config dir, "
                             "the packaged default)")
    parser.add_argument("--state", metavar="PATH", default=default,
                        help="shared state file (else $MODELFALLBACK_STATE, the user state dir)")
    parser.add_argument("--demo", action="store_true", default=argparse.SUPPRESS if suppress else False,
                        help="use the built-in simulated providers: no network, no API key")
    parser.add_argument("--theme", metavar="NAME", default=default, help="TUI theme name")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="modelfallback",
        description="Chat through ordered fallback chains of LLMs, with live model health.")
    _global_options(parser, suppress=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        _global_options(p, suppress=True)
        return p

    chat = add("chat", "send one prompt through a group's chain and print the answer")
    chat.add_argument("-g", "--group", help="group to use (default: the first in the config)")
    chat.add_argument("--json", action="store_true", help="print exactly one JSON object on stdout")
    chat.add_argument("--no-stream", action="store_true", help="ask for a non-streamed answer")
    chat.add_argument("prompt", nargs="?", help="the prompt, or - to read it from stdin")

    check = add("check", "probe every model's health now, concurrently")
    check.add_argument("-g", "--group", help="only the models of this group")
    check.add_argument("--json", action="store_true", help="print a JSON list of rows")

    status = add("status", "show groups, models, and what is disabled and for how long")
    status.add_argument("--json", action="store_true", help="print one JSON object")

    disable = add("disable", "take a model out of every chain by hand")
    disable.add_argument("model")
    how_long = disable.add_mutually_exclusive_group()
    how_long.add_argument("--for", dest="duration", metavar="DURATION", help="e.g. 90s, 5m, 1h (default: policy)")
    how_long.add_argument("--until-enabled", action="store_true", help="until `modelfallback enable`")
    disable.add_argument("--reason", default="", help="shown next to the countdown")

    enable = add("enable", "bring a disabled or blocked model back now")
    enable.add_argument("model")
    return parser


def open_engine(args: argparse.Namespace):
    """Load the config and the state file the way every subcommand does."""
    from tui.engine.api import ModelFallback
    from tui.engine.config_loader import find_config_path, find_state_path, load_config

    env = os.environ
    config = load_config(find_config_path(args.config, env))
    state_arg = args.state
    if state_arg is None and args.demo and not env.get("MODELFALLBACK_STATE"):
        state_path = find_state_path(None, env).with_name("demo-state.json")  # demo never touches real state
    else:
        state_path = find_state_path(state_arg, env)
    return ModelFallback(config, state_path=state_path, demo=args.demo)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command is None:
            return run_tui(args)
        from tui import cli_commands

        handler = getattr(cli_commands, f"cmd_{args.command}")
        return asyncio.run(handler(args)) if asyncio.iscoroutinefunction(handler) else handler(args)
    except ConfigError as exc:
        print(printable(str(exc)), file=sys.stderr)
        return EXIT_USAGE
    except (UsageError, StateFileError) as exc:
        print(f"modelfallback: {printable(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        sys.stderr.close()  # the reader went away (e.g. `| head`); not an error worth a traceback
        return EXIT_OK


def run_tui(args: argparse.Namespace) -> int:
    """Start the Textual app."""
    engine = open_engine(args)
    try:
        from tui.app import make_app
    except ImportError:  # the TUI module is not built yet
        print("the TUI is not available in this build; try `modelfallback status`", file=sys.stderr)
        return EXIT_FAILED
    app = make_app(engine, theme=args.theme)  # user themes and settings: the user config dir
    app.run()
    return getattr(app, "return_code", None) or EXIT_OK


def parse_for(value: str) -> float:
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise UsageError(f"--for: {exc}") from None
