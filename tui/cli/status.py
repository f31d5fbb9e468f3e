"""`modelfallback status`: groups, models, and what is out and for how long (a table or JSON)."""

from __future__ import annotations

import argparse
import json

from tui.cli.common import EXIT_OK, open_engine, print_notices, state_json
from tui.engine.text import one_line
from tui.wording.status import OUT, time_left
from tui.wording.trail import short_name


def run(args: argparse.Namespace) -> int:
    engine = open_engine(args)
    try:
        print_notices(engine)
        rows = engine.statuses()
        state = state_json(engine)
    finally:
        engine.store.close()  # nothing to write: only a shared store's connections and threads
    if args.json:
        print(json.dumps({"groups": {g: list(m) for g, m in engine.config.groups.items()},
                          "models": [r.to_json() for r in rows], "state": state}, ensure_ascii=False))
        return EXIT_OK
    if state["offline"]:
        print(f"shared state offline: {state['offline']}; showing the local state "
              f"{getattr(engine.store, 'local_location', '')} (pushed when {state['location']} is reachable)\n")
    by_name = {r.model: r for r in rows}
    print("groups")
    for group, names in engine.config.groups.items():
        now = engine.preferred(group)
        chain = "  →  ".join(f"{by_name[n].glyph} {short_name(n)}" for n in names)
        print(f"  {one_line(group, 40):<10} {chain}   [answers now: {short_name(now) if now else 'none'}]")
    print("\nmodels")
    names = {r.model: one_line(r.model, 120) for r in rows}  # from the config: shown printable, like all of it
    width = max(len(n) for n in names.values())
    for r in rows:
        latency = "—" if r.latency_ms is None else f"{r.latency_ms:.0f} ms"
        line = f"  {r.glyph} {r.status:<9} {names[r.model]:<{width}}  {one_line(r.provider, 40):<12} {latency:>8}"
        if r.status in OUT:
            who = r.source if r.source == "manual" else r.kind
            line += f"  {time_left(r)} ({who}{': ' + r.reason if r.reason else ''})"
        elif r.status == "no key":
            line += f"  {r.error}"
        elif r.error:
            line += f"  last error: {r.error}"
        print(line)
    return EXIT_OK
