"""The subcommands: each opens the engine, consumes its events or state, and prints.

stdout carries the answer (or one JSON document); stderr carries trails, notices and errors.
"""

from __future__ import annotations

import argparse
import json
import sys

from tui.cli import EXIT_FAILED, EXIT_OK, UsageError, open_engine, parse_for
from tui.engine.api import UnknownModel
from tui.engine.durations import format_countdown, format_duration
from tui.engine.events import (Answered, AttemptFailed, AttemptSkipped, ChainFailed, Restarted, Token, Waiting)
from tui.engine.trail import attempt_text, format_trail, short_name


def _group(engine, name: str | None) -> str:
    if name is None:
        return next(iter(engine.config.groups))
    if name not in engine.config.groups:
        known = ", ".join(engine.config.groups)
        raise UsageError(f"unknown group '{name}' (groups: {known})")
    return name


def _read_prompt(args: argparse.Namespace) -> str:
    if args.prompt is None or args.prompt == "-":
        if args.prompt is None and sys.stdin.isatty():
            raise UsageError("chat needs a PROMPT (or - to read it from stdin)")
        text = sys.stdin.read()
    else:
        text = args.prompt
    if not text.strip():
        raise UsageError("the prompt is empty")
    return text


def _notices(engine) -> None:
    for warning in engine.store.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if engine.demo:
        from tui.engine.demo import DEMO_NOTICE

        print(f"[{DEMO_NOTICE}]", file=sys.stderr)


async def cmd_chat(args: argparse.Namespace) -> int:
    engine = open_engine(args)
    group = _group(engine, args.group)
    prompt = _read_prompt(args)
    _notices(engine)
    live = not args.json and not args.no_stream and sys.stdout.isatty()
    final = None
    mid_line = False  # the terminal cursor is inside streamed text: end the line before a notice

    def notice(text: str) -> None:
        nonlocal mid_line
        if mid_line:
            sys.stdout.write("\n")
            sys.stdout.flush()
            mid_line = False
        print(text, file=sys.stderr)

    try:
        async for event in engine.chat(group, prompt, stream=not args.no_stream):
            if isinstance(event, Token) and live and not event.reasoning:
                sys.stdout.write(event.text)
                sys.stdout.flush()
                mid_line = not event.text.endswith("\n")
            elif isinstance(event, Restarted) and live:
                notice("[interrupted; the answer restarts on the next model]\n")
            elif isinstance(event, (AttemptFailed, AttemptSkipped)) and not args.json:
                notice(f"  {attempt_text(event.attempt)}")
            elif isinstance(event, Waiting) and not args.json:
                notice(f"  waiting {format_duration(event.seconds)} ({event.reason})")
            elif isinstance(event, (Answered, ChainFailed)):
                final = event
    finally:
        engine.persist_health()
        await engine.aclose()
    if args.json:
        print(json.dumps(chat_json(group, final), ensure_ascii=False))
    elif isinstance(final, Answered):
        if not live:
            sys.stdout.write(final.content)
        sys.stdout.write("\n")
        print(format_trail(final.attempts, final), file=sys.stderr)
    else:
        print(f"error: {final.message}", file=sys.stderr)
        if final.attempts:
            print(format_trail(final.attempts), file=sys.stderr)
    return EXIT_OK if isinstance(final, Answered) else EXIT_FAILED


def chat_json(group: str, final: Answered | ChainFailed) -> dict:
    """The `chat --json` document (DESIGN §2)."""
    if isinstance(final, Answered):
        return {"ok": True, "group": group, "model": final.model, "reported_model": final.reported_model,
                "content": final.content, "finish_reason": final.finish_reason, "usage": final.usage.to_json(),
                "attempts": [a.to_json() for a in final.attempts], "error": None}
    return {"ok": False, "group": group, "model": None, "reported_model": None, "content": None,
            "finish_reason": None, "usage": None, "attempts": [a.to_json() for a in final.attempts],
            "error": {"kind": final.kind, "message": final.message}}


def cmd_status(args: argparse.Namespace) -> int:
    engine = open_engine(args)
    _notices(engine)
    rows = engine.statuses()
    if args.json:
        print(json.dumps({"groups": {g: list(m) for g, m in engine.config.groups.items()},
                          "models": [r.to_json() for r in rows]}, ensure_ascii=False))
        return EXIT_OK
    by_name = {r.model: r for r in rows}
    print("groups")
    for group, names in engine.config.groups.items():
        now = engine.preferred(group)
        chain = "  →  ".join(f"{by_name[n].glyph} {short_name(n)}" for n in names)
        print(f"  {group:<10} {chain}   [answers now: {short_name(now) if now else 'none'}]")
    print("\nmodels")
    width = max(len(r.model) for r in rows)
    for r in rows:
        latency = "—" if r.latency_ms is None else f"{r.latency_ms:.0f} ms"
        line = f"  {r.glyph} {r.status:<9} {r.model:<{width}}  {r.provider:<12} {latency:>8}"
        if r.status in ("disabled", "blocked"):
            left = "until enabled" if r.remaining_s is None else f"{format_countdown(r.remaining_s)} left"
            who = r.source if r.source == "manual" else r.kind
            line += f"  {left} ({who}{': ' + r.reason if r.reason else ''})"
        elif r.error:
            line += f"  last error: {r.error}"
        print(line)
    return EXIT_OK


def cmd_disable(args: argparse.Namespace) -> int:
    engine = open_engine(args)
    seconds = None if args.until_enabled else (parse_for(args.duration) if args.duration else None)
    try:
        model = engine.disable(args.model, reason=args.reason) if (args.duration is None and not args.until_enabled) \
            else engine.disable(args.model, seconds, reason=args.reason)
    except UnknownModel as exc:
        raise UsageError(str(exc)) from None
    status = engine.status(model.name)
    left = "until enabled" if status.remaining_s is None else f"for {format_duration(status.remaining_s)}"
    print(f"disabled {model.name} {left}")
    return EXIT_OK


def cmd_enable(args: argparse.Namespace) -> int:
    engine = open_engine(args)
    try:
        model = engine.enable(args.model)
    except UnknownModel as exc:
        raise UsageError(str(exc)) from None
    print(f"enabled {model.name}")
    return EXIT_OK


async def cmd_check(args: argparse.Namespace) -> int:
    from tui.cli_check import run_check

    return await run_check(args)
