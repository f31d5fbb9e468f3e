"""`modelfallback check`: one concurrent health sweep, printed as a table or JSON.

Exit 0 when every checked group has at least one healthy model, 1 otherwise. The summary on
stderr counts every model: ok, failed and not probed (disabled by hand, blocked, no key).
"""

from __future__ import annotations

import argparse
import json
import sys

from tui.cli.common import EXIT_FAILED, EXIT_OK, open_engine, pick_group, print_notices
from tui.engine.state.status import missing_key
from tui.engine.text import one_line
from tui.wording.events import check_summary


async def run(args: argparse.Namespace) -> int:
    engine = open_engine(args)
    group = None if args.group is None else pick_group(engine, args.group)
    print_notices(engine)
    try:
        results = await engine.check(group)
    finally:
        await engine.aclose()
    for note in engine.preflight_check.notes:
        if note.model is None:  # a provider's listing failed: said once; the models were probed instead
            print(f"note: {one_line(note.text, 300)}", file=sys.stderr)
    rows = []
    for result in results:
        status = engine.status(result.model)
        if result.skipped == "no key":  # one word for it, as `status` and the TUI say it
            env = engine.config.providers[result.provider].api_key_env or "?"
            word, error = "no key", f"not probed: {missing_key(env)}"
        else:
            word = status.status if result.ok is None else ("healthy" if result.ok else status.status)
            error = result.error or (None if result.skipped is None else f"not probed: {result.skipped}")
        rows.append({"model": result.model, "provider": result.provider, "status": word,
                     "latency_ms": None if result.latency_ms is None else round(result.latency_ms),
                     "error": None if error is None else one_line(error)})
    groups = [group] if group else list(engine.config.groups)
    healthy = {r["model"] for r in rows if r["status"] == "healthy"}
    every_group_ok = all(any(m in healthy for m in engine.config.groups[g]) for g in groups)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False))
    else:
        names = {r["model"]: one_line(r["model"], 120) for r in rows}
        width = max(len(n) for n in names.values())
        for r in rows:
            latency = "—" if r["latency_ms"] is None else f"{r['latency_ms']} ms"
            print(f"  {r['status']:<9} {names[r['model']]:<{width}}  {latency:>8}  {r['error'] or ''}".rstrip())
        print(check_summary(results), file=sys.stderr)
        for g in groups:
            if not any(m in healthy for m in engine.config.groups[g]):
                print(f"group '{one_line(g, 40)}' has no healthy model", file=sys.stderr)
    return EXIT_OK if every_group_ok else EXIT_FAILED
