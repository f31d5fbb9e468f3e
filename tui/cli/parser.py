"""The argument parser: global options work before or after the subcommand."""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence

DURATION_OPTIONS = ("--for", "--wait")
_NEGATIVE = re.compile(r"-\d")  # `-5m`: a (wrong) value, not an option


def join_negative_values(argv: Sequence[str]) -> list[str]:
    """`--for -5m` as `--for=-5m`: argparse takes a value that starts with `-` for an option and
    would say "expected one argument"; joined, the duration rule says what is wrong with it."""
    out: list[str] = []
    for arg in argv:
        if out and out[-1] in DURATION_OPTIONS and _NEGATIVE.match(arg):
            out[-1] = f"{out[-1]}={arg}"
        else:
            out.append(arg)
    return out


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
    parser.add_argument("--token-env", metavar="NAME", default=default,
                        help="with serve / --serve: the environment variable holding the token clients must send "
                             "(required off 127.0.0.1)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="modelfallback",
        description="Chat through ordered fallback chains of LLMs, with live model health.")
    _global_options(parser, suppress=False)
    parser.add_argument("--no-history", action="store_true",
                        help="TUI: keep no chat (by default every turn is saved in the user data folder)")
    parser.add_argument("--serve", nargs="?", const="127.0.0.1:4141", metavar="ADDR",
                        help="also serve the chains as a local endpoint (default 127.0.0.1:4141); see `serve`")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        _global_options(p, suppress=True)
        return p

    chat = add("chat", "send one prompt through a group's chain and print the answer")
    chat.add_argument("-g", "--group", help="group to use (default: the first in the config)")
    chat.add_argument("--json", action="store_true", help="print exactly one JSON object on stdout")
    chat.add_argument("--no-stream", action="store_true", help="ask for a non-streamed answer")
    chat.add_argument("--wait", metavar="DURATION",
                      help="if every model of the group is out, wait up to DURATION (e.g. 30s, 5m) for the first "
                           "to come back, then send")
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

    serve = add("serve", "serve the chains as a local OpenAI- and Anthropic-compatible endpoint, headless")
    serve.add_argument("--listen", metavar="ADDR", help="HOST:PORT to listen on (default 127.0.0.1:4141)")
    doctor = add("doctor", "check the whole setup (config, keys, providers, models, groups, state, clock, terminal) "
                           "and say how to fix each problem")
    doctor.add_argument("-g", "--group", help="only this group, its models and their providers")
    doctor.add_argument("--json", action="store_true", help="print one JSON object with every check")
    doctor.add_argument("--offline", action="store_true",
                        help="contact no provider (no key call, no listing, no probe); the state is still checked")
    return parser
