"""`modelfallback chat`: one answer through a group's chain.

Streams the answer to stdout (only once complete when stdout is not a terminal, so a pipe never
gets a truncated answer) and the attempt trail to stderr; `--json` prints one JSON document.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from tui.cli.common import (EXIT_FAILED, EXIT_OK, UsageError, open_engine, parse_duration_option, pick_group,
                            print_notices)
from tui.engine.api import ModelFallback
from tui.engine.config.model import ConfigError
from tui.engine.state.file_store import StateFileError
from tui.engine.text import one_line
from tui.engine.durations import format_duration
from tui.engine.events import (Answered, AttemptCancelled, AttemptFailed, AttemptSkipped, AttemptStarted, ChainFailed,
                               Restarted, Token, Waiting)
from tui.wording.trail import attempt_text, format_trail, hedge_text, return_text, short_name


def read_prompt(args: argparse.Namespace) -> str:
    """The prompt as UTF-8 text, from the argument or stdin.

    Bytes that are not UTF-8 (a Latin-1 file, a cut multi-byte character) become U+FFFD and the
    user is told where: they are our input problem, never sent on as lone surrogates that would
    fail every model of the chain.
    """
    if args.prompt is None or args.prompt == "-":
        if args.prompt is None and sys.stdin.isatty():
            raise UsageError("chat needs a PROMPT (or - to read it from stdin)")
        stream = getattr(sys.stdin, "buffer", None)
        raw = stream.read() if stream is not None else sys.stdin.read().encode("utf-8", "surrogateescape")
        text = decode_utf8(raw, "standard input")
    else:
        text = decode_utf8(os.fsencode(args.prompt), "the PROMPT argument")  # argv's bytes, as given
    if not text.strip():
        raise UsageError("the prompt is empty")
    return text


def decode_utf8(raw: bytes, where: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        text = raw.decode("utf-8", "replace")
        # each undecodable sequence became one U+FFFD; a U+FFFD the input really had is its 3 bytes
        bad = text.count("\ufffd") - raw.count("\ufffd".encode())
        print(f"warning: {where} is not valid UTF-8 (first bad byte 0x{raw[exc.start]:02x} at offset {exc.start}); "
              f"{bad} undecodable byte sequence(s) replaced with U+FFFD", file=sys.stderr)
        return text


async def run(args: argparse.Namespace) -> int:
    try:
        engine = open_engine(args)
        group = pick_group(engine, args.group)
        wait_s = None if args.wait is None else parse_duration_option("--wait", args.wait)
        prompt = read_prompt(args)
    except (UsageError, ConfigError, StateFileError) as exc:
        if args.json:  # a script still gets its one JSON object; the one line on stderr and exit 2 follow
            print(json.dumps(usage_json(args.group, exc), ensure_ascii=False))
        raise
    print_notices(engine)
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

    settle = False  # wait for the checks started beside the request only after a whole answer
    try:
        engine.refresh_catalog_soon()  # a stale listing is refreshed beside the request
        if wait_s is not None:
            await wait_for_a_model(engine, group, wait_s)
        async for event in engine.chat(group, prompt, stream=not args.no_stream):
            if isinstance(event, Token) and live and not event.reasoning:
                sys.stdout.write(event.text)
                sys.stdout.flush()
                mid_line = not event.text.endswith("\n")
            elif isinstance(event, AttemptStarted) and event.hedge and not args.json:
                notice(f"  {hedge_text(event.beside or '', event.model, event.after_s or 0.0)}")
            elif isinstance(event, Restarted) and live:
                notice("[interrupted; the answer restarts on the next model]\n")
            elif isinstance(event, (AttemptFailed, AttemptSkipped, AttemptCancelled)) and not args.json:
                notice(f"  {attempt_text(event.attempt)}")
            elif isinstance(event, Waiting) and not args.json:
                notice(f"  waiting {format_duration(event.seconds)} ({event.reason})")
            elif isinstance(event, (Answered, ChainFailed)):
                final = event
        print_final(args, group, final, live)  # the answer is out before any check is waited for
        settle = True
    finally:
        engine.persist_health()
        await engine.aclose(settle=settle)  # at most health.timeout for due rechecks, recorded in the state
    return EXIT_OK if isinstance(final, Answered) else EXIT_FAILED


async def wait_for_a_model(engine: ModelFallback, group: str, seconds: float) -> None:
    """`--wait`: when every model of the group is out, say when the first comes back and wait for it
    (at most `seconds`); then the prompt goes through the whole chain as usual. A model disabled
    until enabled, or without a key, is never waited for."""
    if engine.preferred(group) is not None:
        return
    back = engine.first_return(group)
    if back is None:
        print(f"every model of '{group}' is out and none comes back by itself (disabled until enabled, or no "
              "key); sending anyway", file=sys.stderr)
        return
    print(f"every model of '{group}' is out; {return_text(*back)} — waiting up to {format_duration(seconds)}",
          file=sys.stderr)
    came = await engine.wait_for_return(group, seconds)
    if came is not None:
        print(f"{short_name(came)} is back; sending", file=sys.stderr)
    else:
        print(f"nothing came back within {format_duration(seconds)}", file=sys.stderr)


def print_final(args: argparse.Namespace, group: str, final: Answered | ChainFailed | None, live: bool) -> None:
    assert final is not None  # the chain always ends with one
    if args.json:
        print(json.dumps(chat_json(group, final), ensure_ascii=False))
    elif isinstance(final, Answered):
        if not live:
            sys.stdout.write(final.content)
        sys.stdout.write("\n")
        print(format_trail(final.attempts, final), file=sys.stderr)
    else:
        print(f"error: {one_line(final.message, 1000)}", file=sys.stderr)
        if final.attempts:
            print(format_trail(final.attempts), file=sys.stderr)
    sys.stdout.flush()


def usage_json(group: str | None, exc: Exception) -> dict:
    """The `chat --json` document for a run that never started (exit 2): a bad argument, config or state."""
    kind = "config" if isinstance(exc, ConfigError) else "state" if isinstance(exc, StateFileError) else "usage"
    return {"ok": False, "group": None if group is None else one_line(group, 80), "model": None,
            "reported_model": None, "content": None, "finish_reason": None, "usage": None, "attempts": [],
            "error": {"kind": kind, "message": one_line(str(exc), 1000)}}


def chat_json(group: str, final: Answered | ChainFailed) -> dict:
    """The `chat --json` document (docs/architecture.md §2)."""
    if isinstance(final, Answered):
        return {"ok": True, "group": group, "model": final.model, "reported_model": final.reported_model,
                "content": final.content, "finish_reason": final.finish_reason, "usage": final.usage.to_json(),
                "attempts": [a.to_json() for a in final.attempts], "error": None}
    return {"ok": False, "group": group, "model": None, "reported_model": None, "content": None,
            "finish_reason": None, "usage": None, "attempts": [a.to_json() for a in final.attempts],
            "error": {"kind": final.kind, "message": final.message}}
