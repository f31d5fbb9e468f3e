"""`modelfallback check`: one concurrent health sweep, printed as a table or JSON.

Exit 0 when every checked group has at least one healthy model, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys

from tui.cli.common import EXIT_FAILED, EXIT_OK, open_engine, pick_group, print_notices


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
            print(f"note: {note.text}", file=sys.stderr)
    rows = []
    for result in results:
        status = engine.status(result.model)
        word = status.status if result.ok is None else ("healthy" if result.ok else status.status)
        rows.append({"model": result.model, "provider": result.provider, "status": word,
                     "latency_ms": None if result.latency_ms is None else round(result.latency_ms),
                     "error": result.error or (None if result.skipped is None else f"not probed: {result.skipped}")})
    groups = [group] if group else list(engine.config.groups)
    healthy = {r["model"] for r in rows if r["status"] == "healthy"}
    every_group_ok = all(any(m in healthy for m in engine.config.groups[g]) for g in groups)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False))
    else:
        width = max(len(r["model"]) for r in rows)
        for r in rows:
            latency = "—" if r["latency_ms"] is None else f"{r['latency_ms']} ms"
            print(f"  {r['status']:<9} {r['model']:<{width}}  {latency:>8}  {r['error'] or ''}".rstrip())
        for g in groups:
            if not any(m in healthy for m in engine.config.groups[g]):
                print(f"group '{g}' has no healthy model", file=sys.stderr)
    return EXIT_OK if every_group_ok else EXIT_FAILED
