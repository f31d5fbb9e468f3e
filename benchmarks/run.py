"""Run the benchmarks and print the results table.

    python -m benchmarks.run [--quick] [--only NAME[,NAME...]] [--json FILE]

Every row prints its measured value, the baseline measured in the same run (where it has one),
their ratio and whether the target is met. The same table goes to `bench-results/latest.md`
(git-ignored). `--quick` shortens every row (fewer requests, a 5 s idle window, 20 chat turns);
its numbers are noisier and are not the ones to quote.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path

from benchmarks import (adapter_streams, chain_overhead, chat_history, doctor, failover_overhead, health_sweep,
                        process_chat, recovery_lag, redis_store, serve_rows, skip_disabled, transports, tui_rows)
from benchmarks.common import REPO, Result, fmt, machine

ROWS = [chain_overhead, failover_overhead, skip_disabled, health_sweep, process_chat, *recovery_lag.ROWS,
        *tui_rows.ROWS, *chat_history.ROWS, *redis_store.ROWS, *adapter_streams.ROWS, transports, doctor,
        *serve_rows.ROWS]
NAMES = [row.NAME for row in ROWS]


def _ratio(result: Result) -> str:
    return "—" if result.ratio is None else f"{result.ratio:.2f}×"


def _met(result: Result) -> str:
    return {True: "met", False: "NOT met", None: "error"}[result.met]


def table(results: list[Result]) -> list[list[str]]:
    rows = [["row", "what", "measured", "baseline", "ratio", "target", "met?"]]
    for r in results:
        rows.append([r.name, r.title, fmt(r.measured, r.unit), fmt(r.baseline, r.unit), _ratio(r), r.target, _met(r)])
    return rows


def render_text(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def render_markdown(results: list[Result], quick: bool, started: str, load: str) -> str:
    rows = table(results)
    out = [f"# Benchmark results{' (quick run)' if quick else ''}", "",
           f"- run: `python -m benchmarks.run{' --quick' if quick else ''}` at {started}",
           f"- machine: {machine()}", f"- load average before the run: {load}", "",
           "| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    out += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows[1:]]
    out += ["", "## Details", ""]
    out += [f"- **{r.name}** — {r.details}" for r in results]
    return "\n".join(out) + "\n"


def _error_result(row, exc: BaseException) -> Result:
    return Result(row.NAME, row.TITLE, None, "", None, row.TARGET, None,
                  f"failed: {type(exc).__name__}: {exc}".replace("\n", " ")[:500])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="shorter runs (noisier numbers)")
    parser.add_argument("--only", metavar="NAME[,NAME]", help=f"only these rows: {', '.join(NAMES)}")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    parser.add_argument("--out", metavar="FILE", default=str(REPO / "bench-results" / "latest.md"),
                        help="where to write the Markdown table (default: bench-results/latest.md)")
    args = parser.parse_args(argv)
    selected = ROWS
    if args.only:
        wanted = [name.strip() for name in args.only.split(",") if name.strip()]
        unknown = [name for name in wanted if name not in NAMES]
        if unknown:
            parser.error(f"unknown row {', '.join(unknown)}; choose from {', '.join(NAMES)}")
        selected = [row for row in ROWS if row.NAME in wanted]

    # Every row, and every process it starts, gets user folders of its own: nothing a benchmark
    # does (a Redis store's local copy, a config cache, state) may land in the user's real ones.
    names = ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME", "MODELFALLBACK_CONFIG", "MODELFALLBACK_STATE")
    saved = {name: os.environ.pop(name, None) for name in names}
    try:
        with tempfile.TemporaryDirectory(prefix="mf-bench-home-") as home:
            for name in names[:3]:
                os.environ[name] = str(Path(home) / name.lower())
            return _run(args, selected)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _run(args: argparse.Namespace, selected: list) -> int:
    started = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"machine: {machine()}\nload average: {load}\n", flush=True)
    results: list[Result] = []
    for row in selected:
        print(f"[{row.NAME}] {row.TITLE} …", flush=True)
        t = time.perf_counter()
        try:
            result = row.run(quick=args.quick)
        except Exception as exc:  # noqa: BLE001 - one broken row must not hide the others
            traceback.print_exc()
            result = _error_result(row, exc)
        results.append(result)
        print(f"    {fmt(result.measured, result.unit)} (baseline {fmt(result.baseline, result.unit)}, "
              f"ratio {_ratio(result)}) → {_met(result)}  [{time.perf_counter() - t:.0f} s]", flush=True)
        print(f"    {result.details}", flush=True)

    print()
    print(render_text(table(results)))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_markdown(results, args.quick, started, load), encoding="utf-8")
    print(f"\nwritten to {out}")
    if args.json:
        Path(args.json).write_text(json.dumps([r.to_json() for r in results], indent=1), encoding="utf-8")
    return 0 if all(r.met is not None for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
