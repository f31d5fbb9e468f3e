"""What every subcommand shares: exit codes, the usage error, opening the engine, notices.

stdout carries the answer (or one JSON document); stderr carries trails, notices and errors.
"""

from __future__ import annotations

import argparse
import os
import sys

from tui.engine.api import ModelFallback
from tui.engine.durations import disable_seconds, parse_duration
from tui.engine.text import one_line

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
        known = ", ".join(one_line(g, 40) for g in engine.config.groups)
        raise UsageError(f"unknown group '{one_line(name, 80)}' (groups: {known})")
    return name


def print_notices(engine: ModelFallback) -> None:
    """State-file warnings (a shared state that is offline among them) and the demo label, on stderr
    before any output."""
    for warning in engine.store.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if engine.demo_notice:
        print(f"[{engine.demo_notice}]", file=sys.stderr)


def parse_duration_option(option: str, value: str) -> float:
    """A duration option (`--wait 30s`) in seconds, or a UsageError naming it."""
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise UsageError(f"{option}: {exc}") from None


def parse_disable_option(option: str, value: str) -> float:
    """`--for 5m`: a manual disable's duration by the one rule (`durations.disable_seconds`)."""
    try:
        return disable_seconds(value)
    except ValueError as exc:
        raise UsageError(f"{option}: {exc}") from None


def state_json(engine: ModelFallback) -> dict:
    """Where the state lives and whether the shared state is reachable (`offline`: None, or why not)."""
    return {"location": engine.store.location, "offline": engine.store.offline}


def saved_locally_warning(engine: ModelFallback) -> None:
    """After a manual change: one line on stderr when it could not reach the shared state (exit stays 0:
    the change is kept locally and pushed by the next process that reaches it)."""
    offline = engine.store.offline
    if offline:
        local = getattr(engine.store, "local_location", "a local file")
        print(f"warning: shared state offline ({offline}); the change is saved locally in {local} and will reach "
              f"{engine.store.location} when it is reachable", file=sys.stderr)
