"""What every subcommand shares: exit codes, the usage error, opening the engine, notices.

stdout carries the answer (or one JSON document); stderr carries trails, notices and errors.
"""

from __future__ import annotations

import argparse
import os
import sys

from tui.engine.api import ModelFallback
from tui.engine.durations import parse_duration

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class UsageError(Exception):
    """A bad argument found after parsing (unknown model, group, bad duration): exit 2."""


def open_engine(args: argparse.Namespace) -> ModelFallback:
    """The engine every subcommand uses: `ModelFallback.from_files` with the global options."""
    return ModelFallback.from_files(args.config, args.state, env=os.environ, demo=args.demo)


def pick_group(engine: ModelFallback, name: str | None) -> str:
    """`-g NAME`, checked; the config's first group without it."""
    if name is None:
        return next(iter(engine.config.groups))
    if name not in engine.config.groups:
        known = ", ".join(engine.config.groups)
        raise UsageError(f"unknown group '{name}' (groups: {known})")
    return name


def print_notices(engine: ModelFallback) -> None:
    """State-file warnings and the demo label, on stderr before any output."""
    for warning in engine.store.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if engine.demo_notice:
        print(f"[{engine.demo_notice}]", file=sys.stderr)


def parse_for(value: str) -> float:
    """`--for 5m` in seconds, or a UsageError naming the option."""
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise UsageError(f"--for: {exc}") from None
